"""k-fold cross-validation on the train split (S1: `train.cv_folds`), of a run and of an ensemble.

A run's CV fits one model per fold (each early-stops on validation), scores the rows its fold held
out and keeps those out-of-fold scores (paths.cv_scores) beside the mean ± std of the fold metrics.
An ensemble's CV refits nothing: the mean of its members' out-of-fold scores is what the mean of
their fold models answers, so each fold is scored from it as a run's is. Its members must have run
the same CV (params.yaml is checked for it), and their folds must agree row by row.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tweetgeo import paths, runtime
from tweetgeo.errors import ModelDirError
from tweetgeo.rundata import SplitData
from tweetgeo.runspec import RunSpec

SCORE_PREFIX = "score_"  # cv_scores.npz: ids, fold, and one array per model output (score_label, …)


@dataclass
class FoldScores:
    """Each train row's model outputs from the fold model that held it out."""

    ids: np.ndarray  # str, train row ids
    fold: np.ndarray  # int, the fold that held the row out
    scores: dict[str, np.ndarray]  # model outputs by name (Predictor.scores), row-aligned with ids

    def save(self, path: Path) -> None:
        np.savez_compressed(path, ids=self.ids.astype(str), fold=self.fold.astype("int64"),
                            **{SCORE_PREFIX + name: value for name, value in self.scores.items()})

    @classmethod
    def load(cls, path: Path) -> FoldScores:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["ids"], data["fold"],
                       {key[len(SCORE_PREFIX):]: data[key] for key in data.files if key.startswith(SCORE_PREFIX)})

    def aligned(self, ids: np.ndarray, where: str) -> FoldScores:
        """The same scores in the order of `ids`, which must be exactly the rows scored here."""
        position = pd.Index(self.ids).get_indexer(ids.astype(str))
        if len(ids) != len(self.ids) or (position < 0).any():
            raise ModelDirError(f"{where}: its CV scored {len(self.ids)} train rows, not the {len(ids)} "
                                f"rows of the ensemble's train split; retrain it")
        return FoldScores(self.ids[position], self.fold[position],
                          {name: value[position] for name, value in self.scores.items()})


def score_folds(spec: RunSpec, train: SplitData, folds: np.ndarray, scores: dict[str, np.ndarray],
                predictor) -> list[dict[str, float]]:
    """Each fold's metrics from out-of-fold `scores`, decoded by `predictor` (the run's own)."""
    from tweetgeo.evaluate import prediction_table, split_metrics

    metrics = []
    for i in range(int(folds.max()) + 1):
        held = folds == i
        predicted = predictor.frame({name: value[held] for name, value in scores.items()}, int(held.sum()))
        result = split_metrics(prediction_table(train.subset(held), predicted), spec.task, 0, spec.seed)
        metrics.append({name: m["value"] for name, m in result.items()})
    return metrics


def summary(k: int, fold_metrics: list[dict[str, float]], **facts) -> dict:
    """cv.json: the fold count, each metric's mean ± std over folds, and how the folds were scored."""
    from tweetgeo.metrics import kfold_summary

    return {"folds": k, **facts, "metrics": kfold_summary(fold_metrics)}


def cross_validate(spec: RunSpec, points: pd.DataFrame, n_classes: int, train: SplitData,
                   val: SplitData) -> tuple[dict, FoldScores]:
    """S1's k-fold CV on the train split: fold models early-stop on validation, score on their fold."""
    from sklearn.model_selection import KFold

    from tweetgeo.predict import Predictor
    from tweetgeo.train import fit_model, save_model

    k = spec.train.cv_folds
    folds = np.zeros(len(train), dtype="int64")
    outputs: dict[str, np.ndarray] = {}  # each output's out-of-fold rows, filled fold by fold
    fold_metrics = []
    for i, (fit_idx, held_idx) in enumerate(KFold(k, shuffle=True, random_state=spec.seed).split(train.ids)):
        runtime.seed_everything(spec.seed + i + 1)
        fitted = fit_model(spec, n_classes, train.subset(fit_idx), val)
        held = train.subset(held_idx)
        with tempfile.TemporaryDirectory() as tmp:
            save_model(spec, fitted.model, points, n_classes, Path(tmp))
            predictor = Predictor(Path(tmp))
            scores = predictor.scores(held.inputs)
            fold_metrics += score_folds(spec, held, np.zeros(len(held), dtype="int64"), scores, predictor)
        folds[held_idx] = i
        for name, value in scores.items():
            if name not in outputs:
                outputs[name] = np.empty((len(train), *value.shape[1:]), value.dtype)
            outputs[name][held_idx] = value
        print(f"{spec.name}: fold {i + 1}/{k}: {fold_metrics[-1]}")
    return summary(k, fold_metrics), FoldScores(train.ids, folds, outputs)


def members_cross_validate(spec: RunSpec, train: SplitData, model_dir: Path) -> tuple[dict, FoldScores]:
    """An ensemble's k-fold CV: the mean of its members' out-of-fold scores, scored fold by fold
    through the ensemble saved in `model_dir` (its label points and decoding)."""
    from tweetgeo.models.families.ensemble import trained_member
    from tweetgeo.predict import Predictor

    key = "target" if spec.task == "binary" else "label"
    members = []
    for member in spec.members:
        folder = trained_member(member, train.ids)
        where = f"{member.model_dir} (member {member.name!r} of {spec.name!r})"
        if folder is None or not paths.cv_scores(folder).is_file():
            raise ModelDirError(f"{where}: no out-of-fold scores ({paths.cv_scores(member.model_dir).name}) "
                                f"from a CV on the ensemble's train rows; retrain it (dvc repro train@{member.name})")
        members.append((where, FoldScores.load(paths.cv_scores(folder)).aligned(train.ids, where)))
    folds = members[0][1].fold
    for where, scores in members:
        if not np.array_equal(scores.fold, folds) or key not in scores.scores:
            raise ModelDirError(f"{where}: its CV folds or outputs differ from {members[0][0]}'s; "
                                f"members need the same seed and train.cv_folds")
    total = sum(scores.scores[key].astype("float64").reshape(len(train), -1) for _, scores in members)
    mean = (total / len(members)).astype("float32")
    mean = mean.reshape(len(train)) if spec.task == "binary" else mean
    fold_metrics = score_folds(spec, train, folds, {key: mean}, Predictor(model_dir))
    for i, metrics in enumerate(fold_metrics):
        print(f"{spec.name}: fold {i + 1}/{len(fold_metrics)}: {metrics}")
    return (summary(len(fold_metrics), fold_metrics, scored_from="the members' out-of-fold scores"),
            FoldScores(train.ids, folds, {key: mean}))
