"""Other linear classifiers on the disaster yardstick's features, by 5-fold CV on the TRAIN split (issue 10).

The yardstick is an L2 logistic regression on the embed stage's TF-IDF word + character n-grams.
Two classic alternatives on the same features: a linear SVM (the public "TF-IDF + SVC" anchor) and
NB weighting (Wang & Manning 2012, NBSVM: each feature scaled by its log-count ratio between the
classes, computed on the rows a model is fitted on), each with logistic regression and with the SVM.
Protocol as `yardstick_c.py`: out-of-fold scores on train, F1 at their own F1-best threshold; then
refitted on all train rows and scored on VALIDATION at that threshold. Test is never read. Needs
`dvc repro embed@disaster`. Usage:

    python experiments/linear_variants.py [--run disaster-tfidf] [--c 0.3 1 3]
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.sparse as sp
from _binary_seeds import binary_run
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from tweetgeo import paths
from tweetgeo.metrics import classification_metrics, f1_threshold
from tweetgeo.models.tfidf import load_vectorizers, transform

FOLDS = 5
NB_ALPHA = 1.0  # Laplace smoothing of the log-count ratio (Wang & Manning 2012)


def nb_ratio(x: sp.csr_matrix, y: np.ndarray) -> np.ndarray:
    """Log-count ratio of each feature between the positive and negative rows (binarised counts)."""
    present = (x > 0).astype(np.float64)
    p = NB_ALPHA + np.asarray(present[y == 1].sum(axis=0)).ravel()
    q = NB_ALPHA + np.asarray(present[y == 0].sum(axis=0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum()))


def fit_score(kind: str, c: float, x_fit, y_fit, x_score, seed: int) -> np.ndarray:
    """Scores of x_score from a `kind` model (lr, svm, nb-lr, nb-svm) fitted on (x_fit, y_fit)."""
    if kind.startswith("nb-"):
        r = sp.diags(nb_ratio(x_fit, y_fit))
        x_fit, x_score = x_fit @ r, x_score @ r
    if kind.endswith("svm"):
        model = LinearSVC(C=c, random_state=seed).fit(x_fit, y_fit)
        return model.decision_function(x_score)
    model = LogisticRegression(C=c, solver="liblinear", random_state=seed).fit(x_fit, y_fit)
    return model.predict_proba(x_score)[:, 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="disaster-tfidf")
    parser.add_argument("--c", type=float, nargs="+", default=[0.3, 1.0, 3.0])
    args = parser.parse_args()
    params, spec, train, val = binary_run(args.run)
    vectorizers = load_vectorizers(paths.features_dir(spec.dataset, "tfidf"))
    x, y = transform(vectorizers, train.inputs), train.labels
    x_val = transform(vectorizers, val.inputs)
    print(f"{args.run}: {len(y)} train rows ({FOLDS}-fold CV), {len(val)} validation rows, {x.shape[1]} features")
    print(f"  {'model':<7} {'C':>5}  {'CV F1 (OOF, best threshold)':>28}  {'validation F1 at it':>19}")
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=params.seed).split(x, y))
    for kind in ("lr", "svm", "nb-lr", "nb-svm"):
        for c in args.c:
            oof = np.zeros(len(y))
            for fit_rows, held_rows in folds:
                oof[held_rows] = fit_score(kind, c, x[fit_rows], y[fit_rows], x[held_rows], params.seed)
            threshold = f1_threshold(y, oof)
            cv_f1 = classification_metrics(y, oof >= threshold)["f1"]
            val_scores = fit_score(kind, c, x, y, x_val, params.seed)
            val_f1 = classification_metrics(val.labels, val_scores >= threshold)["f1"]
            print(f"  {kind:<7} {c:>5g}  {cv_f1:>28.4f}  {val_f1:>19.4f}", flush=True)


if __name__ == "__main__":
    main()
