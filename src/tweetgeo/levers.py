"""Cleaning levers, measured on validation by the pipeline (stage `levers`): the TF-IDF yardstick
trained on the train split after each cleaning variant, scored on the validation split.

The test split is never read. The data set's own `clean` choice in params.yaml is one of the rows,
so the report shows what it was chosen against.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from tweetgeo import schema
from tweetgeo.config import CleanConfig, Params
from tweetgeo.geo import haversine_km
from tweetgeo.labels import KdTreeLabels
from tweetgeo.metrics import ACC_KM, classification_metrics, f1_threshold
from tweetgeo.models.tfidf import TfidfLinear, fit_vectorizers
from tweetgeo.text import TextCleaner

# overrides of the `clean` section (S2/S3's choices) tried on every data set
VARIANTS: dict[str, dict] = {
    "section default (S2/S3: drop mentions, stop words, numbers)": {},
    "keep mentions": {"mentions": "keep"},
    "keep mentions + stop words + numbers": {"mentions": "keep", "stopwords": False, "numbers": "keep"},
    "keep everything but URLs": {"mentions": "keep", "hashtags": "keep", "numbers": "keep",
                                 "stopwords": False, "emoji": "keep"},
}
CHOSEN = "this data set's choice (params.yaml)"


def _yardstick(params: Params, dataset: str, train: list[str], labels: np.ndarray) -> TfidfLinear:
    """The pipeline's yardstick as params.yaml sets it: the embed stage's TF-IDF features, C = 1."""
    features = fit_vectorizers(train, params.embeddings_for(dataset).tfidf)
    return TfidfLinear(1.0, features, seed=params.seed).fit(train, labels)


def score_binary(params: Params, dataset: str, train: list[str], y_train: np.ndarray,
                 val: list[str], y_val: np.ndarray) -> dict[str, float]:
    """Validation F1 at 0.5, and at the F1-best threshold on the same rows (optimistic)."""
    prob = _yardstick(params, dataset, train, y_train).predict_proba(val)[:, 1]
    return {"f1": classification_metrics(y_val, prob >= 0.5)["f1"],
            "f1_best_threshold": classification_metrics(y_val, prob >= f1_threshold(y_val, prob))["f1"]}


def score_geo(params: Params, dataset: str, train: list[str], latlon_t: np.ndarray,
              val: list[str], latlon_v: np.ndarray) -> dict[str, float]:
    """Validation Acc@161 and median km of the yardstick on the data set's k-d tree labels."""
    kd = KdTreeLabels.fit(latlon_t, params.labels_for(dataset).kdtree.bucket_size)
    model = _yardstick(params, dataset, train, kd.assign(latlon_t))
    pred = kd.points[["lat", "lon"]].to_numpy()[model.predict(val)]
    km = haversine_km(latlon_v[:, 0], latlon_v[:, 1], pred[:, 0], pred[:, 1])
    return {"acc_at_161": float(np.mean(km <= ACC_KM)), "median_km": float(np.median(km))}


def variants(params: Params, dataset: str) -> dict[str, CleanConfig]:
    """The data set's own choice first, then the section default and the other variants (a variant
    equal to the data set's choice is not trained twice: its name is added to the choice's)."""
    base = params.clean.model_dump()
    chosen = params.clean_for(dataset)
    found = {CHOSEN: chosen}
    for name, override in VARIANTS.items():
        clean = CleanConfig(**{**base, **override})
        if clean == chosen:
            found[f"{CHOSEN} = {name}"] = found.pop(CHOSEN)
        else:
            found[name] = clean
    return found


def measure(params: Params, dataset: str, frame: pd.DataFrame) -> dict:
    """{dataset, task, train_rows, validation_rows, rows: [{variant, clean, metrics, seconds}]}."""
    task = params.datasets[dataset].task
    train = frame[frame[schema.SPLIT] == "train"]
    val = frame[frame[schema.SPLIT] == "validation"]
    if task == "disaster":
        train, val = train[train[schema.TARGET].notna()], val[val[schema.TARGET].notna()]
    rows = []
    for name, clean in variants(params, dataset).items():
        start = time.perf_counter()
        cleaner = TextCleaner(clean)
        xt = cleaner.clean_many(train[schema.RAW_TEXT].tolist())
        xv = cleaner.clean_many(val[schema.RAW_TEXT].tolist())
        if task == "disaster":
            metrics = score_binary(params, dataset, xt, train[schema.TARGET].astype(int).to_numpy(),
                                   xv, val[schema.TARGET].astype(int).to_numpy())
        else:
            metrics = score_geo(params, dataset, xt, train[["lat", "lon"]].to_numpy(),
                                xv, val[["lat", "lon"]].to_numpy())
        rows.append({"variant": name, "clean": clean.model_dump(mode="json"),
                     "metrics": {k: round(v, 4) for k, v in metrics.items()},
                     "seconds": round(time.perf_counter() - start, 1)})
    return {"dataset": dataset, "task": task, "model": "tfidf yardstick (C = 1)", "split": "validation",
            "train_rows": len(train), "validation_rows": len(val), "rows": rows}
