"""Train one run from params.yaml and write everything predict needs to models/<run>/."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from tweetgeo import paths, runtime
from tweetgeo.config import Params
from tweetgeo.geo import normalise_coords
from tweetgeo.io import write_csv, write_json
from tweetgeo.modelcard import ModelCard, save_card
from tweetgeo.rundata import SplitData, label_points, load_run_splits, n_labels
from tweetgeo.schema import TRAIN, VALIDATION


def targets_for(model: keras.Model, split: SplitData) -> dict[str, np.ndarray]:
    """The target array of each output the model has (outputs are named by contract)."""
    available = {"target": split.labels.astype("float32"), "label": split.labels}
    if split.latlon is not None:
        available["coords"] = normalise_coords(split.latlon).astype("float32")
        available["coords_deg"] = split.latlon.astype("float32")
    return {name: available[name] for name in model.output_names}


def make_dataset(model: keras.Model, split: SplitData, batch_size: int, seed: int,
                 shuffle: bool) -> tf.data.Dataset:
    """tf.data pipeline: (inputs, {output: target}) batches, shuffled with a fixed seed."""
    data = tf.data.Dataset.from_tensor_slices((split.inputs, targets_for(model, split)))
    if shuffle:
        data = data.shuffle(len(split), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def logging_callbacks(params: Params, run: str) -> list[keras.callbacks.Callback]:
    """Resumable backups (a killed run continues), a per-epoch log and dvclive curves.

    The backup (weights, epoch counter, epoch log, parameter stamp) lives in
    paths.backup_dir(run), outside the DVC outputs; train_run deletes it only once every
    output is written, so a run killed at any point resumes after its last finished epoch.
    A backup made with other parameters is discarded (_fresh_backup).
    """
    from dvclive import Live
    from dvclive.keras import DVCLiveCallback

    backup = paths.backup_dir(run)
    _fresh_backup(params, backup)
    live = Live(dir=str(paths.training_log_dir(run)), save_dvc_exp=False, dvcyaml=None,
                report=None, resume=(backup / EPOCH_LOG).exists())

    def set_step(epoch: int, logs=None) -> None:  # dvclive step = epoch index, also on resume
        live.step = epoch

    return [keras.callbacks.CSVLogger(str(backup / EPOCH_LOG), append=True),
            keras.callbacks.LambdaCallback(on_epoch_begin=set_step),
            DVCLiveCallback(live=live),
            keras.callbacks.BackupAndRestore(backup_dir=str(backup), delete_checkpoint=False,
                                             double_checkpoint=True)]


EPOCH_LOG = "epochs.csv"  # one row per finished epoch, across interruptions


def _fresh_backup(params: Params, backup: Path) -> None:
    """Keep a backup only if it was made with the same parameters; else start over."""
    import hashlib
    import json

    stamp = hashlib.sha256(json.dumps(params.model_dump(mode="json"), sort_keys=True,
                                      default=str).encode()).hexdigest()
    stamp_file = backup / "params.sha256"
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


def task_of(params: Params, run: str) -> str:
    return "binary" if params.runs[run].labels == "target" else "geo"


def fit_model(params: Params, run: str, train: SplitData, val: SplitData,
              extra_callbacks: list | None = None):
    """Fit the run's model (Keras or TF-IDF); return (model, summary)."""
    if params.model_for(run).family == "tfidf":
        return _fit_tfidf(params, run, train)
    return _fit_keras(params, run, train, val, extra_callbacks or [])


def save_model(params: Params, run: str, model, out: Path) -> None:
    """Model file(s), label points, then card.json LAST: a directory without a card is unfinished."""
    out.mkdir(parents=True, exist_ok=True)
    if params.model_for(run).family == "tfidf":
        model.save(out / "tfidf")
    else:
        model.save(out / "model.keras")
    points = label_points(params, run)
    if not points.empty:
        write_csv(points, out / "label_points.csv")
    save_card(ModelCard.for_run(params, run, task_of(params, run), n_labels(params, run)), out)


def train_run(params: Params, run: str) -> Path:
    """Fit the run's model; save model, card, history, summary (+ k-fold CV when asked)."""
    train_cfg = params.train_for(run)
    runtime.seed_everything(params.seed)
    splits = load_run_splits(params, run, train_cfg.max_train_rows)
    train = splits[TRAIN].subset(splits[TRAIN].labelled)
    val = splits[VALIDATION].subset(splits[VALIDATION].labelled)
    out = paths.model_dir(run)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model, summary = fit_model(params, run, train, val, logging_callbacks(params, run))
    _whole_history(run, summary)
    # dvclive's last-epoch summary repeats history.csv and is not a plot file: `dvc plots`
    # reads every file under reports/training, so keep only the curves there.
    (paths.training_log_dir(run) / "metrics.json").unlink(missing_ok=True)
    summary.update(train_seconds=round(time.perf_counter() - started, 1), train_rows=len(train),
                   validation_rows=len(val), device=runtime.device_name())
    if "history" in summary:
        write_csv(summary.pop("history"), out / "history.csv")
    if train_cfg.cv_folds:
        write_json(cross_validate(params, run, train, val, train_cfg.cv_folds), out / "cv.json")
    write_json(summary, out / "train_summary.json")
    save_model(params, run, model, out)
    shutil.rmtree(paths.backup_dir(run), ignore_errors=True)
    return out


def cross_validate(params: Params, run: str, train: SplitData, val: SplitData, k: int) -> dict:
    """S1's k-fold CV on the train split: fold models early-stop on validation, score on their fold."""
    from sklearn.model_selection import KFold

    from tweetgeo.evaluate import prediction_table, split_metrics
    from tweetgeo.metrics import kfold_summary
    from tweetgeo.predict import Predictor

    folds = []
    for i, (fit_idx, held_idx) in enumerate(
            KFold(k, shuffle=True, random_state=params.seed).split(train.ids)):
        runtime.seed_everything(params.seed + i + 1)
        model, _ = fit_model(params, run, _take(train, fit_idx), val)
        held = _take(train, held_idx)
        with tempfile.TemporaryDirectory() as tmp:
            save_model(params, run, model, Path(tmp))
            predicted = Predictor(Path(tmp), params.evaluate.decoding_top_k).predict(inputs=held.inputs)
        scores = split_metrics(prediction_table(held, predicted), task_of(params, run), 0, params.seed)
        folds.append({name: m["value"] for name, m in scores.items()})
        print(f"{run}: fold {i + 1}/{k}: {folds[-1]}")
    return {"folds": k, "metrics": kfold_summary(folds)}


def _take(split: SplitData, idx: np.ndarray) -> SplitData:
    mask = np.zeros(len(split), dtype=bool)
    mask[idx] = True
    return split.subset(mask)


def _fit_keras(params: Params, run: str, train: SplitData, val: SplitData,
               extra_callbacks: list) -> tuple[keras.Model, dict]:
    from tweetgeo import models
    from tweetgeo.embeddings import load_features

    cfg, train_cfg = params.runs[run], params.train_for(run)
    policy = runtime.set_precision(train_cfg.mixed_precision)
    kwargs: dict = {}
    if cfg.features == "encoder":
        kwargs["input_dim"] = train.inputs.shape[1]
    else:
        vocab, seq_len, matrix = load_features(paths.features_dir(cfg.dataset, cfg.features),
                                               cfg.features)
        kwargs.update(vocabulary=vocab, sequence_length=seq_len, embedding_matrix=matrix)
    with runtime.distribution_strategy(train_cfg.strategy).scope():
        model = models.build(params.model_for(run), task=task_of(params, run),
                             n_labels=n_labels(params, run), train=train_cfg, **kwargs)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=train_cfg.patience,
                                         restore_best_weights=True)
    history = model.fit(make_dataset(model, train, train_cfg.batch_size, params.seed, shuffle=True),
                        validation_data=make_dataset(model, val, train_cfg.batch_size, params.seed,
                                                     shuffle=False),
                        epochs=train_cfg.epochs, callbacks=[stop, *extra_callbacks], verbose=2)
    hist = pd.DataFrame(history.history)
    hist.insert(0, "epoch", np.arange(1, len(hist) + 1))
    best = int(hist["val_loss"].idxmin()) + 1 if "val_loss" in hist else len(hist)
    return model, {"parameters": int(model.count_params()), "epochs_run": len(hist),
                   "best_epoch": best, "precision_policy": policy, "history": hist}


def _fit_tfidf(params: Params, run: str, train: SplitData):
    from tweetgeo.models.tfidf import TfidfLinear, load_vectorizers

    vectorizers = load_vectorizers(paths.features_dir(params.runs[run].dataset, "tfidf"))
    model = TfidfLinear(params.model_for(run), vectorizers, seed=params.seed)
    model.fit(train.inputs, train.labels)
    return model, {"parameters": model.parameter_count(), "epochs_run": 1, "best_epoch": 1}
