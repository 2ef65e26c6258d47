"""Compile and fit a Keras family's model: losses per output name, tf.data input, early stopping."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tweetgeo import runtime
from tweetgeo.geo import normalise_coords
from tweetgeo.models import registry
from tweetgeo.models.keras_family import Head, TextInputs, VectorInputs
from tweetgeo.models.losses import euclidean_unit_loss, haversine_loss
from tweetgeo.models.registry import FamilyConfig, Fitted
from tweetgeo.rundata import SplitData
from tweetgeo.runtime import keras, tf  # TensorFlow imported quietly

if TYPE_CHECKING:
    from tweetgeo.config import TrainConfig
    from tweetgeo.models.keras_family import KerasFamily
    from tweetgeo.runspec import RunSpec

LOSSES = {"target": "binary_crossentropy", "label": "sparse_categorical_crossentropy",
          "coords": euclidean_unit_loss, "coords_deg": haversine_loss}


def make_optimizer(train: TrainConfig) -> keras.optimizers.Optimizer:
    """The optimizer named by train.optimizer at train.learning_rate."""
    kinds = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD}
    return kinds[train.optimizer](learning_rate=train.learning_rate)


def compile_model(model: keras.Model, head: Head, train: TrainConfig,
                  loss_weights: dict[str, float] | None = None) -> keras.Model:
    """Compile by output name: a loss per output, accuracy (+ top-5 for geo labels), optional weights."""
    names = list(model.output_names)
    metrics: dict[str, list] = {}
    if "target" in names:
        metrics["target"] = ["accuracy"]
    if "label" in names:
        top5 = keras.metrics.SparseTopKCategoricalAccuracy(k=min(5, head.n_labels), name="top5")
        metrics["label"] = ["accuracy", top5]
    weights = None
    if loss_weights and len(names) > 1:
        weights = {name: float(loss_weights.get(name, 1.0)) for name in names}
    model.compile(optimizer=make_optimizer(train), loss={name: LOSSES[name] for name in names},
                  metrics=metrics or None, loss_weights=weights)
    return model


def build_model(options: FamilyConfig, inputs: TextInputs | VectorInputs, head: Head,
                train: TrainConfig) -> keras.Model:
    """The family's model for `options`, compiled exactly as training compiles it."""
    family = registry.get(options.family)
    return compile_model(family.build(options, inputs, head), head, train, family.loss_weights(options))


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


def fit_keras(family: KerasFamily, spec: RunSpec, n_labels: int, train: SplitData, val: SplitData,
              callbacks: list) -> Fitted:
    """Build, compile and fit the run's model; EarlyStopping restores the best weights."""
    cfg = spec.train
    policy = runtime.set_precision(cfg.mixed_precision)
    inputs = family.inputs_for(spec, train)
    head = Head(spec.task, n_labels)
    with runtime.distribution_strategy(cfg.strategy).scope():
        model = build_model(spec.options, inputs, head, cfg)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience, restore_best_weights=True)
    history = model.fit(make_dataset(model, train, cfg.batch_size, spec.seed, shuffle=True),
                        validation_data=make_dataset(model, val, cfg.batch_size, spec.seed, shuffle=False),
                        epochs=cfg.epochs, callbacks=[stop, *callbacks], verbose=2)
    hist = pd.DataFrame(history.history)
    hist.insert(0, "epoch", np.arange(1, len(hist) + 1))
    best = int(hist["val_loss"].idxmin()) + 1 if "val_loss" in hist else len(hist)
    return Fitted(model, {"parameters": int(model.count_params()), "epochs_run": len(hist),
                          "best_epoch": best, "precision_policy": policy, "history": hist})
