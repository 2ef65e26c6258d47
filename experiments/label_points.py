"""Where a k-d tree label should point: its training rows' median lat/lon, or one of their places.

Yachay's coordinates are Twitter *place* centres (about 12,200 distinct points), so a bucket's
coordinate-wise median (Rahimi et al. 2017's label point, what `labels.py` writes) can fall between
its places. Each alternative picks, per label, one of the training coordinates in it:
- mode: the most frequent training coordinate;
- medoid: the training coordinate with the least mean km to the label's training rows;
- cover161: the training coordinate with the most of the label's training rows within 161 km.
A saved run's validation probabilities (test is never read) are decoded with each set of points, by
argmax and by expected-distance decoding (the run's top-k). Needs a finished `dvc repro`. Usage:

    python experiments/label_points.py [--runs yachay-network-ensemble-kdtree …]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from tweetgeo import paths
from tweetgeo.config import load_params
from tweetgeo.geo import haversine_km
from tweetgeo.metrics import expected_distance_decode, geo_metrics, label_distances
from tweetgeo.predict import Predictor
from tweetgeo.rundata import load_run_splits
from tweetgeo.runspec import resolve_run
from tweetgeo.schema import TRAIN, VALIDATION

SHOWN = ("acc_at_161", "median_km", "acc_at_161_expected", "median_km_expected")


def place_points(latlon: np.ndarray, labels: np.ndarray, n_labels: int, rule: str,
                 fallback: np.ndarray) -> np.ndarray:
    """Per label, the training coordinate chosen by `rule` (labels without training rows: fallback)."""
    out = fallback.copy()
    frame = pd.DataFrame({"lat": latlon[:, 0], "lon": latlon[:, 1], "label": labels})
    for label, rows in frame.groupby("label"):
        if label < 0 or label >= n_labels:
            continue
        places = rows.groupby(["lat", "lon"]).size().reset_index(name="n")
        if rule == "mode":
            best = places["n"].to_numpy().argmax()
        else:
            lat, lon, n = places["lat"].to_numpy(), places["lon"].to_numpy(), places["n"].to_numpy()
            km = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])  # (P, P)
            best = (km @ n).argmin() if rule == "medoid" else ((km <= 161) @ n).argmax()
        out[label] = places[["lat", "lon"]].to_numpy()[best]
    return out


def cells(metrics: dict[str, float]) -> str:
    return "  ".join(f"{m} {metrics[m]:.3f}" if m.startswith("acc") else f"{m} {metrics[m]:.0f}" for m in SHOWN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", default=["yachay-tfidf-mlp-kdtree", "yachay-network-ensemble-kdtree"])
    args = parser.parse_args()
    params = load_params()
    for run in args.runs:
        spec = resolve_run(params, run)
        ensemble = run in params.ensembles
        predictor = Predictor(paths.model_dir(run, ensemble=ensemble))
        splits = load_run_splits(spec)
        train, val = splits[TRAIN], splits[VALIDATION]
        probs = predictor.scores(val.inputs)["label"].astype("float64")
        median = predictor.points[["lat", "lon"]].to_numpy("float64")
        n_labels = len(median)
        print(f"{run}: {len(val)} validation rows, {n_labels} labels, {len(train)} train rows")
        for rule in ("median", "mode", "medoid", "cover161"):
            points = median if rule == "median" else place_points(train.latlon, train.labels, n_labels, rule, median)
            result = geo_metrics(val.latlon, points[probs.argmax(axis=1)])
            decoded = expected_distance_decode(probs, points, spec.decoding_top_k, label_distances(points))
            result.update({f"{k}_expected": v for k, v in geo_metrics(val.latlon, decoded).items()})
            shift = np.median(haversine_km(median[:, 0], median[:, 1], points[:, 0], points[:, 1]))
            print(f"  {rule:9s} {cells(result)}  (median shift from the median point {shift:.0f} km)", flush=True)


if __name__ == "__main__":
    main()
