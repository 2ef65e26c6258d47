"""S0 head: frozen sentence-encoder vectors → Dense relu stack → (lat, lon) in degrees, haversine loss."""

from __future__ import annotations

import keras
import numpy as np

from tweetgeo.config import EncoderRegressionConfig, TrainConfig
from tweetgeo.models.layers import make_optimizer
from tweetgeo.models.losses import haversine_loss


def build(cfg: EncoderRegressionConfig, *, task: str, n_labels: int, vocabulary: list[str] | None = None,
          sequence_length: int | None = None, embedding_matrix: np.ndarray | None = None,
          input_dim: int | None = None, train: TrainConfig) -> keras.Model:
    """A compiled regression MLP on encoder features; output "coords_deg" = (lat, lon) in degrees."""
    if task != "geo":
        raise ValueError(f"encoder_regression predicts coordinates: task must be 'geo', got {task!r}")
    if not input_dim or input_dim < 1:
        raise ValueError("encoder_regression needs `input_dim` (width of the encoder vectors)")
    features = keras.Input(shape=(input_dim,), dtype="float32", name="features")
    x = features
    for i, units in enumerate(cfg.hidden):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden{i}")(x)
    # tanh × (90, 180): every prediction is a valid coordinate and training starts at (0, 0); an
    # unbounded Dense(2) can drift past the poles, where haversine folds back and gradients mislead.
    x = keras.layers.Dense(2, activation="tanh", dtype="float32", name="coords_unit")(x)
    coords = keras.layers.Rescaling(scale=[90.0, 180.0], dtype="float32", name="coords_deg")(x)
    model = keras.Model(features, {"coords_deg": coords}, name="encoder_regression")
    model.compile(optimizer=make_optimizer(train), loss={"coords_deg": haversine_loss})
    return model
