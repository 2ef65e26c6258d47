"""The TF-IDF yardstick's regularisation C, chosen by 5-fold CV on the TRAIN split (issue 10).

For each C: out-of-fold probabilities on the train split (the run's own TF-IDF features, fitted by
the embed stage on all train rows), F1 at the threshold that maximises the out-of-fold F1; then
the same C refitted on all train rows and scored on VALIDATION at that CV-chosen threshold. Test
is never read. Needs `dvc repro embed@<dataset>`. Binary (disaster) runs only. Usage:

    python experiments/yardstick_c.py [--run disaster-tfidf] [--c 0.3 1 3 10 30]
"""

from __future__ import annotations

import argparse

import numpy as np
from _binary_seeds import binary_run
from sklearn.model_selection import StratifiedKFold

from tweetgeo import paths
from tweetgeo.metrics import classification_metrics, f1_threshold
from tweetgeo.models.tfidf import TfidfLinear, load_vectorizers

FOLDS = 5


def out_of_fold(c: float, vectorizers, texts: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Positive-class probability of each train row from the fold model that did not see it."""
    prob = np.zeros(len(y))
    for fit_rows, held_rows in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(texts, y):
        model = TfidfLinear(c, vectorizers, seed=seed).fit(texts[fit_rows], y[fit_rows])
        prob[held_rows] = model.predict_proba(texts[held_rows])[:, 1]
    return prob


def cv_then_validation(c: float, vectorizers, train, val, seed: int) -> tuple[float, float, float]:
    """(out-of-fold F1 at its own F1-best threshold, that threshold, validation F1 at it of the
    model refitted on all train rows)."""
    oof = out_of_fold(c, vectorizers, train.inputs, train.labels, seed)
    threshold = f1_threshold(train.labels, oof)
    cv_f1 = classification_metrics(train.labels, oof >= threshold)["f1"]
    model = TfidfLinear(c, vectorizers, seed=seed).fit(train.inputs, train.labels)
    val_f1 = classification_metrics(val.labels, model.predict_proba(val.inputs)[:, 1] >= threshold)["f1"]
    return cv_f1, threshold, val_f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="disaster-tfidf")
    parser.add_argument("--c", type=float, nargs="+", default=[0.3, 1.0, 3.0, 10.0, 30.0])
    args = parser.parse_args()
    params, spec, train, val = binary_run(args.run)
    vectorizers = load_vectorizers(paths.features_dir(spec.dataset, "tfidf"))
    print(f"{args.run}: {len(train)} train rows ({FOLDS}-fold CV), {len(val)} validation rows")
    print(f"  {'C':>6}  {'CV F1 (OOF, best threshold)':>28}  {'threshold':>9}  {'validation F1 at it':>19}")
    for c in args.c:
        cv_f1, threshold, val_f1 = cv_then_validation(c, vectorizers, train, val, params.seed)
        print(f"  {c:>6g}  {cv_f1:>28.4f}  {threshold:>9.3f}  {val_f1:>19.4f}", flush=True)


if __name__ == "__main__":
    main()
