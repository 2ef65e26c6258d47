"""Train one run (a RunSpec) and write everything predict needs to models/<run>/."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pandas as pd

from tweetgeo import paths, runtime
from tweetgeo.config import ConfigError
from tweetgeo.cross_validation import cross_validate, members_cross_validate
from tweetgeo.io import atomic_dir, read_json, write_csv, write_json
from tweetgeo.model_card_text import write_model_card_text
from tweetgeo.modelcard import ModelCard, save_card
from tweetgeo.models.registry import Fitted
from tweetgeo.rundata import SplitData, label_points, load_run_splits, n_labels
from tweetgeo.runspec import RunSpec
from tweetgeo.runtime import keras  # TensorFlow imported quietly
from tweetgeo.schema import TEST, TRAIN, VALIDATION


def logging_callbacks(spec: RunSpec) -> list[keras.callbacks.Callback]:
    """Resumable backups (a killed run continues), a per-epoch log and dvclive curves.

    The backup (weights, epoch counter, epoch log, parameter stamp; the early-stopping and
    random-generator state, keras_training.ResumableEarlyStopping; the finished fit, _save_fitted)
    lives in paths.backup_dir(run), outside the DVC outputs; train_run deletes it only once every
    output is written, so a run killed at any point resumes after its last finished epoch (or
    from its finished fit) and ends as an uninterrupted run would.
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
NO_CURVES_NOTE = "README.md"  # written into the training-log folder of a family that logs no epochs


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
    """After a resume, history/epochs_run cover the epochs before the kill too.

    Keras' History only has this process's epochs; the backup's epoch log has them all (an
    epoch redone after a kill keeps its last row). best_epoch is already counted over them all
    (the early-stopping state survives a kill: keras_training.ResumableEarlyStopping).
    """
    log = paths.backup_dir(run) / EPOCH_LOG
    if "history" not in summary or not log.exists():
        return
    ran = len(summary["history"])
    hist = (pd.read_csv(log).drop_duplicates("epoch", keep="last").sort_values("epoch")
            .reset_index(drop=True))
    hist["epoch"] += 1
    summary.update(history=hist, epochs_run=len(hist), resumed_after_epoch=len(hist) - ran)


FITTED, FITTED_SUMMARY = "fitted", "fitted.json"  # in the backup: the fit, kept until the outputs are written


def _save_fitted(spec: RunSpec, fitted: Fitted, summary: dict) -> None:
    """Keep the finished fit in the backup, so a kill while the outputs are written resumes from
    it (the best weights and the same best_epoch), never by retraining or from the last epoch."""
    backup = paths.backup_dir(spec.name)
    with atomic_dir(backup / FITTED) as folder:
        spec.family.save(fitted.model, folder)
    record = dict(summary)
    if "history" in record:
        hist = record["history"]
        record["history"] = {"columns": list(hist.columns), "rows": hist.to_dict(orient="split")["data"]}
    write_json(record, backup / FITTED_SUMMARY)  # last: its presence means the fit is whole


def _load_fitted(spec: RunSpec, n_classes: int) -> tuple[Fitted, dict] | None:
    """The fit a killed run had finished (see _save_fitted), or None."""
    backup = paths.backup_dir(spec.name)
    if not (backup / FITTED_SUMMARY).is_file():
        return None
    try:
        summary = read_json(backup / FITTED_SUMMARY)
        model = spec.family.load_fitted(backup / FITTED, spec.task, n_classes)
        if "history" in summary:
            summary["history"] = pd.DataFrame(summary["history"]["rows"], columns=summary["history"]["columns"])
    except (ValueError, OSError, KeyError, TypeError):  # damaged: fit again (from the epoch backup)
        return None
    return Fitted(model, summary), summary


def _say_how_resumed(run: str, summary: dict) -> None:
    """A resumed fit says so, and whether it equals an uninterrupted run (train_summary.json:
    resumed_after_epoch, resumed_exactly)."""
    done = summary.get("resumed_after_epoch")
    if not done:
        return
    if summary.get("resumed_exactly", True):
        print(f"{run}: resumed after epoch {done} — same data order, random draws and early-stopping "
              "state as an uninterrupted run")
    else:
        print(f"{run}: resumed after epoch {done} — WARNING: the backup lacked the early-stopping/random "
              "state, so this run may differ from an uninterrupted one (resumed_exactly: false)")


def fit_model(spec: RunSpec, n_classes: int, train: SplitData, val: SplitData,
              callbacks: list | None = None) -> Fitted:
    """Fit the run's model with its family (Keras or not); callbacks are Keras ones."""
    return spec.family.fit(spec, n_classes, train, val, callbacks or [])


def decision_threshold(spec: RunSpec, model, val: SplitData) -> tuple[float, dict]:
    """Binary runs: train.threshold, or the F1-maximising one on validation; with the F1 it gives."""
    from tweetgeo.metrics import classification_metrics, f1_threshold

    prob = spec.family.scores(model, val.inputs, spec.task)["target"].reshape(-1)
    chosen = spec.train.threshold
    threshold = f1_threshold(val.labels, prob) if chosen == "validation_f1" else float(chosen)
    f1 = {f"validation_f1_at_{name}": round(classification_metrics(val.labels, prob >= t)["f1"], 4)
          for name, t in (("0.5", 0.5), ("threshold", threshold))}
    return threshold, {"threshold": round(threshold, 6), "threshold_rule": str(chosen), **f1}


def _note_without_curves(spec: RunSpec) -> None:
    """A family that logged no per-epoch curves gets a note in its training-log folder instead, so
    the folder is never empty (git keeps no empty folder: a fresh clone would miss the output)."""
    folder = paths.training_log_dir(spec.name)
    folder.mkdir(parents=True, exist_ok=True)
    if not any(path.name != NO_CURVES_NOTE for path in folder.iterdir()):
        (folder / NO_CURVES_NOTE).write_text(
            f"# {spec.name}: no per-epoch curves\n\nFamily `{spec.family.name}` logged no epochs here "
            f"(its fit summary: `{paths.train_summary(spec.model_dir)}`).\n", encoding="utf-8")


def save_model(spec: RunSpec, model, points: pd.DataFrame, n_classes: int, out: Path,
               threshold: float = 0.5) -> None:
    """Old card.json removed FIRST, then model file(s), label points, and card.json LAST: a
    directory without a card is unfinished (train_run writes into a fresh folder swapped in whole)."""
    out.mkdir(parents=True, exist_ok=True)
    paths.card(out).unlink(missing_ok=True)
    spec.family.save(model, out)
    if not points.empty:
        write_csv(points, paths.model_label_points(out))
    save_card(ModelCard(spec=spec, n_labels=n_classes, threshold=threshold), out)


def train_run(spec: RunSpec) -> Path:
    """Fit the run's model; save model, card, history, summary (+ k-fold CV, + repeats when asked)."""
    if spec.train.repeats > 1 and not spec.family.repeatable:  # params.yaml is checked; a spec may not be
        raise ConfigError(f"runs.{spec.name}.train.repeats: {spec.train.repeats}, but family "
                          f"{spec.family.name!r} is not a Keras family: only Keras runs are trained several times")
    runtime.seed_everything(spec.seed)
    splits = load_run_splits(spec, spec.train.max_train_rows)
    train = splits[TRAIN].subset(splits[TRAIN].labelled)
    val = splits[VALIDATION].subset(splits[VALIDATION].labelled)
    points = label_points(spec)
    n_classes = n_labels(spec, points)
    out = spec.model_dir
    started = time.perf_counter()
    callbacks = logging_callbacks(spec)  # (discards a backup made for other parameters)
    finished = _load_fitted(spec, n_classes)
    if finished:
        fitted, summary = finished
        summary["resumed_after_fit"] = True
        print(f"{spec.name}: resumed — training had finished before an interruption; writing the "
              f"outputs of that fit (best epoch {summary.get('best_epoch')} of {summary.get('epochs_run')})")
    else:
        fitted = fit_model(spec, n_classes, train, val, callbacks)
        summary = dict(fitted.summary)
        _whole_history(spec.name, summary)
        _say_how_resumed(spec.name, summary)
        _save_fitted(spec, fitted, summary)
    # dvclive's last-epoch summary repeats history.csv and is not a plot file: `dvc plots`
    # reads every file under reports/training, so keep only the curves there.
    (paths.training_log_dir(spec.name) / "metrics.json").unlink(missing_ok=True)
    _note_without_curves(spec)
    summary.update(train_seconds=round(time.perf_counter() - started, 1), train_rows=len(train),
                   validation_rows=len(val), device=runtime.device_name())
    threshold = 0.5
    if spec.task == "binary" and len(val):
        threshold, chosen = decision_threshold(spec, fitted.model, val)
        summary.update(chosen)
    cv = cross_validate(spec, points, n_classes, train, val) if spec.train.cv_folds and not spec.members else None
    repeats = train_repeats(spec, points, n_classes, train, val)
    if repeats:
        summary["repeats"] = spec.train.repeats
    scored = {name: (split if spec.task == "geo" else split.subset(split.labelled))  # the rows evaluate scores
              for name, split in splits.items() if name in (VALIDATION, TEST)}
    rows = {TRAIN: len(train), **{name: len(split) for name, split in scored.items()}}
    with atomic_dir(out) as folder:  # the run's folder is replaced whole, or not at all
        if "history" in summary:
            write_csv(summary.pop("history"), paths.history(folder))
        write_json(summary, paths.train_summary(folder))
        save_model(spec, fitted.model, points, n_classes, folder, threshold)
        if spec.train.cv_folds and spec.members:  # from the members' folds, decoded by the saved ensemble
            cv = members_cross_validate(spec, train, folder)
        if cv is not None:
            write_json(cv[0], paths.cv_summary(folder))
            cv[1].save(paths.cv_scores(folder))
        write_model_card_text(spec, n_classes, rows, summary, validation_metrics(spec, folder, scored[VALIDATION]),
                              folder)
        for i, finished in enumerate(repeats, start=1):
            shutil.copytree(finished, paths.repeat_model_dir(folder, i))
    shutil.rmtree(paths.backup_dir(spec.name), ignore_errors=True)
    return out


def repeat_spec(spec: RunSpec, repeat: int) -> RunSpec:
    """Repeat `repeat` of a run trained several times: the same run with seed + repeat."""
    return spec.model_copy(update={"seed": spec.seed + repeat})


def train_repeats(spec: RunSpec, points: pd.DataFrame, n_classes: int, train: SplitData,
                  val: SplitData) -> list[Path]:
    """Repeats 1…k-1 of a run with train.repeats = k (repeat 0 is the run itself): each fitted with
    seed + i and saved whole, as a run directory, in the backup — a finished repeat survives a kill.
    Returns their folders, for train_run to copy into models/<run>/repeats/<i>/."""
    k = spec.train.repeats
    folders = []
    for i in range(1, k):
        folder = paths.repeat_model_dir(paths.backup_dir(spec.name), i)
        folders.append(folder)
        if paths.card(folder).is_file():  # written last: this repeat had finished before a kill
            print(f"{spec.name}: repeat {i + 1}/{k} had finished before an interruption; kept")
            continue
        again = repeat_spec(spec, i)
        runtime.seed_everything(again.seed)
        started = time.perf_counter()
        fitted = fit_model(again, n_classes, train, val)
        summary = dict(fitted.summary)
        summary.update(repeat=i, seed=again.seed, train_seconds=round(time.perf_counter() - started, 1),
                       train_rows=len(train), validation_rows=len(val), device=runtime.device_name())
        threshold = 0.5
        if spec.task == "binary" and len(val):
            threshold, chosen = decision_threshold(again, fitted.model, val)
            summary.update(chosen)
        with atomic_dir(folder) as tmp:
            if "history" in summary:
                write_csv(summary.pop("history"), paths.history(tmp))
            write_json(summary, paths.train_summary(tmp))
            save_model(again, fitted.model, points, n_classes, tmp, threshold)
        print(f"{spec.name}: repeat {i + 1}/{k} (seed {again.seed}): best epoch {summary.get('best_epoch')} "
              f"of {summary.get('epochs_run')}")
    return folders


def validation_metrics(spec: RunSpec, model_dir: Path, val: SplitData) -> dict:
    """The saved model's validation metrics (no CIs), through the same Predictor as evaluate."""
    from tweetgeo.evaluate import prediction_table, split_metrics
    from tweetgeo.predict import Predictor

    if len(val.ids) == 0:
        return {}
    predicted = Predictor(model_dir).predict(inputs=val.inputs)
    return split_metrics(prediction_table(val, predicted), spec.task, 0, spec.seed)
