"""S3: embedding (masked) → bidirectional GRU/LSTM → dropout → dense relu → head."""

from __future__ import annotations

import keras
import numpy as np

from tweetgeo import runtime
from tweetgeo.config import RNNConfig, TrainConfig
from tweetgeo.models.layers import compile_model, embed_text, output_heads, text_input


def build(cfg: RNNConfig, *, task: str, n_labels: int, vocabulary: list[str] | None = None,
          sequence_length: int | None = None, embedding_matrix: np.ndarray | None = None,
          input_dim: int | None = None, train: TrainConfig) -> keras.Model:
    """A compiled bidirectional RNN that reads raw cleaned text."""
    text = text_input()
    _, x = embed_text(text, vocabulary=vocabulary, sequence_length=sequence_length,
                      embedding_matrix=embedding_matrix, trainable=cfg.trainable_embedding, mask_zero=True)
    cell = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}[cfg.cell]
    runtime.rnn_kernel_note(cfg.cell, cfg.recurrent_dropout)  # cuDNN needs the defaults: say when not
    x = keras.layers.Bidirectional(cell(cfg.units, recurrent_dropout=cfg.recurrent_dropout), name="birnn")(x)
    x = keras.layers.Dropout(cfg.dropout, name="dropout")(x)
    x = keras.layers.Dense(cfg.dense_units, activation="relu", name="dense")(x)
    model = keras.Model(text, output_heads(x, task=task, n_labels=n_labels), name=f"rnn_{cfg.cell}")
    return compile_model(model, task=task, n_labels=n_labels, train=train)
