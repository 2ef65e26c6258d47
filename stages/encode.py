"""encode@<dataset>: frozen sentence-encoder vectors (S0), computed once and cached by DVC."""

import pandas as pd

from _common import main
from tweetgeo import paths
from tweetgeo.encoder import run_encode_stage


def stage(params, argv):
    name = argv[0]
    return run_encode_stage(params, pd.read_parquet(paths.clean(name)),
                     paths.features_dir(name, "encoder") / "vectors.npz")


if __name__ == "__main__":
    main(stage)
