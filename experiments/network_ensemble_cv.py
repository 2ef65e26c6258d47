"""GeoText's network ensemble under 5-fold CV for each `max_mentioners` of its mention graph (issue 10).

The TF-IDF MLP's out-of-fold scores come from its own CV (`models/geotext-tfidf-mlp-kdtree/
cv_scores.npz`); for each fold a mention graph is fitted on the other folds' rows and scores the
held-out rows; their mean is scored fold by fold through the saved network ensemble (its label
points and decoding), as the ensemble's own CV does (`cross_validation.members_cross_validate`).
The choice of `max_mentioners` was made on validation (`experiments/mention_graph.py`); this
prints what each value gives on the CV headline. Test is never read. Needs a finished `dvc repro`.
Usage: python experiments/network_ensemble_cv.py [--max-mentioners 2 3 5 10 30]
"""

from __future__ import annotations

import argparse

import numpy as np

from tweetgeo import paths
from tweetgeo.config import load_params
from tweetgeo.cross_validation import FoldScores, score_folds
from tweetgeo.metrics import kfold_summary
from tweetgeo.models.families.mention_graph import MentionGraph
from tweetgeo.predict import Predictor
from tweetgeo.rundata import load_run_splits
from tweetgeo.runspec import resolve_run

ENSEMBLE, TEXT, GRAPH = "geotext-network-ensemble-kdtree", "geotext-tfidf-mlp-kdtree", "geotext-mentions-kdtree"
SHOWN = ("acc_at_161", "acc_at_161_expected", "median_km", "median_km_expected")


def _line(name: str, fold_metrics: list[dict[str, float]]) -> str:
    summary = kfold_summary(fold_metrics)
    cells = [f"{m} {summary[m]['mean']:.3f} ± {summary[m]['std']:.3f}" if m.startswith("acc")
             else f"{m} {summary[m]['mean']:.0f} ± {summary[m]['std']:.0f}" for m in SHOWN]
    return f"  {name:34s} " + "  ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-mentioners", type=int, nargs="+", default=[2, 3, 5, 10, 30])
    args = parser.parse_args()
    params = load_params()
    spec = resolve_run(params, ENSEMBLE)
    train = load_run_splits(resolve_run(params, GRAPH))["train"]
    text = FoldScores.load(paths.cv_scores(paths.model_dir(TEXT))).aligned(train.ids, TEXT)
    predictor = Predictor(paths.model_dir(ENSEMBLE, ensemble=True))
    mlp = text.scores["label"].astype("float64")
    n_labels, k = mlp.shape[1], int(text.fold.max()) + 1
    print(f"{ENSEMBLE}: {len(train)} train rows, {k}-fold CV (the MLP's folds), {n_labels} labels; "
          f"mean ± std over folds")
    print(_line("TF-IDF MLP alone", score_folds(spec, train, text.fold, {"label": mlp}, predictor)))
    for cap in args.max_mentioners:
        graph = np.zeros_like(mlp)
        for i in range(k):
            held = text.fold == i
            fitted = MentionGraph.fit(train.inputs[~held], train.labels[~held], n_labels, cap, 1.0)
            graph[held] = fitted.label_probabilities(train.inputs[held])
        for name, scores in (("graph alone", graph), ("with the MLP", (mlp + graph) / 2)):
            folds = score_folds(spec, train, text.fold, {"label": scores.astype("float32")}, predictor)
            print(_line(f"max_mentioners {cap:>3}: {name}", folds), flush=True)


if __name__ == "__main__":
    main()
