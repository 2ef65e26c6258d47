"""Coordinate losses: haversine distance in km and Euclidean distance on normalised coordinates."""

from __future__ import annotations

import math

from tweetgeo.runtime import keras  # TensorFlow imported quietly, once

ops = keras.ops

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
_EPS = 1e-12  # below this a squared term counts as zero (keeps sqrt' finite)


def _safe_sqrt(x):
    """sqrt with value 0 and gradient 0 at x == 0 (double-where trick, no NaN)."""
    positive = ops.greater(x, _EPS)
    return ops.where(positive, ops.sqrt(ops.where(positive, x, _EPS)), ops.zeros_like(x))


@keras.saving.register_keras_serializable(package="tweetgeo")
def haversine_loss(y_true, y_pred):
    """Great-circle distance in km per row between (lat, lon) pairs given in degrees."""
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    to_rad = math.pi / 180.0
    lat1, lon1 = y_true[..., 0] * to_rad, y_true[..., 1] * to_rad
    lat2, lon2 = y_pred[..., 0] * to_rad, y_pred[..., 1] * to_rad
    a = ops.sin((lat2 - lat1) / 2.0) ** 2 + ops.cos(lat1) * ops.cos(lat2) * ops.sin((lon2 - lon1) / 2.0) ** 2
    root = ops.clip(_safe_sqrt(a), 0.0, 1.0 - 1e-7)  # asin'(1) is infinite: stay just below
    return 2.0 * EARTH_RADIUS_KM * ops.arcsin(root)


@keras.saving.register_keras_serializable(package="tweetgeo")
def euclidean_unit_loss(y_true, y_pred):
    """Euclidean distance between coordinates normalised to 0–1, divided by sqrt(2) so it lies in 0–1."""
    diff = ops.cast(y_pred, "float32") - ops.cast(y_true, "float32")
    return _safe_sqrt(ops.sum(diff * diff, axis=-1)) / math.sqrt(2.0)


