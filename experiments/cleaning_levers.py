"""Which cleaning (and Kaggle keyword) choices help the TF-IDF yardstick, on VALIDATION only.

Prints one line per variant: the choice behind `datasets.<name>.clean` in params.yaml
(docs/levers.md quotes this output). Needs `dvc repro clean` first (reads data/clean/<name>.parquet
for the split and the raw text). Usage:

    python experiments/cleaning_levers.py disaster
    python experiments/cleaning_levers.py geotext
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from tweetgeo import paths
from tweetgeo.config import CleanConfig, load_params
from tweetgeo.geo import haversine_km
from tweetgeo.labels import KdTreeLabels
from tweetgeo.metrics import ACC_KM, classification_metrics, f1_threshold
from tweetgeo.models.tfidf import TfidfLinear, fit_vectorizers
from tweetgeo.text import TextCleaner

VARIANTS = {  # overrides of the default `clean` section
    "default (S2/S3: drop mentions, stop words, numbers)": {},
    "keep mentions": {"mentions": "keep"},
    "keep mentions + stop words + numbers": {"mentions": "keep", "stopwords": False, "numbers": "keep"},
    "keep everything but URLs": {"mentions": "keep", "hashtags": "keep", "numbers": "keep",
                                 "stopwords": False, "emoji": "keep"},
}


def yardstick(train: list[str], labels: np.ndarray) -> TfidfLinear:
    """The pipeline's yardstick as params.yaml sets it: the embed stage's TF-IDF features, C = 1."""
    params = load_params()
    return TfidfLinear(1.0, fit_vectorizers(train, params.embeddings.tfidf), seed=params.seed).fit(train, labels)


def score_disaster(train: list[str], y_train: np.ndarray, val: list[str], y_val: np.ndarray) -> str:
    prob = yardstick(train, y_train).predict_proba(val)[:, 1]
    at_half = classification_metrics(y_val, prob >= 0.5)["f1"]
    best = classification_metrics(y_val, prob >= f1_threshold(y_val, prob))["f1"]
    return f"F1 {at_half:.3f} at 0.5 (F1-best threshold on the same rows: {best:.3f}, optimistic)"


def score_geo(train: list[str], latlon_t: np.ndarray, val: list[str], latlon_v: np.ndarray, bucket: int) -> str:
    kd = KdTreeLabels.fit(latlon_t, bucket)
    model = yardstick(train, kd.assign(latlon_t))
    points = kd.points[["lat", "lon"]].to_numpy()
    pred = points[model.predict(val)]
    km = haversine_km(latlon_v[:, 0], latlon_v[:, 1], pred[:, 0], pred[:, 1])
    return f"Acc@161 {np.mean(km <= ACC_KM):.3f}, median {np.median(km):.0f} km"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=["disaster", "geotext"])
    parser.add_argument("--bucket", type=int, default=50, help="k-d bucket size (geotext)")
    args = parser.parse_args()
    frame = pd.read_parquet(paths.clean(args.dataset))
    train, val = frame[frame["split"] == "train"], frame[frame["split"] == "validation"]
    if args.dataset == "disaster":
        train, val = train[train["target"].notna()], val[val["target"].notna()]
    print(f"{args.dataset}: {len(train)} train, {len(val)} validation rows")
    base = CleanConfig().model_dump()
    for name, override in VARIANTS.items():
        cleaner = TextCleaner(CleanConfig(**{**base, **override}))
        xt, xv = cleaner.clean_many(train["raw_text"].tolist()), cleaner.clean_many(val["raw_text"].tolist())
        if args.dataset == "disaster":
            result = score_disaster(xt, train["target"].astype(int).to_numpy(), xv,
                                    val["target"].astype(int).to_numpy())
        else:
            result = score_geo(xt, train[["lat", "lon"]].to_numpy(), xv, val[["lat", "lon"]].to_numpy(), args.bucket)
        print(f"  {name:55s} {result}", flush=True)
    if args.dataset == "disaster":  # Kaggle's keyword column as a leading token
        raw = pd.read_csv("data/raw/disaster/train.csv", usecols=["id", "keyword"], dtype=str)
        keyword = dict(zip(raw["id"], raw["keyword"].fillna("").str.replace("%20", "_")))
        cleaner = TextCleaner(CleanConfig(**base))

        def with_keyword(part: pd.DataFrame) -> list[str]:
            texts = cleaner.clean_many(part["raw_text"].tolist())
            return [f"kw_{keyword.get(i, '')} {t}" for i, t in zip(part["id"], texts)]

        result = score_disaster(with_keyword(train), train["target"].astype(int).to_numpy(), with_keyword(val),
                                val["target"].astype(int).to_numpy())
        print(f"  {'default + Kaggle keyword token':55s} {result}")


if __name__ == "__main__":
    main()
