"""S1: embedding → parallel Conv1D branches (one per kernel size) and a BiLSTM, each max-pooled → concat → head."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from tweetgeo.config import CNNBiLSTMConfig, TrainConfig
from tweetgeo.models.layers import MaskedGlobalMaxPooling1D, compile_model, embed_text, output_heads, text_input


def build(cfg: CNNBiLSTMConfig, *, task: str, n_labels: int, vocabulary: list[str] | None = None,
          sequence_length: int | None = None, embedding_matrix: np.ndarray | None = None,
          input_dim: int | None = None, train: TrainConfig) -> keras.Model:
    """A compiled CNN + BiLSTM classifier that reads raw cleaned text."""
    text = text_input()
    # Conv1D cannot take a mask, so the embedding emits none; the padding mask goes to the LSTM only.
    token_ids, x = embed_text(text, vocabulary=vocabulary, sequence_length=sequence_length,
                              embedding_matrix=embedding_matrix, trainable=cfg.trainable_embedding,
                              mask_zero=False)
    pad_mask = ops.not_equal(token_ids, 0)
    branches = []
    for k in cfg.kernel_sizes:
        conv = keras.layers.Conv1D(cfg.filters, k, activation="relu", padding="same", name=f"conv{k}")(x)
        branches.append(keras.layers.GlobalMaxPooling1D(name=f"maxpool_conv{k}")(conv))
    lstm = keras.layers.Bidirectional(keras.layers.LSTM(cfg.lstm_units, return_sequences=True),
                                      name="bilstm")(x, mask=pad_mask)
    branches.append(MaskedGlobalMaxPooling1D(name="maxpool_bilstm")(lstm))  # padding steps never win the max
    x = keras.layers.Concatenate(name="concat")(branches)
    x = keras.layers.Dropout(cfg.dropout, name="dropout")(x)
    model = keras.Model(text, output_heads(x, task=task, n_labels=n_labels), name="cnn_bilstm")
    return compile_model(model, task=task, n_labels=n_labels, train=train)
