"""Runs trained several times (train.repeats = k): where the repeats are, and their spread.

Repeat 0 is the run itself (models/<run>/, reports/predictions/<run>/<split>.parquet); repeats
1…k-1, trained with seeds seed+1…, are models/<run>/repeats/<i>/ and
reports/predictions/<run>/repeats/<i>/<split>.parquet. evaluate writes the mean ± std of the
headline metrics over all k into the run's details (`repeats`); the report compares runs on their
repeat-averaged per-row errors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tweetgeo import paths
from tweetgeo.metrics import ACC_KM  # Acc@161: within 161 km (100 miles)

# the metrics whose spread over repeats is reported (geo: km and Acc@161; binary: the Kaggle F1)
HEADLINE = {"geo": ("acc_at_161", "median_km", "mean_km", "median_km_expected"),
            "binary": ("f1", "accuracy")}


def repeat_dirs(model_directory: Path) -> list[Path]:
    """The folders of repeats 1…k-1, in order ([] for a run trained once)."""
    root = paths.repeats_dir(model_directory)
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))


def spread(per_repeat: list[dict], task: str) -> dict[str, dict]:
    """{metric: {mean, std, values}} of the headline metrics over the repeats' {metric: {value}}.

    std is the sample standard deviation (ddof=1) of the k values.
    """
    out = {}
    for name in HEADLINE[task]:
        values = [m[name]["value"] for m in per_repeat if isinstance(m.get(name), dict)]
        if len(values) != len(per_repeat) or any(v is None for v in values):
            continue
        array = np.asarray(values, float)
        out[name] = {"mean": float(array.mean()), "std": float(array.std(ddof=1)) if len(array) > 1 else 0.0,
                     "values": [float(v) for v in array]}
    return out


def summary(per_split: dict[str, list[dict]], task: str, seeds: list[int]) -> dict:
    """The details' `repeats` block: n, seeds and, per split, the spread of the headline metrics."""
    return {"n": len(seeds), "seeds": seeds, **{split: spread(m, task) for split, m in per_split.items()}}


def prediction_tables(run: str, split: str, n: int) -> list[pd.DataFrame] | None:
    """The n repeats' prediction tables of one split (repeat 0 first), or None if any is missing."""
    files = [paths.predictions(run, split), *(paths.repeat_predictions(run, i, split) for i in range(1, n))]
    if not all(f.exists() for f in files):
        return None
    return [pd.read_parquet(f) for f in files]


def averaged_rows(tables: list[pd.DataFrame], task: str) -> dict[str, np.ndarray]:
    """Per-row outcomes averaged over the repeats (same rows in each): geo `error_km` (mean km) and
    `within_161` (share of repeats within 161 km); binary `correct` (share of repeats right)."""
    ids = tables[0]["id"]
    if not all(t["id"].equals(ids) for t in tables):
        raise ValueError("the repeats' prediction tables do not hold the same rows")
    if task == "binary":
        correct = np.stack([(t["target"] == t["true_label"]).to_numpy(float) for t in tables])
        return {"correct": correct.mean(axis=0)}
    errors = np.stack([t["error_km"].to_numpy(float) for t in tables])
    return {"error_km": errors.mean(axis=0), "within_161": (errors <= ACC_KM).mean(axis=0)}
