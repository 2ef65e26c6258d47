"""Predictor._geo_frame: label ids for evaluation, names and rounded confidence for people."""

from __future__ import annotations

import numpy as np
import pandas as pd

from specs import tiny_spec
from tweetgeo.predict import Predictor


def _predictor(points: pd.DataFrame) -> Predictor:
    """A Predictor holding only label points (no model is needed to turn scores into rows)."""
    predictor = Predictor.__new__(Predictor)
    predictor.points = points
    predictor.spec = tiny_spec(decoding_top_k=3)
    predictor._distances = None  # built on first use, as __init__ leaves it
    return predictor


def test_geo_frame_names_top5_and_rounds_confidence() -> None:
    points = pd.DataFrame({"label": range(6), "lat": [48.86, 51.5, 40.7, 35.7, -33.9, 19.4],
                           "lon": [2.35, -0.1, -74.0, 139.7, 151.2, -99.1],
                           "name": ["Paris, FR", "London, GB", "New York City, US", "Tokyo, JP",
                                    "Sydney, AU", "Mexico City, MX"], "n_train": 1})
    probs = np.array([[0.123456789, 0.5, 0.2, 0.1, 0.05, 0.021543211],
                      [0.05, 0.05, 0.1, 0.6, 0.1, 0.1]])
    frame = _predictor(points)._geo_frame(probs)
    assert frame["label"].tolist() == [1, 3]
    assert frame["name"].tolist() == ["London, GB", "Tokyo, JP"]
    assert frame["confidence"].tolist() == [0.5, 0.6]
    assert frame["top5"].iloc[0] == "1 2 0 3 4"  # ids, most probable first
    assert frame["top5_names"].iloc[0] == "London, GB; New York City, US; Paris, FR; Tokyo, JP; Sydney, AU"
    ids = [[int(i) for i in row.split()] for row in frame["top5"]]  # what evaluate parses
    names = [row.split("; ") for row in frame["top5_names"]]
    assert names == [points["name"].to_numpy()[row].tolist() for row in ids]
    uneven = _predictor(points)._geo_frame(np.array([[0.123456789, 0.876543211, 0, 0, 0, 0]]))
    assert uneven["confidence"].iloc[0] == 0.8765  # 4 digits


def test_geo_frame_empty() -> None:
    points = pd.DataFrame({"label": [0, 1], "lat": [0.0, 1.0], "lon": [0.0, 1.0], "name": ["A, XX", "B, XX"],
                           "n_train": 1})
    frame = _predictor(points)._geo_frame(np.zeros((0, 2)))
    assert len(frame) == 0 and {"top5", "top5_names", "confidence"} <= set(frame)
