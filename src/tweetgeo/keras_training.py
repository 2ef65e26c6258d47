"""Compile and fit a Keras family's model: losses per output name, tf.data input, early stopping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tweetgeo import runtime
from tweetgeo.geo import normalise_coords
from tweetgeo.io import atomic_path, write_json
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
                 shuffle: bool, epochs: tuple[int, int] = (0, 1)) -> tf.data.Dataset:
    """tf.data pipeline: (inputs, {output: target}) batches.

    Shuffled: the batches of epochs [first, last) one after another, each epoch in its own order
    drawn from (seed, epoch) alone — so a run resumed at epoch k sees the same order as one that
    was never interrupted (fit with steps_per_epoch=steps_per_epoch(...)). Not shuffled
    (validation): batched once and cached. Both prefetch the next batches while one trains.
    """
    data = (split.inputs, targets_for(model, split))
    if not shuffle:  # validation: the same batches every epoch, built once and kept (cache)
        return tf.data.Dataset.from_tensor_slices(data).batch(batch_size).cache().prefetch(tf.data.AUTOTUNE)
    tensors = tf.nest.map_structure(tf.convert_to_tensor, data)
    n = len(split)

    def epoch_batches(epoch: tf.Tensor) -> tf.data.Dataset:
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    def gather(rows: tf.Tensor):
        return tf.nest.map_structure(lambda t: tf.gather(t, rows), tensors)

    first, last = epochs
    return (tf.data.Dataset.range(first, last).flat_map(epoch_batches)
            .map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))


def steps_per_epoch(split: SplitData, batch_size: int) -> int:
    return max(1, -(-len(split) // batch_size))


def backed_up_epochs(callbacks: list) -> int:
    """Epochs a BackupAndRestore among `callbacks` has saved (0: none, or a fresh run)."""
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.BackupAndRestore):
            meta = Path(callback.backup_dir) / "training_metadata.json"
            try:
                return int(json.loads(meta.read_text())["epoch"])
            except (OSError, ValueError, KeyError, TypeError):
                return 0
    return 0


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping (best weights restored) whose state survives a kill.

    After each epoch its state — best value and epoch, patience count, the dropout layers'
    random-generator states — goes to `folder` (the run's backup, beside BackupAndRestore's),
    with the best weights as best-<epoch>.npz; the last two epochs' states are kept, since a
    kill may fall between this save and BackupAndRestore's. A resumed fit takes the state of
    the epoch its backup ends with: the best weights and best epoch then cover the epochs before
    the kill, and the random draws continue where they were. `exact` says whether that worked.
    """

    STATE = "early_stopping.json"

    def __init__(self, folder: Path | None, start: int = 0, **kwargs) -> None:
        super().__init__(restore_best_weights=True, **kwargs)
        self.folder, self.start = folder, start
        self.exact: bool = True  # a resumed fit found every state it needed
        self._restored = False

    def on_train_begin(self, logs=None) -> None:
        super().on_train_begin(logs)
        self._restored = False

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        if not self._restored:
            self._restore(epoch)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        super().on_epoch_end(epoch, logs)
        if self.folder is not None:
            self._save(epoch)

    def on_train_end(self, logs=None) -> None:
        if not self._restored:  # resumed after the last epoch: no epoch ran
            self._restore(int(getattr(self.model, "_initial_epoch", None) or 0))
        super().on_train_end(logs)

    def _seed_states(self) -> list:
        return [v for v in self.model.variables if v.path.endswith("seed_generator_state")]

    def _states(self) -> list[dict]:
        try:
            return json.loads((self.folder / self.STATE).read_text())
        except (OSError, ValueError):
            return []

    def _save(self, epoch: int) -> None:
        weights = self.folder / f"best-{self.best_epoch}.npz"
        if self.best_weights is not None and (self.best_epoch == epoch or not weights.exists()):
            with atomic_path(weights) as tmp, open(tmp, "wb") as out:
                np.savez(out, *self.best_weights)
        state = {"epoch": epoch, "best": None if self.best is None else float(self.best),
                 "best_epoch": int(self.best_epoch), "wait": int(self.wait),
                 "seeds": [np.asarray(v.numpy()).tolist() for v in self._seed_states()]}
        states = [s for s in self._states() if s["epoch"] < epoch][-1:] + [state]
        write_json(states, self.folder / self.STATE)
        keep = {f"best-{s['best_epoch']}.npz" for s in states}
        for old in self.folder.glob("best-*.npz"):
            if old.name not in keep:
                old.unlink(missing_ok=True)

    def _restore(self, epoch: int) -> None:
        """Resuming at `epoch` (0: a fresh fit): take the state saved after epoch - 1."""
        self._restored = True
        if epoch == 0 or self.folder is None:
            return
        state = next((s for s in self._states() if s["epoch"] == epoch - 1), None)
        weights = self.folder / f"best-{state['best_epoch']}.npz" if state else None
        if state is None or not weights.exists() or epoch != self.start:
            self.exact = False
            return
        with np.load(weights, allow_pickle=False) as data:
            self.best_weights = [data[f"arr_{i}"] for i in range(len(data.files))]
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        seeds = self._seed_states()
        if len(seeds) != len(state["seeds"]):
            self.exact = False
            return
        for variable, value in zip(seeds, state["seeds"], strict=True):
            variable.assign(np.asarray(value, dtype=variable.dtype))


def fit_keras(family: KerasFamily, spec: RunSpec, n_labels: int, train: SplitData, val: SplitData,
              callbacks: list) -> Fitted:
    """Build, compile and fit the run's model; early stopping restores the best weights — across
    a kill too, and a resumed fit continues the same data order and random draws (exact resume)."""
    cfg = spec.train
    policy = runtime.set_precision(cfg.mixed_precision)
    inputs = family.inputs_for(spec, train)
    head = Head(spec.task, n_labels)
    with runtime.distribution_strategy(cfg.strategy).scope():
        model = build_model(spec.options, inputs, head, cfg)
    start = backed_up_epochs(callbacks)
    backup = next((Path(c.backup_dir) for c in callbacks if isinstance(c, keras.callbacks.BackupAndRestore)), None)
    stop = ResumableEarlyStopping(backup, start, monitor="val_loss", patience=cfg.patience)
    first = min(start, cfg.epochs - 1)  # resumed after the last epoch: no batch is drawn
    history = model.fit(make_dataset(model, train, cfg.batch_size, spec.seed, shuffle=True,
                                     epochs=(first, cfg.epochs)),
                        steps_per_epoch=steps_per_epoch(train, cfg.batch_size),
                        validation_data=make_dataset(model, val, cfg.batch_size, spec.seed, shuffle=False),
                        epochs=cfg.epochs, callbacks=[stop, *callbacks], verbose=2,
                        shuffle=False)  # the dataset is already shuffled per epoch (Keras warns otherwise)
    hist = pd.DataFrame(history.history)
    hist.insert(0, "epoch", np.arange(start + 1, start + len(hist) + 1))
    best = stop.best_epoch + 1 if stop.best_weights is not None else start + len(hist)
    summary = {"parameters": int(model.count_params()), "epochs_run": len(hist), "best_epoch": best,
               "precision_policy": policy, "history": hist}
    if start:
        summary["resumed_exactly"] = stop.exact
    return Fitted(model, summary)
