"""S3: embedding (masked) → bidirectional GRU/LSTM → dropout → dense relu → head."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tweetgeo.models.keras_family import Head, KerasFamily, TextFamilyConfig, TextInputs
from tweetgeo.models.registry import register


class RNNConfig(TextFamilyConfig):
    family: Literal["rnn"]
    cell: Literal["gru", "lstm"] = "gru"
    units: int = Field(64, ge=1)
    dropout: float = Field(0.3, ge=0, lt=1)
    recurrent_dropout: float = Field(0.0, ge=0, lt=1)
    dense_units: int = Field(16, ge=1)


class RNN(KerasFamily):
    name, config, features = "rnn", RNNConfig, ("word2vec", "glove")

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


FAMILY = register(RNN())
