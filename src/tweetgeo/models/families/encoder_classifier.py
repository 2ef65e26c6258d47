"""Beyond S0: frozen sentence-encoder vectors → Dense relu stack → dropout → class head.

S0 regresses coordinates; classifying into the run's label scheme instead gives a distribution
that distance-aware decoding can use (and serves the binary disaster task too).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tweetgeo.models.keras_family import Head, KerasFamily, VectorInputs
from tweetgeo.models.registry import FamilyConfig, register


class EncoderClassifierConfig(FamilyConfig):
    family: Literal["encoder_classifier"]
    hidden: list[int] = [256]
    dropout: float = Field(0.3, ge=0, lt=1)


class EncoderClassifier(KerasFamily):
    name, config, features = "encoder_classifier", EncoderClassifierConfig, ("encoder",)

    def build(self, cfg: EncoderClassifierConfig, inputs: VectorInputs, head: Head):
        """An MLP on encoder features with the task's head (target or labels)."""
        import keras

        from tweetgeo.models.layers import output_heads

        features = keras.Input(shape=(inputs.dim,), dtype="float32", name="features")
        x = features
        for i, units in enumerate(cfg.hidden):
            x = keras.layers.Dense(units, activation="relu", name=f"hidden{i}")(x)
            x = keras.layers.Dropout(cfg.dropout, name=f"dropout{i}")(x)
        return keras.Model(features, output_heads(x, task=head.task, n_labels=head.n_labels),
                           name="encoder_classifier")


FAMILY = register(EncoderClassifier())
