"""S0 head: frozen sentence-encoder vectors → Dense relu stack → (lat, lon) in degrees, haversine loss."""

from __future__ import annotations

from typing import Literal

from tweetgeo.models.keras_family import Head, KerasFamily, VectorInputs
from tweetgeo.models.registry import FamilyConfig, register


class EncoderRegressionConfig(FamilyConfig):
    family: Literal["encoder_regression"]
    hidden: list[int] = [128, 64]


class EncoderRegression(KerasFamily):
    name, config, features = "encoder_regression", EncoderRegressionConfig, ("encoder",)
    tasks, output = ("geo",), "coords"

    def build(self, cfg: EncoderRegressionConfig, inputs: VectorInputs, head: Head):
        """A regression MLP on encoder features; output "coords_deg" = (lat, lon) in degrees."""
        import keras

        if head.task != "geo":
            raise ValueError(f"encoder_regression predicts coordinates: task must be 'geo', got {head.task!r}")
        features = keras.Input(shape=(inputs.dim,), dtype="float32", name="features")
        x = features
        for i, units in enumerate(cfg.hidden):
            x = keras.layers.Dense(units, activation="relu", name=f"hidden{i}")(x)
        # tanh × (90, 180): every prediction is a valid coordinate and training starts at (0, 0); an
        # unbounded Dense(2) can drift past the poles, where haversine folds back and gradients mislead.
        x = keras.layers.Dense(2, activation="tanh", dtype="float32", name="coords_unit")(x)
        coords = keras.layers.Rescaling(scale=[90.0, 180.0], dtype="float32", name="coords_deg")(x)
        return keras.Model(features, {"coords_deg": coords}, name="encoder_regression")


FAMILY = register(EncoderRegression())
