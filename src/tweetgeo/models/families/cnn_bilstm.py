"""S1: embedding → parallel Conv1D branches (one per kernel size) and a BiLSTM, each max-pooled → concat → head."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tweetgeo.models.keras_family import Head, KerasFamily, TextFamilyConfig, TextInputs
from tweetgeo.models.registry import register


class CNNBiLSTMConfig(TextFamilyConfig):
    family: Literal["cnn_bilstm"]
    filters: int = Field(128, ge=1)
    kernel_sizes: list[int] = [3, 4, 5]
    lstm_units: int = Field(64, ge=1)
    dropout: float = Field(0.4, ge=0, lt=1)


class CNNBiLSTM(KerasFamily):
    name, config, features = "cnn_bilstm", CNNBiLSTMConfig, ("word2vec", "glove")

    def build(self, cfg: CNNBiLSTMConfig, inputs: TextInputs, head: Head):
        """A CNN + BiLSTM classifier that reads raw cleaned text."""
        import keras
        from keras import ops

        from tweetgeo.models.layers import MaskedGlobalMaxPooling1D, embed_text, output_heads, text_input

        text = text_input()
        # Conv1D cannot take a mask, so the embedding emits none; the padding mask goes to the LSTM only.
        token_ids, x = embed_text(text, vocabulary=inputs.vocabulary, sequence_length=inputs.sequence_length,
                                  embedding_matrix=inputs.embedding_matrix, trainable=cfg.trainable_embedding,
                                  mask_zero=False)
        pad_mask = ops.not_equal(token_ids, 0)
        branches = []
        for k in cfg.kernel_sizes:
            conv = keras.layers.Conv1D(cfg.filters, k, activation="relu", padding="same", name=f"conv{k}")(x)
            branches.append(keras.layers.GlobalMaxPooling1D(name=f"maxpool_conv{k}")(conv))
        lstm = keras.layers.Bidirectional(keras.layers.LSTM(cfg.lstm_units, return_sequences=True),
                                          name="bilstm")(x, mask=pad_mask)
        branches.append(MaskedGlobalMaxPooling1D(name="maxpool_bilstm")(lstm))  # padding never wins the max
        x = keras.layers.Concatenate(name="concat")(branches)
        x = keras.layers.Dropout(cfg.dropout, name="dropout")(x)
        return keras.Model(text, output_heads(x, task=head.task, n_labels=head.n_labels), name="cnn_bilstm")


FAMILY = register(CNNBiLSTM())
