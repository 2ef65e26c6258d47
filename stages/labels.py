"""labels@<dataset>: discretise coordinates (k-d tree, P2C, region) or take the binary target."""

import pandas as pd

from _common import main
from tweetgeo import paths
from tweetgeo.labels import run_labels_stage


def stage(params, argv):
    name = argv[0]
    frame = pd.read_parquet(paths.clean(name))
    run_labels_stage(frame, name, params.datasets[name].label_schemes,
                     params.labels_for(name), paths.labels_dir(name), paths.labels_report_dir() / name)
    return {"rows": len(frame)}


if __name__ == "__main__":
    main(stage)
