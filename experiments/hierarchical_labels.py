"""Hierarchical labels for Yachay: the fine k-d tree label's score plus its coarse area's score.

The k-d tree of a larger bucket splits the same training points at the same medians and stops
earlier, so each of its areas is a union of fine labels (checked below). A second yardstick model
(the run's TF-IDF features and classifier) is trained on the coarse areas, and each fine label is
scored log p_fine(label) + alpha * log p_coarse(its area) (a product of the two, as in Wing &
Baldridge 2014's hierarchy of classifiers, without their per-area local models). The fine model
is the yardstick as the pipeline trains it (its validation metrics are printed beside the
committed ones). Alpha is chosen on four fifths of validation and scored on the fifth left out
(five times); test is never read. Needs the clean, labels and embed stages of Yachay. Usage:

    python experiments/hierarchical_labels.py [--run yachay-tfidf-kdtree] [--factors 4 16]
                                              [--fine-run yachay-network-ensemble-kdtree]
"""

from __future__ import annotations

import argparse
import functools
import json

import numpy as np
from label_points import SHOWN, cells  # this folder's script: the same columns, printed the same way

from tweetgeo import paths
from tweetgeo.config import load_params
from tweetgeo.labels import KdTreeLabels
from tweetgeo.metrics import argmax_decode, expected_distance_decode, geo_metrics, label_distances
from tweetgeo.models.tfidf import TfidfLinear, load_vectorizers
from tweetgeo.predict import Predictor
from tweetgeo.rundata import load_run_splits
from tweetgeo.runspec import resolve_run
from tweetgeo.schema import TRAIN, VALIDATION

ALPHAS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
FIFTHS = 5


def area_of_label(fine: KdTreeLabels, coarse: KdTreeLabels) -> np.ndarray:
    """The coarse area of each fine label; fails unless every fine label lies in one area."""
    pairs = np.unique(np.stack([fine.train_labels, coarse.train_labels], axis=1), axis=0)
    if len(np.unique(pairs[:, 0])) != len(pairs):
        raise SystemExit("the coarse tree's areas are not unions of fine labels")
    area = np.full(len(fine.points), -1, dtype=np.int64)
    area[pairs[:, 0]] = pairs[:, 1]
    return area


def combined(log_fine: np.ndarray, log_coarse: np.ndarray, area: np.ndarray, alpha: float) -> np.ndarray:
    """Per row, softmax over fine labels of log p_fine + alpha * log p_coarse(area)."""
    scores = log_fine + alpha * log_coarse[:, area]
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    return scores / scores.sum(axis=1, keepdims=True)


def metrics(probs: np.ndarray, latlon: np.ndarray, *, points: np.ndarray, top_k: int,
            distances: np.ndarray | None) -> dict[str, float]:
    result = geo_metrics(latlon, argmax_decode(probs, points))
    decoded = expected_distance_decode(probs, points, top_k, distances)
    result.update({f"{k}_expected": v for k, v in geo_metrics(latlon, decoded).items()})
    return result


def saved_run_probs(params, run: str, ids: np.ndarray, points: np.ndarray) -> np.ndarray:
    """A saved run's validation probabilities, in the yardstick's row order, on the same label points."""
    spec = resolve_run(params, run)
    predictor = Predictor(paths.model_dir(run, ensemble=run in params.ensembles))
    if not np.allclose(predictor.points[["lat", "lon"]].to_numpy("float64"), points):
        raise SystemExit(f"{run}: its label points are not the yardstick's")
    val = load_run_splits(spec)[VALIDATION]
    if not np.array_equal(val.ids, ids):
        raise SystemExit(f"{run}: its validation rows are not the yardstick's")
    return predictor.scores(val.inputs)["label"].astype("float64")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="yachay-tfidf-kdtree")
    parser.add_argument("--factors", nargs="+", type=int, default=[4, 16],
                        help="coarse bucket = fine bucket × factor")
    parser.add_argument("--fine-run", help="a saved run on the same labels (e.g. the network ensemble) "
                        "whose validation probabilities are p_fine, instead of refitting the yardstick")
    args = parser.parse_args()
    params = load_params()
    spec = resolve_run(params, args.run)
    splits = load_run_splits(spec)
    train, val = splits[TRAIN], splits[VALIDATION]
    bucket = params.labels.kdtree.bucket_size
    fine = KdTreeLabels.fit(train.latlon, bucket)
    if not np.array_equal(fine.train_labels, train.labels):
        raise SystemExit("the refitted k-d tree does not give the labels stage's training labels")
    points = fine.points[["lat", "lon"]].to_numpy("float64")
    distances = label_distances(points)
    vectorizers = load_vectorizers(paths.features_dir(spec.dataset, "tfidf"))
    print(f"{args.run}: {len(train)} train rows, {len(val)} validation rows, {len(points)} fine labels "
          f"(bucket {bucket})", flush=True)
    fine_probs = (saved_run_probs(params, args.fine_run, val.ids, points) if args.fine_run else
                  TfidfLinear(spec.options.C, vectorizers, seed=spec.seed).fit(train.inputs, train.labels)
                  .predict_proba(val.inputs).astype("float64"))
    base = metrics(fine_probs, val.latlon, points=points, top_k=spec.decoding_top_k, distances=distances)
    print(f"  fine model alone ({args.fine_run or args.run}) {cells(base)}")
    committed = paths.metrics_file(args.fine_run or args.run)
    if committed.exists():
        saved = json.loads(committed.read_text(encoding="utf-8"))[VALIDATION]
        print(f"  (the run's committed validation: {cells(saved)})")
    log_fine = np.log(np.clip(fine_probs, 1e-12, None))
    fifth = (np.arange(len(val)) % FIFTHS)[np.random.default_rng(spec.seed).permutation(len(val))]
    score = functools.partial(metrics, points=points, top_k=spec.decoding_top_k, distances=distances)
    for factor in args.factors:
        coarse = KdTreeLabels.fit(train.latlon, bucket * factor)
        area = area_of_label(fine, coarse)
        coarse_model = TfidfLinear(spec.options.C, vectorizers, seed=spec.seed).fit(train.inputs, coarse.train_labels)
        log_coarse = np.log(np.clip(coarse_model.predict_proba(val.inputs).astype("float64"), 1e-12, None))
        print(f" coarse bucket {bucket * factor}: {len(coarse.points)} areas", flush=True)
        table = {alpha: combined(log_fine, log_coarse, area, alpha) for alpha in ALPHAS}
        for alpha, probs in table.items():
            print(f"  alpha {alpha:<5} (all validation) {cells(score(probs, val.latlon))}")
        tuned = {(alpha, k): score(probs[fifth != k], val.latlon[fifth != k])
                 for alpha, probs in table.items() for k in range(FIFTHS)}
        held = {(alpha, k): score(probs[fifth == k], val.latlon[fifth == k])
                for alpha, probs in table.items() for k in range(FIFTHS)}
        for target in ("acc_at_161_expected", "median_km_expected"):
            print(nested(tuned, held, target), flush=True)


def nested(tuned: dict[tuple[float, int], dict[str, float]], held: dict[tuple[float, int], dict[str, float]],
           target: str) -> str:
    """Alpha chosen by `target` on four fifths (`tuned`), scored on the fifth left out (`held`); the
    mean over fifths, and its difference from the fine model alone (alpha 0) on the same fifths (± standard error)."""
    sign = 1 if target.startswith("acc") else -1
    chosen = [max(ALPHAS, key=lambda a, k=k: sign * tuned[a, k][target]) for k in range(FIFTHS)]
    scored = [held[alpha, k] for k, alpha in enumerate(chosen)]
    diffs = [{m: scored[k][m] - held[0.0, k][m] for m in SHOWN} for k in range(FIFTHS)]
    mean = {m: float(np.mean([h[m] for h in scored])) for m in SHOWN}
    parts = []
    for m in SHOWN:
        d = np.array([x[m] for x in diffs])
        change, se = d.mean(), d.std(ddof=1) / np.sqrt(FIFTHS)
        parts.append(f"{m} {change:+.3f} ± {se:.3f}" if m.startswith("acc") else f"{m} {change:+.0f} ± {se:.0f}")
    return (f"  nested, alpha chosen by {target} {chosen}: {cells(mean)}\n"
            f"    minus the fine model on the same fifths: {'  '.join(parts)}")


if __name__ == "__main__":
    main()
