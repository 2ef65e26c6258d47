"""train.cv_folds: S1's k-fold cross-validation on the train split, reported as mean ± std."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixture_project import env, project_copy, write_params

SCRIPT = """
from tweetgeo.config import load_params
from tweetgeo.evaluate import evaluate_run
from tweetgeo.runspec import resolve_run
from tweetgeo.train import train_run
params = load_params("params.yaml")
for run in ("tiny-tfidf", "tiny-gru"):
    spec = resolve_run(params, run)
    train_run(spec)
    evaluate_run(spec, params.evaluate.bootstrap)
"""


def test_kfold_metrics_are_reported(tmp_path: Path) -> None:
    project = project_copy(tmp_path / "cv")
    write_params(project, **{"tiny-tfidf": {"cv_folds": 3}, "tiny-gru": {"cv_folds": 2}})
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=project, env=env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for run, k in (("tiny-tfidf", 3), ("tiny-gru", 2)):
        cv = json.loads((project / "models" / run / "cv.json").read_text())
        assert cv["folds"] == k
        for name in ("accuracy", "f1", "macro_f1"):
            summary = cv["metrics"][name]
            assert summary["folds"] == k
            assert 0.0 <= summary["mean"] <= 1.0 and summary["std"] >= 0.0
        metrics = json.loads((project / "reports/metrics" / f"{run}.json").read_text())
        assert metrics["cv"] == {name: stats["mean"] for name, stats in cv["metrics"].items()}
        details = json.loads((project / "reports/details" / f"{run}.json").read_text())
        assert details["cv"] == cv
    # the fold scores are not all identical: each fold held out different rows
    tfidf = json.loads((project / "models/tiny-tfidf/cv.json").read_text())
    assert tfidf["metrics"]["accuracy"]["std"] > 0.0


def test_out_of_fold_scores_are_kept_and_give_the_fold_metrics(tmp_path: Path) -> None:
    """cv_scores.npz holds each train row once, with the fold that held it out; the fold metrics
    in cv.json are those of its scores (what an ensemble's CV averages)."""
    import numpy as np
    from sklearn.metrics import accuracy_score

    from fixture_project import chdir
    from tweetgeo.config import load_params
    from tweetgeo.cross_validation import FoldScores
    from tweetgeo.rundata import load_run_splits
    from tweetgeo.runspec import resolve_run
    from tweetgeo.schema import TRAIN

    project = project_copy(tmp_path / "cv")
    write_params(project, **{"tiny-tfidf": {"cv_folds": 3}})
    proc = subprocess.run([sys.executable, "stages/train.py", "tiny-tfidf"], cwd=project, env=env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    scores = FoldScores.load(project / "models/tiny-tfidf/cv_scores.npz")
    with chdir(project):
        spec = resolve_run(load_params("params.yaml"), "tiny-tfidf")
        train = load_run_splits(spec, spec.train.max_train_rows)[TRAIN]
    train = train.subset(train.labelled)
    assert sorted(scores.ids) == sorted(train.ids.astype(str))  # each train row once
    assert sorted(np.unique(scores.fold)) == [0, 1, 2]
    aligned = scores.aligned(train.ids, "tiny-tfidf")
    accuracy = [accuracy_score(train.labels[aligned.fold == i],
                               aligned.scores["target"].reshape(-1)[aligned.fold == i] >= 0.5) for i in range(3)]
    cv = json.loads((project / "models/tiny-tfidf/cv.json").read_text())
    assert cv["metrics"]["accuracy"]["mean"] == pytest.approx(np.mean(accuracy))
