"""Train one run from params.yaml and write everything predict needs to models/<run>/."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from tweetgeo import paths, runtime
from tweetgeo.config import Params
from tweetgeo.geo import normalise_coords
from tweetgeo.io import write_csv, write_json
from tweetgeo.modelcard import ModelCard, save_card
from tweetgeo.rundata import SplitData, label_points, load_run_splits, n_labels
from tweetgeo.schema import TRAIN, VALIDATION

import keras  # noqa: E402  (after runtime: quiet TensorFlow)
import tensorflow as tf  # noqa: E402


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


def callbacks(params: Params, run: str, patience: int) -> list[keras.callbacks.Callback]:
    """Early stopping (best weights back), resumable backups, dvclive curves."""
    from dvclive import Live
    from dvclive.keras import DVCLiveCallback

    live = Live(dir=str(paths.training_log_dir(run)), save_dvc_exp=False, dvcyaml=None,
                report=None, resume=paths.backup_dir(run).exists())
    return [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                      restore_best_weights=True),
        keras.callbacks.BackupAndRestore(backup_dir=str(paths.backup_dir(run))),
        DVCLiveCallback(live=live),
    ]


def train_run(params: Params, run: str) -> Path:
    """Fit the run's model; save model, card, label points, history, summary."""
    cfg, model_cfg, train_cfg = params.runs[run], params.model_for(run), params.train_for(run)
    runtime.seed_everything(params.seed)
    splits = load_run_splits(params, run, train_cfg.max_train_rows)
    train = splits[TRAIN].subset(splits[TRAIN].labelled)
    val = splits[VALIDATION].subset(splits[VALIDATION].labelled)
    task = "binary" if cfg.labels == "target" else "geo"
    out = paths.model_dir(run)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if model_cfg.family == "tfidf":
        summary = _fit_tfidf(params, run, train, out)
    else:
        summary = _fit_keras(params, run, task, train, val, out)
    summary.update(train_seconds=round(time.perf_counter() - started, 1),
                   train_rows=len(train), validation_rows=len(val), device=runtime.device_name())
    points = label_points(params, run)
    if not points.empty:
        write_csv(points, out / "label_points.csv")
    save_card(ModelCard.for_run(params, run, task, n_labels(params, run)), out)
    write_json(summary, out / "train_summary.json")
    shutil.rmtree(paths.backup_dir(run), ignore_errors=True)
    return out


def _fit_keras(params: Params, run: str, task: str, train: SplitData, val: SplitData,
               out: Path) -> dict:
    from tweetgeo import models
    from tweetgeo.embeddings import load_features

    cfg, model_cfg, train_cfg = params.runs[run], params.model_for(run), params.train_for(run)
    policy = runtime.set_precision(train_cfg.mixed_precision)
    kwargs: dict = {}
    if cfg.features == "encoder":
        kwargs["input_dim"] = train.inputs.shape[1]
    else:
        vocab, seq_len, matrix = load_features(paths.features_dir(cfg.dataset, cfg.features),
                                               cfg.features)
        kwargs.update(vocabulary=vocab, sequence_length=seq_len, embedding_matrix=matrix)
    with runtime.distribution_strategy(train_cfg.strategy).scope():
        model = models.build(model_cfg, task=task, n_labels=n_labels(params, run),
                             train=train_cfg, **kwargs)
    fit_data = make_dataset(model, train, train_cfg.batch_size, params.seed, shuffle=True)
    val_data = make_dataset(model, val, train_cfg.batch_size, params.seed, shuffle=False)
    history = model.fit(fit_data, validation_data=val_data, epochs=train_cfg.epochs,
                        callbacks=callbacks(params, run, train_cfg.patience), verbose=2)
    model.save(out / "model.keras")
    import pandas as pd

    hist = pd.DataFrame(history.history)
    hist.insert(0, "epoch", np.arange(1, len(hist) + 1))
    write_csv(hist, out / "history.csv")
    best = int(hist["val_loss"].idxmin()) + 1 if "val_loss" in hist else len(hist)
    return {"parameters": int(model.count_params()), "epochs_run": len(hist),
            "best_epoch": best, "precision_policy": policy}


def _fit_tfidf(params: Params, run: str, train: SplitData, out: Path) -> dict:
    from tweetgeo.models.tfidf import TfidfLinear, load_vectorizers

    vectorizers = load_vectorizers(paths.features_dir(params.runs[run].dataset, "tfidf"))
    model = TfidfLinear(params.model_for(run), vectorizers, seed=params.seed)
    model.fit(train.inputs, train.labels)
    model.save(out / "tfidf")
    return {"parameters": model.parameter_count(), "epochs_run": 1, "best_epoch": 1}
