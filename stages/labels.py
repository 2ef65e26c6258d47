"""labels@<dataset>: discretise coordinates (k-d tree, P2C, region) or take the binary target."""

import pandas as pd

from _common import main
from tweetgeo import paths
from tweetgeo.labels import run_labels_stage


def stage(params, argv):
    name = argv[0]
    run_labels_stage(pd.read_parquet(paths.clean(name)), name, params.datasets[name].label_schemes,
                     params.labels_for(name), paths.labels_dir(name), paths.labels_report_dir() / name)


if __name__ == "__main__":
    main(stage)
