"""embed@<dataset>: vocabulary + word2vec/GloVe matrices + TF-IDF vectoriser, with coverage."""

import pandas as pd

from _common import main
from tweetgeo import paths
from tweetgeo.embeddings import run_embed_stage


def stage(params, argv):
    name = argv[0]
    corpora = [name, *params.datasets[name].word2vec_corpus]
    frames = {ds: pd.read_parquet(paths.clean(ds)) for ds in corpora}
    run_embed_stage(params, name, frames, paths.features_dir(name, ""), paths.embeddings_report_dir())
    return {"rows": len(frames[name])}


if __name__ == "__main__":
    main(stage)
