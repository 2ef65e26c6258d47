"""The TF-IDF vocabulary size (`embeddings.tfidf.max_features`) per data set, by 5-fold CV of the
yardstick on the TRAIN split (issue 10): disaster by out-of-fold F1 (experiments/yardstick_c.py),
GeoText by Acc@161 and median km (experiments/bucket_size.py, the shipped bucket size).

The vectorisers of each size are fitted on all train rows (as the embed stage does), so the held-out
fold's words count in the vocabulary choice and in IDF alike for every size. Validation and test
are never read. Needs `dvc repro clean labels`. Usage:

    python experiments/tfidf_size.py [--sizes 50000 100000 200000]
"""

from __future__ import annotations

import argparse

import numpy as np
from bucket_size import fold_scores
from yardstick_c import out_of_fold

from tweetgeo.config import load_params
from tweetgeo.metrics import classification_metrics, f1_threshold
from tweetgeo.models.tfidf import fit_vectorizers
from tweetgeo.rundata import load_run_splits
from tweetgeo.runspec import resolve_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50000, 100000, 200000])
    args = parser.parse_args()
    params = load_params()
    disaster = load_run_splits(resolve_run(params, "disaster-tfidf"))["train"]
    geotext_spec = resolve_run(params, "geotext-tfidf-kdtree")
    geotext = load_run_splits(geotext_spec)["train"]
    bucket = params.labels_for(geotext_spec.dataset).kdtree.bucket_size
    print(f"5-fold CV on train: disaster {len(disaster)} tweets, GeoText {len(geotext)} users (bucket {bucket})")
    for size in args.sizes:
        cfg = params.embeddings.tfidf.model_copy(update={"max_features": size})
        vectorizers = fit_vectorizers(disaster.inputs, cfg)
        features = sum(len(v.vocabulary_) for v in vectorizers.values())
        oof = out_of_fold(1.0, vectorizers, disaster.inputs, disaster.labels, params.seed)
        f1 = classification_metrics(disaster.labels, oof >= f1_threshold(disaster.labels, oof))["f1"]
        vectorizers = fit_vectorizers(geotext.inputs, cfg)
        geo_features = sum(len(v.vocabulary_) for v in vectorizers.values())
        s = fold_scores(bucket, vectorizers, geotext.inputs, geotext.latlon, params.evaluate.decoding_top_k,
                        params.seed)
        print(f"  max_features {size:>7}: disaster {features:>6} features, CV F1 {f1:.4f} | GeoText "
              f"{geo_features:>6} features, Acc@161 {np.mean(s['acc_at_161']):.3f} ± {np.std(s['acc_at_161']):.3f}, "
              f"median {np.mean(s['median_km']):.0f} ± {np.std(s['median_km']):.0f} km, median (expected) "
              f"{np.mean(s['median_km_expected']):.0f} ± {np.std(s['median_km_expected']):.0f} km", flush=True)


if __name__ == "__main__":
    main()
