"""Which geo runs to average, and with what weight: greedy forward selection on VALIDATION only.

The geo counterpart of `ensemble_selection.py`. Geo predictions are saved as top-5 labels only, so
each candidate run (same data set and label scheme as the ensemble) is loaded and scores its own
validation inputs once; then Caruana et al. (2004)'s greedy selection *with replacement* (a run picked
twice weighs double) adds, step by step, the run whose weighted mean of label probabilities lowers the
validation median km (expected-distance decoding, the Yachay bar's metric) the most, and stops when
none does. Because the same rows choose and score, the procedure is also run inside a 5-fold split
of the validation rows (choose on four fifths, score the fifth) to show its selection optimism.
Test is never read. Needs a finished `dvc repro`. Usage:

    python experiments/geo_ensemble_selection.py [--ensemble yachay-network-ensemble-kdtree]
                                                 [--runs RUN …] [--max-steps 8]
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.model_selection import KFold

from tweetgeo import paths
from tweetgeo.config import load_params
from tweetgeo.metrics import expected_distance_decode, geo_metrics, label_distances
from tweetgeo.predict import Predictor
from tweetgeo.rundata import load_run_splits
from tweetgeo.runspec import resolve_run
from tweetgeo.schema import VALIDATION

SHOWN = ("acc_at_161", "median_km", "acc_at_161_expected", "median_km_expected")


def candidates(params, ensemble: str) -> list[str]:
    """Every run of `runs` on the ensemble's data set and label scheme with label outputs."""
    spec = resolve_run(params, ensemble)
    names = []
    for name in params.runs:
        run = resolve_run(params, name)
        if run.dataset == spec.dataset and run.labels == spec.labels and run.family.output == "labels":
            names.append(name)
    return names


def validation_scores(params, runs: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray], Predictor]:
    """True (lat, lon) per validation row and each run's label probabilities, rows aligned by id."""
    truth, ids, scores, first = None, None, {}, None
    for name in runs:
        spec = resolve_run(params, name)
        split = load_run_splits(spec)[VALIDATION]
        order = np.argsort(split.ids, kind="stable")
        predictor = Predictor(paths.model_dir(name))
        probs = predictor.scores(split.inputs)["label"].astype("float64")[order]
        if ids is None:
            ids, truth, first = split.ids[order], split.latlon[order], predictor
        elif not np.array_equal(ids, split.ids[order]):
            raise SystemExit(f"{name}: other validation rows than {runs[0]}")
        scores[name] = probs
        print(f"  scored {name}", flush=True)
    return truth, scores, first


class Scorer:
    """Geo metrics of a probability matrix on some rows, both decodings (the run's decoding top-k)."""

    def __init__(self, truth: np.ndarray, predictor: Predictor) -> None:
        self.truth = truth
        self.latlon = predictor.points[["lat", "lon"]].to_numpy("float64")
        self.top_k = predictor.spec.decoding_top_k
        self.distances = label_distances(self.latlon)

    def __call__(self, probs: np.ndarray, rows: np.ndarray) -> dict[str, float]:
        truth = self.truth[rows]
        out = geo_metrics(truth, self.latlon[probs.argmax(axis=1)])
        decoded = expected_distance_decode(probs, self.latlon, self.top_k, self.distances)
        out.update({f"{k}_expected": v for k, v in geo_metrics(truth, decoded).items()})
        return out


def greedy(scores: dict[str, np.ndarray], scorer: Scorer, rows: np.ndarray, max_steps: int,
           metric: str = "median_km_expected") -> tuple[list[str], dict[str, float]]:
    """Forward selection with replacement, lower `metric` is better; the picks (repeats weigh more)."""
    picks: list[str] = []
    total = None
    best, total_scores = np.inf, {}
    for _ in range(max_steps):
        trial = {}
        for name, probs in scores.items():
            mean = (probs[rows] if total is None else (total + probs[rows]) / (len(picks) + 1))
            trial[name] = (scorer(mean, rows), probs[rows])
        name = min(trial, key=lambda n: trial[n][0][metric])
        if trial[name][0][metric] >= best:
            break
        best = trial[name][0][metric]
        picks.append(name)
        total = trial[name][1].copy() if total is None else total + trial[name][1]
        total_scores = trial[name][0]  # `total` is a running sum: the next mean divides by len(picks) + 1
    return picks, total_scores


def mean_of(scores: dict[str, np.ndarray], picks: list[str], rows: np.ndarray) -> np.ndarray:
    return sum(scores[p][rows] for p in picks) / len(picks)


def _cells(metrics: dict[str, float]) -> str:
    return "  ".join(f"{m} {metrics[m]:.3f}" if m.startswith("acc") else f"{m} {metrics[m]:.0f}" for m in SHOWN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ensemble", default="yachay-network-ensemble-kdtree")
    parser.add_argument("--runs", nargs="+", help="candidate runs (default: every run the ensemble could average)")
    parser.add_argument("--max-steps", type=int, default=8)
    args = parser.parse_args()
    params = load_params()
    runs = args.runs or candidates(params, args.ensemble)
    print(f"{args.ensemble}: candidates {', '.join(runs)}")
    truth, scores, first = validation_scores(params, runs)
    scorer = Scorer(truth, first)
    every = np.arange(len(truth))
    print(f"validation: {len(truth)} rows")
    for name in runs:
        print(f"  {name:34s} {_cells(scorer(scores[name], every))}")
    members = resolve_run(params, args.ensemble).members
    shipped = [m.name for m in members]
    print(f"  {'shipped: ' + ' + '.join(shipped):34s} {_cells(scorer(mean_of(scores, shipped, every), every))}")
    picks, result = greedy(scores, scorer, every, args.max_steps)
    print(f"  {'greedy: ' + ' + '.join(picks):34s} {_cells(result)}  (optimistic: the same rows chose)")
    folds = KFold(5, shuffle=True, random_state=0)
    outer = {"greedy": [], "shipped": []}
    for i, (choose, held) in enumerate(folds.split(every)):
        fold_picks, _ = greedy(scores, scorer, choose, args.max_steps)
        outer["greedy"].append(scorer(mean_of(scores, fold_picks, held), held))
        outer["shipped"].append(scorer(mean_of(scores, shipped, held), held))
        print(f"  fold {i}: picks {' + '.join(fold_picks)}", flush=True)
    for name, rows in outer.items():
        cells = "  ".join(f"{m} {np.mean([r[m] for r in rows]):.3f} ± {np.std([r[m] for r in rows]):.3f}"
                          if m.startswith("acc") else
                          f"{m} {np.mean([r[m] for r in rows]):.0f} ± {np.std([r[m] for r in rows]):.0f}"
                          for m in SHOWN)
        print(f"  5-fold within validation, {name:8s} {cells}")


if __name__ == "__main__":
    main()
