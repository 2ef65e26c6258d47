"""Distance-aware decoding's top-k (`evaluate.decoding_top_k`), scored on VALIDATION (issue 10).

Loads a trained geo run (`models/<run>/`), predicts its label probabilities for the validation
rows once, and decodes them with each k: the label point with the least expected distance among
the k most probable labels (k = 1 is argmax). Test is never read. The pipeline keeps k in every
model card, so changing it in params.yaml re-runs every train stage; this prints what each k would
give without retraining. Needs a finished `dvc repro`. Usage:

    python experiments/decoding_top_k.py [--runs yachay-tfidf-mlp-kdtree geotext-tfidf-mlp-kdtree]
                                         [--k 1 5 10 20 50]
"""

from __future__ import annotations

import argparse

import numpy as np

from tweetgeo.config import load_params
from tweetgeo.geo import haversine_km
from tweetgeo.metrics import ACC_KM, expected_distance_decode, label_distances
from tweetgeo.predict import Predictor
from tweetgeo.rundata import load_run_splits
from tweetgeo.runspec import resolve_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", default=["yachay-tfidf-mlp-kdtree", "geotext-tfidf-mlp-kdtree"])
    parser.add_argument("--k", type=int, nargs="+", default=[1, 5, 10, 20, 50])
    args = parser.parse_args()
    params = load_params()
    for run in args.runs:
        spec = resolve_run(params, run)
        predictor = Predictor(spec.model_dir)
        if not predictor.labelled_geo:
            raise SystemExit(f"{run}: not a geo run with labels")
        val = load_run_splits(spec)["validation"]
        probs = predictor.scores(val.inputs)["label"]  # inputs as evaluate gives them (cleaned once)
        points = predictor.points[["lat", "lon"]].to_numpy(dtype="float64")
        distances = label_distances(points)
        print(f"{run}: {len(val)} validation rows, {probs.shape[1]} labels "
              f"(params.yaml k = {params.evaluate.decoding_top_k})")
        for k in args.k:
            decoded = expected_distance_decode(probs, points, k, distances)
            km = haversine_km(val.latlon[:, 0], val.latlon[:, 1], decoded[:, 0], decoded[:, 1])
            print(f"  k {k:>3}: Acc@161 {np.mean(km <= ACC_KM):.4f}  median {np.median(km):7.1f} km  "
                  f"mean {np.mean(km):7.1f} km", flush=True)


if __name__ == "__main__":
    main()
