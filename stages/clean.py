"""clean@<dataset>: normalise text as configured + exploration figures."""

import pandas as pd

from _common import main
from tweetgeo import paths
from tweetgeo.eda import short_and_long_samples, write_eda
from tweetgeo.io import write_json, write_parquet
from tweetgeo.text import clean_frame


def stage(params, argv):
    name = argv[0]
    frame, counts = clean_frame(pd.read_parquet(paths.prepared(name)), params.clean_for(name))
    write_parquet(frame, paths.clean(name))
    figures = write_eda(frame, paths.eda_dir(name), title=name)
    write_json({"cleaning": counts, "figures": figures, "samples": short_and_long_samples(frame)},
               paths.clean_report(name))
    print(f"{name}: cleaned {len(frame)} rows; "
          f"{sum(counts['empty_after_cleaning'].values())} empty after cleaning")
    return {"rows": len(frame)}


if __name__ == "__main__":
    main(stage)
