"""The mention graph's two options (`models.mentions`), scored on VALIDATION (issue 10).

For each data set: the trained TF-IDF MLP's validation probabilities (`models/<ds>-tfidf-mlp-kdtree`,
predicted once) averaged with a mention graph fitted on the train split for each `max_mentioners`
(a handle in more training rows links nobody) and `prior_weight` (pseudo-counts of the label
prior), as the network ensemble does; also the graph alone, and the MLP alone. Test is never read.
Needs a finished `dvc repro` (the MLP runs and the label files). Usage:

    python experiments/mention_graph.py [--datasets geotext yachay] [--max-mentioners 3 10 30 100]
                                        [--prior-weight 0.1 1 10] [--second-hop 0.1 0.3]

`--second-hop W…` also scores a two-hop graph (the family has one hop): the training rows that share
a handle with the rows a text links to count W each (max_mentioners 10, prior_weight 1).
"""

from __future__ import annotations

import argparse

import numpy as np

from tweetgeo.config import load_params
from tweetgeo.geo import haversine_km
from tweetgeo.metrics import ACC_KM, expected_distance_decode, label_distances
from tweetgeo.models.families.mention_graph import MentionGraph, handles
from tweetgeo.predict import Predictor
from tweetgeo.rundata import load_run_splits
from tweetgeo.runspec import resolve_run


def _scores(probs: np.ndarray, points: np.ndarray, distances, top_k: int, latlon: np.ndarray) -> str:
    """Acc@161 and median km, argmax and expected-distance decoding."""
    out = []
    for k in (1, top_k):
        decoded = expected_distance_decode(probs, points, k, distances)
        km = haversine_km(latlon[:, 0], latlon[:, 1], decoded[:, 0], decoded[:, 1])
        out.append(f"Acc@161 {np.mean(km <= ACC_KM):.3f} median {np.median(km):6.0f} km")
    return " | expected: ".join(out)


def two_hop_probabilities(train_texts: np.ndarray, train_labels: np.ndarray, texts: np.ndarray, n_labels: int,
                          weight: float, max_mentioners: int = 10) -> tuple[np.ndarray, float]:
    """One hop as the family (each linked training row once), plus `weight` per second-hop row;
    smoothed by the label prior with one pseudo-count. Returns (probabilities, coverage)."""
    row_handles = [handles(str(t)) for t in train_texts]
    rows_of: dict[str, list[int]] = {}
    for i, found in enumerate(row_handles):
        for handle in found:
            rows_of.setdefault(handle, []).append(i)
    kept = {h: rows for h, rows in rows_of.items() if len(rows) <= max_mentioners}
    counts = np.zeros((len(texts), n_labels))
    for r, text in enumerate(texts):
        first = {i for h in handles(str(text)) for i in kept.get(h, ())}
        second = {j for i in first for h in row_handles[i] for j in kept.get(h, ())} - first
        np.add.at(counts[r], train_labels[list(first)], 1.0)
        np.add.at(counts[r], train_labels[list(second)], weight)
    coverage = float(np.mean(counts.sum(axis=1) > 0))
    prior = np.bincount(train_labels, minlength=n_labels) / len(train_labels)
    return (counts + prior) / (counts.sum(axis=1, keepdims=True) + 1), coverage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["geotext", "yachay"])
    parser.add_argument("--max-mentioners", type=int, nargs="+", default=[3, 10, 30, 100])
    parser.add_argument("--prior-weight", type=float, nargs="+", default=[0.1, 1.0, 10.0])
    parser.add_argument("--second-hop", type=float, nargs="*", default=[])
    args = parser.parse_args()
    params = load_params()
    for dataset in args.datasets:
        text_spec = resolve_run(params, f"{dataset}-tfidf-mlp-kdtree")
        graph_spec = resolve_run(params, f"{dataset}-mentions-kdtree")
        predictor = Predictor(text_spec.model_dir)
        splits = load_run_splits(text_spec)
        val = splits["validation"]
        text = predictor.scores(val.inputs)["label"].astype("float64")
        raw = load_run_splits(graph_spec)
        train_raw, val_raw = raw["train"], raw["validation"]
        assert (val_raw.ids == val.ids).all()
        points = predictor.points[["lat", "lon"]].to_numpy(dtype="float64")
        distances = label_distances(points)
        top_k = params.evaluate.decoding_top_k
        rows = list(raw.values())
        mentioned = set().union(*(handles(str(t)) for split in rows for t in split.inputs))
        ids = {str(i).lower() for split in rows for i in split.ids}
        print(f"{dataset}: {len(train_raw)} train, {len(val)} validation rows, {text.shape[1]} labels "
              f"(argmax | expected-distance decoding, k = {top_k}); {len(mentioned):,} distinct handles "
              f"mentioned, {len(mentioned & ids):,} of them ids of the data set's rows")
        print(f"  {'TF-IDF MLP alone':44s} {_scores(text, points, distances, top_k, val.latlon)}")
        for cap in args.max_mentioners:
            for weight in args.prior_weight:
                graph = MentionGraph.fit(train_raw.inputs, train_raw.labels, text.shape[1], cap, weight)
                probs = graph.label_probabilities(val_raw.inputs).astype("float64")
                mean = (text + probs) / 2
                name = f"max_mentioners {cap:>3}, prior_weight {weight:g}"
                print(f"  {name:30s} coverage {graph.coverage(val_raw.inputs):.2f}  graph alone: "
                      f"{_scores(probs, points, distances, top_k, val.latlon)}")
                print(f"  {'':30s} {'with the MLP:':13s} {_scores(mean, points, distances, top_k, val.latlon)}",
                      flush=True)
        for weight in [0.0, *args.second_hop]:
            probs, coverage = two_hop_probabilities(train_raw.inputs, train_raw.labels, val_raw.inputs,
                                                    text.shape[1], weight)
            mean = (text + probs) / 2
            name = f"second hop weight {weight:g}"
            print(f"  {name:30s} coverage {coverage:.2f}  with the MLP: "
                  f"{_scores(mean, points, distances, top_k, val.latlon)}", flush=True)


if __name__ == "__main__":
    main()
