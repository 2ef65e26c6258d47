"""Families whose model is a keras.Model: what a builder receives, and the shared save / load / score.

A Keras family implements only ``build(cfg, inputs, head)`` — an UNCOMPILED model whose outputs are
named by the contract below — and, when it has several losses, ``loss_weights(cfg)``. Compiling and
fitting live in :mod:`tweetgeo.keras_training`; saving, safe loading and scoring are shared here.

Output names: ``target`` (N, 1) sigmoid for the binary task; ``label`` (N, n_labels) softmax for geo
labels (+ ``coords`` (N, 2) normalised (lat, lon) for multi-task models); ``coords_deg`` (N, 2) for
families whose ``output`` is "coords".
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tweetgeo import paths
from tweetgeo.models.registry import VECTOR_FEATURES, Family, FamilyConfig, Fitted, Task

if TYPE_CHECKING:
    import keras

    from tweetgeo.rundata import SplitData
    from tweetgeo.runspec import RunSpec


class TextFamilyConfig(FamilyConfig):
    """Options every text family shares."""

    trainable_embedding: bool = False  # fine-tune the embedding layer (S3 variant)


@dataclass(frozen=True)
class TextInputs:
    """What a text model needs: the vocabulary (ids 2…), padded length and the embedding matrix."""

    vocabulary: list[str]
    sequence_length: int
    embedding_matrix: np.ndarray | None  # rows = len(vocabulary) + 2 (0 pad, 1 [UNK]); None: random


@dataclass(frozen=True)
class VectorInputs:
    """What a vector model needs: the width of its input vectors."""

    dim: int


@dataclass(frozen=True)
class Head:
    """The prediction a model makes: the task and, for geo labels, how many."""

    task: Task
    n_labels: int


def _first_line(err: BaseException) -> str:
    return (str(err).splitlines() or [""])[0][:200]


def expected_output(task: str, output: str) -> str:
    """The output name a model of this task and output kind must have."""
    if output == "coords":
        return "coords_deg"
    return "target" if task == "binary" else "label"


class KerasFamily(Family):
    """A family built as a keras.Model; subclasses give build (and loss_weights when multi-output)."""

    repeatable = True  # seeded weights, dropout and batch order: train.repeats may train it again

    @abstractmethod
    def build(self, cfg: Any, inputs: TextInputs | VectorInputs, head: Head) -> keras.Model:
        """The uncompiled model (the trainer compiles it)."""

    def loss_weights(self, cfg: Any) -> dict[str, float] | None:
        """Weights of the outputs' losses; None: equal."""
        return None

    def inputs_for(self, spec: RunSpec, train: SplitData) -> TextInputs | VectorInputs:
        """The builder's inputs, from the run's feature folder (text) or the vectors' width."""
        if spec.features in VECTOR_FEATURES:
            return VectorInputs(int(train.inputs.shape[1]))
        from tweetgeo.embeddings import load_features

        vocabulary, length, matrix = load_features(paths.features_dir(spec.dataset, spec.features), spec.features)
        return TextInputs(vocabulary, length, matrix)

    def fit(self, spec: RunSpec, n_labels: int, train: SplitData, val: SplitData, callbacks: list) -> Fitted:
        from tweetgeo.keras_training import fit_keras

        return fit_keras(self, spec, n_labels, train, val, callbacks)

    def model_files(self, directory: Path) -> list[Path]:
        return [paths.keras_model(directory)]

    def save(self, model: keras.Model, directory: Path) -> None:
        model.save(paths.keras_model(directory))

    def check_files(self, directory: Path, task: Task, n_labels: int) -> None:
        from tweetgeo.modelfiles import check_keras_archive

        check_keras_archive(paths.keras_model(directory))

    def load(self, directory: Path, task: Task, n_labels: int) -> keras.Model:
        """Safe loading (no Python code in the file is ever run) of a whole archive (checksums
        checked); outputs checked against the card, weights finite."""
        self.check_files(directory, task, n_labels)
        return self.load_keras(directory, task, n_labels)

    def load_keras(self, directory: Path, task: Task, n_labels: int) -> keras.Model:
        """The Keras model of an archive check_files passed (safe mode, outputs and weights checked)."""
        from tweetgeo.modelcard import ModelDirError

        path = paths.keras_model(directory)
        import tweetgeo.models.layers  # noqa: F401  (registers the custom layers)
        import tweetgeo.models.losses  # noqa: F401  (registers the custom losses)
        from tweetgeo.runtime import keras  # TensorFlow imported quietly

        try:
            model = keras.models.load_model(path, safe_mode=True, compile=False)
        except ValueError as err:
            if "arbitrary code" in str(err) or "safe_mode" in str(err):
                raise ModelDirError(f"{path}: refused — it holds Python code (e.g. a Lambda layer) "
                                    "that safe loading never runs; untrusted model file") from None
            raise ModelDirError(f"{path}: not a loadable Keras model "
                                f"({_first_line(err)})") from None
        except Exception as err:  # noqa: BLE001  (a damaged archive fails in h5py, zipfile, Keras…)
            raise ModelDirError(f"{path}: not a loadable Keras model ({type(err).__name__}: "
                                f"{_first_line(err)})") from None
        self._check_outputs(model, path, task, n_labels)
        for weight in model.weights:
            if not np.isfinite(np.asarray(weight.numpy(), dtype="float64")).all():
                raise ModelDirError(f"{path}: damaged Keras model (weight {weight.path} is not finite)")
        return model

    def _check_outputs(self, model: keras.Model, path: Path, task: str, n_labels: int) -> None:
        """The model's outputs must be those its card promises (else a clear error)."""
        from tweetgeo.modelcard import ModelDirError

        names, expected = list(model.output_names), expected_output(task, self.output)
        if expected not in names:
            raise ModelDirError(f"{path}: outputs {names} do not fit card.json (task {task!r}, "
                                f"family {self.name!r} needs {expected!r}) — model and card are from "
                                "different runs")
        if expected == "label":
            width = model.get_layer("label").output.shape[-1]
            if width != n_labels:
                raise ModelDirError(f"{path}: {width} label outputs, card.json says {n_labels}")

    def scores(self, model: keras.Model, inputs: np.ndarray, task: Task) -> dict[str, np.ndarray]:
        out = model.predict(inputs, batch_size=1024, verbose=0)
        out = out if isinstance(out, dict) else {model.output_names[0]: out}
        scores = {k: np.asarray(v, dtype="float64") for k, v in out.items()}
        if "target" in scores:
            scores["target"] = scores["target"].reshape(-1)
        return scores
