"""Shared building blocks: raw-text input → embedding, attention pooling, output heads."""

from __future__ import annotations

import numpy as np

from tweetgeo.runtime import keras  # TensorFlow imported quietly, once

ops = keras.ops

RANDOM_EMBEDDING_DIM = 100  # width of the trainable embedding used when no matrix is given
TASKS = ("binary", "geo")


@keras.saving.register_keras_serializable(package="tweetgeo")
class AdditiveAttentionPooling(keras.layers.Layer):
    """Attention pooling over time: score_t = v·tanh(W h_t + b), softmax over t, Σ_t α_t h_t."""

    def __init__(self, units: int = 128, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape) -> None:
        features = input_shape[-1]
        self.w = self.add_weight(name="w", shape=(features, self.units), initializer="glorot_uniform")
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")
        self.v = self.add_weight(name="v", shape=(self.units, 1), initializer="glorot_uniform")

    def call(self, inputs):
        scores = ops.matmul(ops.tanh(ops.matmul(inputs, self.w) + self.b), self.v)  # (B, T, 1)
        weights = ops.softmax(scores, axis=1)
        return ops.sum(weights * inputs, axis=1)  # (B, F)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="tweetgeo")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """Max over time that ignores masked (padding) steps; a row with every step masked gives zeros."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.max(inputs, axis=1)
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        lowest = ops.full_like(inputs, -1e9)
        pooled = ops.max(ops.where(keep, inputs, lowest), axis=1)
        return ops.where(ops.any(keep, axis=1), pooled, ops.zeros_like(pooled))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


def text_input() -> keras.KerasTensor:
    """The raw-text input every text model takes: one cleaned string per row."""
    return keras.Input(shape=(), dtype="string", name="text")


def embed_text(
    text: keras.KerasTensor,
    *,
    vocabulary: list[str] | None,
    sequence_length: int | None,
    embedding_matrix: np.ndarray | None,
    trainable: bool,
    mask_zero: bool,
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """Strings → token ids (0 pad, 1 [UNK]) → embedded sequence; returns (token_ids, embedded)."""
    if not vocabulary:
        raise ValueError("text models need a non-empty `vocabulary`")
    if not sequence_length or sequence_length < 1:
        raise ValueError("text models need `sequence_length` >= 1")
    vectorize = keras.layers.TextVectorization(
        standardize=None, split="whitespace", vocabulary=list(vocabulary),
        output_sequence_length=sequence_length, output_mode="int", name="vectorize",
    )
    token_ids = vectorize(text)
    n_rows = len(vocabulary) + 2
    if embedding_matrix is None:
        dim, trainable = RANDOM_EMBEDDING_DIM, True
    else:
        if embedding_matrix.shape[0] != n_rows:
            raise ValueError(f"embedding_matrix has {embedding_matrix.shape[0]} rows, expected "
                             f"len(vocabulary) + 2 = {n_rows} (row 0 pad, row 1 [UNK])")
        dim = int(embedding_matrix.shape[1])
    embedding = keras.layers.Embedding(n_rows, dim, mask_zero=mask_zero, trainable=trainable, name="embedding")
    embedded = embedding(token_ids)
    if embedding_matrix is not None:
        embedding.embeddings.assign(np.asarray(embedding_matrix, dtype="float32"))
    return token_ids, embedded


def output_heads(x: keras.KerasTensor, *, task: str, n_labels: int, coords: bool = False) -> dict:
    """The output dict: binary → {"target"}; geo → {"label"} (+ {"coords"} when coords=True)."""
    if task == "binary":
        return {"target": keras.layers.Dense(1, activation="sigmoid", dtype="float32", name="target")(x)}
    if task != "geo":
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if n_labels < 2:
        raise ValueError(f"geo task needs n_labels >= 2, got {n_labels}")
    outputs = {"label": keras.layers.Dense(n_labels, activation="softmax", dtype="float32", name="label")(x)}
    if coords:
        outputs["coords"] = keras.layers.Dense(2, activation="sigmoid", dtype="float32", name="coords")(x)
    return outputs
