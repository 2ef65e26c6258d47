"""S3: embedding (masked) → bidirectional GRU/LSTM → dropout → dense relu → head.

Trained with Keras; answered with NumPy (models/rnn_numpy.py, same outputs) so that predicting and
evaluating never import TensorFlow, unless an archive has a graph that module does not compute."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from tweetgeo import paths
from tweetgeo.models.keras_family import Head, KerasFamily, TextFamilyConfig, TextInputs
from tweetgeo.models.registry import Task, register


class RNNConfig(TextFamilyConfig):
    family: Literal["rnn"]
    cell: Literal["gru", "lstm"] = "gru"
    units: int = Field(64, ge=1)
    dropout: float = Field(0.3, ge=0, lt=1)
    recurrent_dropout: float = Field(0.0, ge=0, lt=1)
    dense_units: int = Field(16, ge=1)


class RNN(KerasFamily):
    name, config, features = "rnn", RNNConfig, ("word2vec", "glove")
    # the NumPy pass (models/rnn_numpy.py), 1.15–1.38x faster split in two on 2 cores than one process
    # with two BLAS threads; a model it cannot read loads TensorFlow, and is then not split
    one_core_scoring = True

    def build(self, cfg: RNNConfig, inputs: TextInputs, head: Head):
        """A bidirectional RNN that reads raw cleaned text."""
        import keras

        from tweetgeo.models.layers import embed_text, output_heads, text_input

        text = text_input()
        _, x = embed_text(text, vocabulary=inputs.vocabulary, sequence_length=inputs.sequence_length,
                          embedding_matrix=inputs.embedding_matrix, trainable=cfg.trainable_embedding,
                          mask_zero=True)
        from tweetgeo import runtime

        runtime.rnn_kernel_note(cfg.cell, cfg.recurrent_dropout)  # says when cuDNN is off the table
        cell = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[cfg.cell]
        x = keras.layers.Bidirectional(cell(cfg.units, recurrent_dropout=cfg.recurrent_dropout), name="birnn")(x)
        x = keras.layers.Dropout(cfg.dropout, name="dropout")(x)
        x = keras.layers.Dense(cfg.dense_units, activation="relu", name="dense")(x)
        return keras.Model(text, output_heads(x, task=head.task, n_labels=head.n_labels), name=f"rnn_{cfg.cell}")

    def check_files(self, directory: Path, task: Task, n_labels: int) -> Any:
        """The archive checked; its NumPy model when rnn_numpy computes its graph (else None)."""
        from tweetgeo.models.rnn_numpy import read_numpy_rnn

        super().check_files(directory, task, n_labels)
        return read_numpy_rnn(paths.keras_model(directory), task, n_labels)

    def load(self, directory: Path, task: Task, n_labels: int) -> Any:
        """The NumPy model (no TensorFlow), or the Keras one for a graph rnn_numpy does not compute."""
        model = self.check_files(directory, task, n_labels)
        return model if model is not None else self.load_keras(directory, task, n_labels)

    def load_fitted(self, directory: Path, task: Task, n_labels: int) -> Any:
        """The Keras model itself (a killed run's finished fit is saved again with Keras)."""
        super().check_files(directory, task, n_labels)
        return self.load_keras(directory, task, n_labels)

    def scores(self, model: Any, inputs: np.ndarray, task: Task) -> dict[str, np.ndarray]:
        from tweetgeo.models.rnn_numpy import NumpyRNN

        if not isinstance(model, NumpyRNN):
            return super().scores(model, inputs, task)
        scores = {k: np.asarray(v, dtype="float64") for k, v in model.predict(inputs).items()}
        if "target" in scores:
            scores["target"] = scores["target"].reshape(-1)
        return scores


FAMILY = register(RNN())
