"""What refitting on train + validation could buy: the yardstick's learning curve, on VALIDATION (issue 10).

A common last step is to refit the chosen model on the train and validation rows together. Its
gain cannot be measured on validation itself, so this script measures the step just below it:
the yardstick (`TfidfLinear`, the run's C and the embed stage's features) fitted on a random
n_train² / (n_train + n_validation) of the train rows, the same ratio the refit would add, against
all train rows; both scored on validation. Binary runs: F1 at 0.5 and at the F1-best threshold
(optimistic for both alike) and average precision; geo runs: Acc@161 and median km, argmax and
expected-distance decoding. "gain" is all train minus the subsamples' mean (for km, positive is
worse). Test is never read. Needs `dvc repro embed@<dataset> labels@<dataset>`.

    python experiments/refit_gain.py [--run disaster-tfidf] [--draws 5]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.metrics import average_precision_score

from tweetgeo import paths
from tweetgeo.config import load_params
from tweetgeo.geo import haversine_km
from tweetgeo.metrics import ACC_KM, argmax_decode, classification_metrics, expected_distance_decode, f1_threshold
from tweetgeo.models.tfidf import TfidfLinear, load_vectorizers
from tweetgeo.rundata import label_points, load_run_splits
from tweetgeo.runspec import resolve_run


def scores(model, val, points: np.ndarray | None, top_k: int) -> dict[str, float]:
    """Validation scores of a fitted yardstick."""
    probs = model.predict_proba(val.inputs)
    if points is None:
        p = probs[:, 1]
        best = f1_threshold(val.labels, p)
        return {"f1@0.5": classification_metrics(val.labels, p >= 0.5)["f1"],
                "f1@best": classification_metrics(val.labels, p >= best)["f1"],
                "avg_precision": float(average_precision_score(val.labels, p))}
    pts = points[model.classes_]
    out = {}
    decodings = (("", argmax_decode(probs, pts)), ("_expected", expected_distance_decode(probs, pts, top_k)))
    for suffix, decoded in decodings:
        km = haversine_km(val.latlon[:, 0], val.latlon[:, 1], decoded[:, 0], decoded[:, 1])
        out[f"acc_at_161{suffix}"] = float(np.mean(km <= ACC_KM))
        out[f"median_km{suffix}"] = float(np.median(km))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="disaster-tfidf")
    parser.add_argument("--draws", type=int, default=5)
    args = parser.parse_args()
    params = load_params()
    spec = resolve_run(params, args.run)
    splits = load_run_splits(spec)
    train, val = splits["train"], splits["validation"]
    keep = train.labels >= 0
    texts, labels = train.inputs[keep], train.labels[keep]
    points = None if spec.task == "binary" else label_points(spec)[["lat", "lon"]].to_numpy(dtype="float64")
    c = spec.options.C
    vectorizers = load_vectorizers(paths.features_dir(spec.dataset, "tfidf"))
    n_sub = round(len(texts) ** 2 / (len(texts) + len(val)))
    print(f"{args.run}: C {c:g}; {len(texts)} train, {len(val)} validation rows; subsample {n_sub} "
          f"(the ratio train + validation would add: {(len(texts) + len(val)) / len(texts):.3f}x)")
    top_k = params.evaluate.decoding_top_k
    full = scores(TfidfLinear(c, vectorizers, seed=params.seed).fit(texts, labels), val, points, top_k)
    rng = np.random.default_rng(params.seed)
    subs = []
    for _ in range(args.draws):
        rows = rng.choice(len(texts), n_sub, replace=False)
        model = TfidfLinear(c, vectorizers, seed=params.seed).fit(texts[rows], labels[rows])
        subs.append(scores(model, val, points, top_k))
    for key, value in full.items():
        sub = np.array([s[key] for s in subs])
        print(f"  {key:<22} all train {value:9.4f}   subsample {sub.mean():9.4f} ± {sub.std():.4f}   "
              f"gain {value - sub.mean():+.4f}", flush=True)


if __name__ == "__main__":
    main()
