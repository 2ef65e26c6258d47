"""Which cleaning (and Kaggle keyword) choices help a TF-IDF linear model, on VALIDATION only.

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
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from tweetgeo import paths
from tweetgeo.config import CleanConfig
from tweetgeo.geo import haversine_km
from tweetgeo.labels import KdTreeLabels
from tweetgeo.metrics import ACC_KM, classification_metrics, f1_threshold
from tweetgeo.text import TextCleaner

VARIANTS = {  # overrides of the default `clean` section
    "default (S2/S3: drop mentions, stop words, numbers)": {},
    "keep mentions": {"mentions": "keep"},
    "keep mentions + stop words + numbers": {"mentions": "keep", "stopwords": False, "numbers": "keep"},
    "keep everything but URLs": {"mentions": "keep", "hashtags": "keep", "numbers": "keep",
                                 "stopwords": False, "emoji": "keep"},
}


def features(train: list[str], other: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Word 1–2-grams + character 2–4-grams within words, as the yardstick uses."""
    vectorizers = [TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+", min_df=2),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2)]
    return (sp.hstack([v.fit_transform(train) for v in vectorizers]).tocsr(),
            sp.hstack([v.transform(other) for v in vectorizers]).tocsr())


def score_disaster(xt, yt, xv, yv) -> str:
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(xt, yt)
    prob = clf.predict_proba(xv)[:, 1]
    at_half = classification_metrics(yv, prob >= 0.5)["f1"]
    return f"F1 {at_half:.3f} at 0.5 (F1-best threshold on the same rows: " \
           f"{classification_metrics(yv, prob >= f1_threshold(yv, prob))['f1']:.3f}, optimistic)"


def score_geo(xt, latlon_t, xv, latlon_v, bucket: int) -> str:
    kd = KdTreeLabels.fit(latlon_t, bucket)
    labels = kd.assign(latlon_t)
    points = np.array([np.median(latlon_t[labels == k], axis=0) for k in range(labels.max() + 1)])
    clf = LogisticRegression(C=1.0, max_iter=300).fit(xt, labels)
    pred = points[clf.classes_[clf.predict_proba(xv).argmax(axis=1)]]
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
    variants = dict(VARIANTS)
    for name, override in variants.items():
        cleaner = TextCleaner(CleanConfig(**{**base, **override}))
        xt, xv = features(cleaner.clean_many(train["raw_text"].tolist()),
                          cleaner.clean_many(val["raw_text"].tolist()))
        if args.dataset == "disaster":
            result = score_disaster(xt, train["target"].astype(int), xv, val["target"].astype(int).to_numpy())
        else:
            result = score_geo(xt, train[["lat", "lon"]].to_numpy(), xv, val[["lat", "lon"]].to_numpy(),
                               args.bucket)
        print(f"  {name:55s} {result}", flush=True)
    if args.dataset == "disaster":  # Kaggle's keyword column as a leading token
        raw = pd.read_csv("data/raw/disaster/train.csv", usecols=["id", "keyword"], dtype=str)
        keyword = dict(zip(raw["id"], raw["keyword"].fillna("").str.replace("%20", "_")))
        cleaner = TextCleaner(CleanConfig(**base))

        def with_keyword(part: pd.DataFrame) -> list[str]:
            texts = cleaner.clean_many(part["raw_text"].tolist())
            return [f"kw_{keyword.get(i, '')} {t}" for i, t in zip(part["id"], texts)]

        xt, xv = features(with_keyword(train), with_keyword(val))
        result = score_disaster(xt, train["target"].astype(int), xv, val["target"].astype(int).to_numpy())
        print(f"  {'default + Kaggle keyword token':55s} {result}")


if __name__ == "__main__":
    main()
