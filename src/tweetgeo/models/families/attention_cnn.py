"""S2 (MTL-Att-CNN): two parallel Conv1D+MaxPool channels → concat → attention pooling → label (+ coords) heads."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tweetgeo.models.keras_family import Head, KerasFamily, TextFamilyConfig, TextInputs
from tweetgeo.models.registry import register

ATTENTION_UNITS = 128  # width of the attention scoring layer (not an option)


class AttentionCNNConfig(TextFamilyConfig):
    family: Literal["attention_cnn"]
    windows: list[int] = [4, 8]
    filters: list[int] = [128, 256]
    multitask: bool = True  # add the (lat, lon) regression head (MTL) or not (STL)
    regression_weight: float = Field(1.0, ge=0)  # loss weight of the coordinate head
    dropout: float = Field(0.3, ge=0, lt=1)

    @model_validator(mode="after")
    def _channels_pair_up(self) -> AttentionCNNConfig:
        if len(self.windows) != len(self.filters):
            raise ValueError(f"windows {self.windows} and filters {self.filters} must pair up")
        return self


class AttentionCNN(KerasFamily):
    name, config, features = "attention_cnn", AttentionCNNConfig, ("word2vec", "glove")
    ablation = "multitask"  # S2's question: does the coordinate head help the labels?

    def build(self, cfg: AttentionCNNConfig, inputs: TextInputs, head: Head):
        """An attention CNN; with cfg.multitask and task "geo" it also regresses normalised (lat, lon)."""
        import keras

        from tweetgeo.models.layers import AdditiveAttentionPooling, embed_text, output_heads, text_input

        text = text_input()
        _, x = embed_text(text, vocabulary=inputs.vocabulary, sequence_length=inputs.sequence_length,
                          embedding_matrix=inputs.embedding_matrix, trainable=cfg.trainable_embedding,
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
        mtl = cfg.multitask and head.task == "geo"
        return keras.Model(text, output_heads(x, task=head.task, n_labels=head.n_labels, coords=mtl),
                           name="mtl_att_cnn" if mtl else "stl_att_cnn")

    def loss_weights(self, cfg: AttentionCNNConfig) -> dict[str, float]:
        return {"label": 1.0, "coords": cfg.regression_weight}


FAMILY = register(AttentionCNN())
