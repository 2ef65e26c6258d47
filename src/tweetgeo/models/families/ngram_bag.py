"""A bag of word and character n-grams → one hidden layer → head: Rahimi et al. 2017's TF-IDF MLP
(tfidf weights, relu) and a fastText-style classifier (mean of n-gram vectors, linear).

The n-grams are the embed stage's TF-IDF features (word 1–2-grams + character n-grams within
words: multilingual by construction). A text becomes its K strongest n-gram ids and weights;
the first layer is an embedding bag (Embedding · weights), which is exactly a sparse matrix
product but runs as dense Keras ops, fast on CPU and GPU.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from tweetgeo import paths
from tweetgeo.models.keras_family import Head, KerasFamily
from tweetgeo.models.registry import FamilyConfig, Fitted, Task, register

TERMS, WEIGHTS = "terms", "weights"  # the model's two inputs


class NgramBagConfig(FamilyConfig):
    family: Literal["ngram_bag"]
    weighting: Literal["tfidf", "mean"] = "tfidf"  # tfidf: Rahimi's MLP input; mean: fastText's bag average
    hidden: int = Field(256, ge=1)  # width of the bag embedding (the hidden layer)
    activation: Literal["relu", "linear"] = "relu"  # linear: fastText (no non-linearity)
    dropout: float = Field(0.5, ge=0, lt=1)
    max_terms: int = Field(400, ge=1)  # strongest n-grams kept per text (GeoText documents are long)


@dataclass(frozen=True)
class BagInputs:
    """What the builder needs: the number of n-gram features."""

    n_features: int


@dataclass
class BagModel:
    """The embed stage's fitted vectorisers + the Keras model reading their n-grams."""

    vectorizers: dict
    keras_model: Any
    weighting: str
    max_terms: int

    def inputs(self, texts: np.ndarray) -> dict[str, np.ndarray]:
        from tweetgeo.models.tfidf import transform

        return bag_inputs(transform(self.vectorizers, list(texts)), self.max_terms, self.weighting)


def bag_inputs(matrix, max_terms: int, weighting: str) -> dict[str, np.ndarray]:
    """A sparse (N × F) TF-IDF matrix → padded ids and weights (N × K), the K strongest per row.

    By hand: scikit-learn and Keras have no 'top-k entries per CSR row as padded arrays'."""
    matrix = matrix.tocsr()
    lengths = np.diff(matrix.indptr)
    k = int(max(1, min(max_terms, lengths.max(initial=0))))
    ids = np.zeros((matrix.shape[0], k), dtype="int32")
    weights = np.zeros((matrix.shape[0], k), dtype="float32")
    for row, (start, end) in enumerate(zip(matrix.indptr[:-1], matrix.indptr[1:])):
        cols, vals = matrix.indices[start:end], matrix.data[start:end]
        if end - start > k:
            keep = np.argpartition(-vals, k - 1)[:k]
            cols, vals = cols[keep], vals[keep]
        ids[row, :len(cols)] = cols
        weights[row, :len(cols)] = vals if weighting == "tfidf" else 1.0 / max(len(cols), 1)
    return {TERMS: ids, WEIGHTS: weights}


class NgramBag(KerasFamily):
    name, config, features = "ngram_bag", NgramBagConfig, ("tfidf",)

    def build(self, cfg: NgramBagConfig, inputs: BagInputs, head: Head):
        """Embedding bag over n-gram ids weighted by their weights → activation → dropout → head."""
        import keras

        from tweetgeo.models.layers import output_heads

        terms = keras.Input(shape=(None,), dtype="int32", name=TERMS)
        weights = keras.Input(shape=(None,), dtype="float32", name=WEIGHTS)
        vectors = keras.layers.Embedding(inputs.n_features, cfg.hidden, name="ngram_embedding")(terms)
        x = keras.layers.Dot(axes=(1, 1), name="bag")([weights, vectors])  # Σ_k w_k · E[id_k]
        x = keras.layers.Activation(cfg.activation, name="hidden")(x)
        if cfg.dropout:
            x = keras.layers.Dropout(cfg.dropout, name="dropout")(x)
        return keras.Model([terms, weights], output_heads(x, task=head.task, n_labels=head.n_labels),
                           name=f"ngram_bag_{cfg.weighting}")

    def inputs_for(self, spec, train) -> BagInputs:
        from tweetgeo.models.tfidf import load_vectorizers

        vectorizers = load_vectorizers(paths.features_dir(spec.dataset, "tfidf"))
        return BagInputs(sum(len(v.vocabulary_) for v in vectorizers.values()))

    def fit(self, spec, n_labels: int, train, val, callbacks: list) -> Fitted:
        """The shared Keras training (exact resume, early stopping) on the texts' n-gram bags."""
        from dataclasses import replace

        from tweetgeo.keras_training import fit_keras
        from tweetgeo.models.tfidf import load_vectorizers

        vectorizers = load_vectorizers(paths.features_dir(spec.dataset, "tfidf"))
        bag = BagModel(vectorizers, None, spec.options.weighting, spec.options.max_terms)
        fitted = fit_keras(self, spec, n_labels, replace(train, inputs=bag.inputs(train.inputs)),
                           replace(val, inputs=bag.inputs(val.inputs)), callbacks)
        bag.keras_model = fitted.model
        return Fitted(bag, fitted.summary)

    def model_files(self, directory: Path) -> list[Path]:
        return [paths.keras_model(directory), paths.tfidf_model(directory)]

    def save(self, model: BagModel, directory: Path) -> None:
        from tweetgeo.models.tfidf import save_vectorizers

        super().save(model.keras_model, directory)
        folder = paths.tfidf_model(directory)
        save_vectorizers(model.vectorizers, folder)
        meta = {"weighting": model.weighting, "max_terms": model.max_terms}
        (folder / "bag.json").write_text(json.dumps(meta), encoding="utf-8")

    def load(self, directory: Path, task: Task, n_labels: int) -> BagModel:
        from tweetgeo.modelcard import ModelDirError
        from tweetgeo.models.tfidf import load_vectorizers

        keras_model = super().load(directory, task, n_labels)
        folder = paths.tfidf_model(directory)
        try:
            meta = json.loads((folder / "bag.json").read_text(encoding="utf-8"))
            vectorizers = load_vectorizers(folder)
        except (OSError, ValueError, KeyError) as err:
            raise ModelDirError(f"{folder}: unreadable n-gram features ({' '.join(str(err).split())[:200]})") from None
        n_features = sum(len(v.vocabulary_) for v in vectorizers.values())
        width = keras_model.get_layer("ngram_embedding").input_dim
        if width != n_features:
            raise ModelDirError(f"{folder}: {n_features} n-grams, {paths.keras_model(directory)} reads {width}")
        return BagModel(vectorizers, keras_model, str(meta["weighting"]), int(meta["max_terms"]))

    def scores(self, model: BagModel, inputs: np.ndarray, task: Task) -> dict[str, np.ndarray]:
        return super().scores(model.keras_model, model.inputs(inputs), task)


FAMILY = register(NgramBag())
