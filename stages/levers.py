"""levers@<dataset>: the cleaning levers, each scored by the yardstick on validation (tweetgeo.levers)."""

import pandas as pd

from _common import main
from tweetgeo import paths
from tweetgeo.io import write_json
from tweetgeo.levers import measure


def stage(params, argv):
    name = argv[0]
    frame = pd.read_parquet(paths.clean(name))
    result = measure(params, name, frame)
    write_json(result, paths.levers_report(name))
    for row in result["rows"]:
        print(f"  {row['variant']:60s} {row['metrics']}")
    return {"rows": result["train_rows"]}


if __name__ == "__main__":
    main(stage)
