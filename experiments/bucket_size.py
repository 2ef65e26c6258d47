"""k-d tree bucket size for GeoText, by 5-fold CV of the TF-IDF yardstick on the TRAIN split (issue 10).

Rahimi et al. (2017) tune the bucket size per corpus. For each size, every fold fits its own k-d
tree on its four fifths of the train users, trains the yardstick (the run's TF-IDF features from the
embed stage, C = 1) and scores the held-out fifth: Acc@161 and median km with argmax decoding and
with expected-distance decoding (top-k from params.yaml). Validation and test are never read.
Needs `dvc repro embed@geotext`. Usage:

    python experiments/bucket_size.py [--run geotext-tfidf-kdtree] [--sizes 25 50 100 200]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.model_selection import KFold

from tweetgeo import paths
from tweetgeo.config import load_params
from tweetgeo.geo import haversine_km
from tweetgeo.labels import KdTreeLabels
from tweetgeo.metrics import ACC_KM, argmax_decode, expected_distance_decode
from tweetgeo.models.tfidf import TfidfLinear, load_vectorizers
from tweetgeo.rundata import load_run_splits
from tweetgeo.runspec import resolve_run

FOLDS = 5


def fold_scores(size: int, vectorizers, texts: np.ndarray, latlon: np.ndarray, top_k: int,
                seed: int) -> dict[str, list[float]]:
    """Per fold: Acc@161 and median km (argmax, expected-distance) and the number of labels."""
    scores: dict[str, list[float]] = {"labels": [], "acc_at_161": [], "median_km": [],
                                      "acc_at_161_expected": [], "median_km_expected": []}
    for fit_rows, held_rows in KFold(FOLDS, shuffle=True, random_state=seed).split(texts):
        tree = KdTreeLabels.fit(latlon[fit_rows], size)
        model = TfidfLinear(1.0, vectorizers, seed=seed).fit(texts[fit_rows], tree.train_labels)
        probs = model.predict_proba(texts[held_rows])
        points = tree.points[["lat", "lon"]].to_numpy(dtype="float64")[model.classes_]
        truth = latlon[held_rows]
        scores["labels"].append(len(tree.points))
        for suffix, decoded in (("", argmax_decode(probs, points)),
                                ("_expected", expected_distance_decode(probs, points, top_k))):
            km = haversine_km(truth[:, 0], truth[:, 1], decoded[:, 0], decoded[:, 1])
            scores[f"acc_at_161{suffix}"].append(float(np.mean(km <= ACC_KM)))
            scores[f"median_km{suffix}"].append(float(np.median(km)))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="geotext-tfidf-kdtree")
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 50, 100, 200])
    args = parser.parse_args()
    params = load_params()
    spec = resolve_run(params, args.run)
    train = load_run_splits(spec)["train"]
    vectorizers = load_vectorizers(paths.features_dir(spec.dataset, "tfidf"))
    print(f"{args.run}: {len(train)} train rows, {FOLDS}-fold CV (mean ± std over folds)")
    for size in args.sizes:
        s = fold_scores(size, vectorizers, train.inputs, train.latlon, params.evaluate.decoding_top_k,
                        params.seed)
        cells = "  ".join(f"{key} {np.mean(v):.3f} ± {np.std(v):.3f}" if "acc" in key
                          else f"{key} {np.mean(v):.0f} ± {np.std(v):.0f}" for key, v in s.items())
        print(f"  bucket {size:>4}: {cells}", flush=True)


if __name__ == "__main__":
    main()
