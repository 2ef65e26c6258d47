"""Train one run (a RunSpec) and write everything predict needs to models/<run>/."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from tweetgeo import paths, runtime
from tweetgeo.io import write_csv, write_json
from tweetgeo.model_card_text import write_model_card_text
from tweetgeo.modelcard import ModelCard, save_card
from tweetgeo.models.registry import Fitted
from tweetgeo.rundata import SplitData, label_points, load_run_splits, n_labels
from tweetgeo.runspec import RunSpec
from tweetgeo.runtime import keras  # TensorFlow imported quietly
from tweetgeo.schema import TEST, TRAIN, VALIDATION


def logging_callbacks(spec: RunSpec) -> list[keras.callbacks.Callback]:
    """Resumable backups (a killed run continues), a per-epoch log and dvclive curves.

    The backup (weights, epoch counter, epoch log, parameter stamp) lives in
    paths.backup_dir(run), outside the DVC outputs; train_run deletes it only once every
    output is written, so a run killed at any point resumes after its last finished epoch.
    A backup made for another run spec is discarded (_fresh_backup).
    """
    from dvclive import Live
    from dvclive.keras import DVCLiveCallback

    backup = paths.backup_dir(spec.name)
    _fresh_backup(spec, backup)
    live = Live(dir=str(paths.training_log_dir(spec.name)), save_dvc_exp=False, dvcyaml=None,
                report=None, resume=(backup / EPOCH_LOG).exists())

    def set_step(epoch: int, logs=None) -> None:  # dvclive step = epoch index, also on resume
        live.step = epoch

    return [keras.callbacks.CSVLogger(str(backup / EPOCH_LOG), append=True),
            keras.callbacks.LambdaCallback(on_epoch_begin=set_step),
            DVCLiveCallback(live=live),
            keras.callbacks.BackupAndRestore(backup_dir=str(backup), delete_checkpoint=False,
                                             double_checkpoint=True)]


EPOCH_LOG = "epochs.csv"  # one row per finished epoch, across interruptions


def _fresh_backup(spec: RunSpec, backup: Path) -> None:
    """Keep a backup only if it was made for the same run spec (other runs' params do not matter)."""
    stamp = spec.stamp()
    stamp_file = backup / "spec.sha256"
    meta = backup / "training_metadata.json"
    try:  # a kill while Keras wrote it leaves it torn: start over rather than crash
        torn = meta.exists() and not isinstance(json.loads(meta.read_text()).get("epoch"), int)
    except (ValueError, AttributeError):
        torn = True
    if backup.exists() and (torn or not stamp_file.exists() or stamp_file.read_text() != stamp):
        shutil.rmtree(backup)
    backup.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(stamp)


def _whole_history(run: str, summary: dict) -> None:
    """After a resume, history/epochs_run/best_epoch cover the epochs before the kill too.

    Keras' History only has this process's epochs; the backup's epoch log has them all (an
    epoch redone after a kill keeps its last row). EarlyStopping restored the best weights of
    the epochs this process ran (with none run, the backup's last epoch is kept).
    """
    log = paths.backup_dir(run) / EPOCH_LOG
    if "history" not in summary or not log.exists():
        return
    ran = len(summary["history"])
    hist = (pd.read_csv(log).drop_duplicates("epoch", keep="last").sort_values("epoch")
            .reset_index(drop=True))
    hist["epoch"] += 1
    resumed = len(hist) - ran
    summary.update(history=hist, epochs_run=len(hist), resumed_after_epoch=resumed,
                   best_epoch=summary["best_epoch"] + resumed if ran else len(hist))


def fit_model(spec: RunSpec, n_classes: int, train: SplitData, val: SplitData,
              callbacks: list | None = None) -> Fitted:
    """Fit the run's model with its family (Keras or not); callbacks are Keras ones."""
    return spec.family.fit(spec, n_classes, train, val, callbacks or [])


def save_model(spec: RunSpec, model, points: pd.DataFrame, n_classes: int, out: Path) -> None:
    """Model file(s), label points, then card.json LAST: a directory without a card is unfinished."""
    out.mkdir(parents=True, exist_ok=True)
    spec.family.save(model, out)
    if not points.empty:
        write_csv(points, paths.model_label_points(out))
    save_card(ModelCard(spec=spec, n_labels=n_classes), out)


def train_run(spec: RunSpec) -> Path:
    """Fit the run's model; save model, card, history, summary (+ k-fold CV when asked)."""
    runtime.seed_everything(spec.seed)
    splits = load_run_splits(spec, spec.train.max_train_rows)
    train = splits[TRAIN].subset(splits[TRAIN].labelled)
    val = splits[VALIDATION].subset(splits[VALIDATION].labelled)
    points = label_points(spec)
    n_classes = n_labels(spec, points)
    out = paths.model_dir(spec.name)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    fitted = fit_model(spec, n_classes, train, val, logging_callbacks(spec))
    summary = dict(fitted.summary)
    _whole_history(spec.name, summary)
    # dvclive's last-epoch summary repeats history.csv and is not a plot file: `dvc plots`
    # reads every file under reports/training, so keep only the curves there.
    (paths.training_log_dir(spec.name) / "metrics.json").unlink(missing_ok=True)
    summary.update(train_seconds=round(time.perf_counter() - started, 1), train_rows=len(train),
                   validation_rows=len(val), device=runtime.device_name())
    if "history" in summary:
        write_csv(summary.pop("history"), paths.history(out))
    if spec.train.cv_folds:
        write_json(cross_validate(spec, points, n_classes, train, val), paths.cv_summary(out))
    write_json(summary, paths.train_summary(out))
    save_model(spec, fitted.model, points, n_classes, out)
    scored = {name: (split if spec.task == "geo" else split.subset(split.labelled))  # the rows evaluate scores
              for name, split in splits.items() if name in (VALIDATION, TEST)}
    rows = {TRAIN: len(train), **{name: len(split) for name, split in scored.items()}}
    write_model_card_text(spec, n_classes, rows, summary, validation_metrics(spec, out, scored[VALIDATION]), out)
    shutil.rmtree(paths.backup_dir(spec.name), ignore_errors=True)
    return out


def validation_metrics(spec: RunSpec, model_dir: Path, val: SplitData) -> dict:
    """The saved model's validation metrics (no CIs), through the same Predictor as evaluate."""
    from tweetgeo.evaluate import prediction_table, split_metrics
    from tweetgeo.predict import Predictor

    if len(val.ids) == 0:
        return {}
    predicted = Predictor(model_dir).predict(inputs=val.inputs)
    return split_metrics(prediction_table(val, predicted), spec.task, 0, spec.seed)


def cross_validate(spec: RunSpec, points: pd.DataFrame, n_classes: int, train: SplitData,
                   val: SplitData) -> dict:
    """S1's k-fold CV on the train split: fold models early-stop on validation, score on their fold."""
    from sklearn.model_selection import KFold

    from tweetgeo.evaluate import prediction_table, split_metrics
    from tweetgeo.metrics import kfold_summary
    from tweetgeo.predict import Predictor

    k, folds = spec.train.cv_folds, []
    for i, (fit_idx, held_idx) in enumerate(KFold(k, shuffle=True, random_state=spec.seed).split(train.ids)):
        runtime.seed_everything(spec.seed + i + 1)
        fitted = fit_model(spec, n_classes, train.subset(fit_idx), val)
        held = train.subset(held_idx)
        with tempfile.TemporaryDirectory() as tmp:
            save_model(spec, fitted.model, points, n_classes, Path(tmp))
            predicted = Predictor(Path(tmp)).predict(inputs=held.inputs)
        scores = split_metrics(prediction_table(held, predicted), spec.task, 0, spec.seed)
        folds.append({name: m["value"] for name, m in scores.items()})
        print(f"{spec.name}: fold {i + 1}/{k}: {folds[-1]}")
    return {"folds": k, "metrics": kfold_summary(folds)}
