"""S2 (MTL-Att-CNN): two parallel Conv1D+MaxPool channels → concat → attention pooling → label (+ coords) heads."""

from __future__ import annotations

import keras
import numpy as np

from tweetgeo.config import AttentionCNNConfig, TrainConfig
from tweetgeo.models.layers import AdditiveAttentionPooling, compile_model, embed_text, output_heads, text_input

ATTENTION_UNITS = 128  # width of the attention scoring layer (not in AttentionCNNConfig)


def build(cfg: AttentionCNNConfig, *, task: str, n_labels: int, vocabulary: list[str] | None = None,
          sequence_length: int | None = None, embedding_matrix: np.ndarray | None = None,
          input_dim: int | None = None, train: TrainConfig) -> keras.Model:
    """A compiled attention CNN; with cfg.multitask and task "geo" it also regresses normalised (lat, lon)."""
    if len(cfg.windows) != len(cfg.filters):
        raise ValueError(f"attention_cnn: windows {cfg.windows} and filters {cfg.filters} must pair up")
    text = text_input()
    _, x = embed_text(text, vocabulary=vocabulary, sequence_length=sequence_length,
                      embedding_matrix=embedding_matrix, trainable=cfg.trainable_embedding,
                      mask_zero=False)  # Conv1D takes no mask
    channels = []
    for width, n_filters in zip(cfg.windows, cfg.filters):
        c = keras.layers.Conv1D(n_filters, width, activation="relu", padding="same", name=f"conv{width}")(x)
        channels.append(keras.layers.MaxPooling1D(2, padding="same", name=f"pool{width}")(c))
    x = keras.layers.Concatenate(axis=-1, name="concat")(channels) if len(channels) > 1 else channels[0]
    # Additive (Bahdanau-style) pooling, our own layer: keras.layers.Attention needs a query and
    # returns a sequence, while here one learned vector scores time steps and pools them to one vector.
    x = AdditiveAttentionPooling(ATTENTION_UNITS, name="attention")(x)
    x = keras.layers.Dropout(cfg.dropout, name="dropout")(x)
    mtl = cfg.multitask and task == "geo"
    model = keras.Model(text, output_heads(x, task=task, n_labels=n_labels, coords=mtl),
                        name="mtl_att_cnn" if mtl else "stl_att_cnn")
    return compile_model(model, task=task, n_labels=n_labels, train=train, regression_weight=cfg.regression_weight)
