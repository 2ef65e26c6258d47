"""prepare@<dataset>: raw files → canonical table + data-quality report."""

import sys

from _common import main
from tweetgeo import paths
from tweetgeo.datasets import load_dataset
from tweetgeo.io import write_json, write_parquet


def stage(params, argv):
    name = argv[0]
    frame, quality = load_dataset(name, params.datasets[name], params.seed)
    write_parquet(frame, paths.prepared(name))
    write_json(quality, paths.quality_report(name))
    for entry in quality["files"].values():  # what the readers noticed (encoding fallback, NUL bytes)
        for warning in entry["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)
    print(f"{name}: {len(frame)} rows kept, {quality['dropped_total']} dropped, "
          f"{quality['fallback_lines']} line(s) read as {quality['fallback_encoding']} "
          f"(see {paths.quality_report(name)})")
    return {"rows": len(frame)}


if __name__ == "__main__":
    main(stage)
