"""What evaluate writes where: headline numbers for DVC, the full result beside them.

`reports/metrics/<run>.json` is a DVC metrics file: one plain number per metric and
split (`validation.f1`, `test.median_km`, `cv.accuracy` …; for a run trained several times
`repeats.test.median_km_mean` and `_std` too; validation and test are repeat 0's), so
`dvc exp show` and `dvc metrics diff` stay readable. `reports/details/<run>.json` keeps
everything: each metric as {value, ci_low, ci_high}, row counts, the run's data set, model,
labels and features, k-fold mean/std and the repeats' spread. The report reads the details.
"""

from __future__ import annotations

from tweetgeo import paths
from tweetgeo.io import read_json, write_json

SPLITS = ("validation", "test")


def headline(result: dict) -> dict[str, dict[str, float]]:
    """{split: {metric: value}} (+ {"cv": {metric: mean}}) from an evaluate result."""
    out: dict[str, dict[str, float]] = {}
    for split in SPLITS:
        values = {name: metric["value"] for name, metric in result.get(split, {}).items()
                  if isinstance(metric, dict) and metric.get("value") is not None}
        if values:
            out[split] = values
    cv = result.get("cv", {}).get("metrics", {})
    if cv:
        out["cv"] = {name: stats["mean"] for name, stats in cv.items()}
    repeats = result.get("repeats")
    if repeats:  # train.repeats > 1: {"n": k, "test.median_km_mean": …, "test.median_km_std": …}
        out["repeats"] = {"n": repeats["n"]}
        for split in SPLITS:
            for name, stats in repeats.get(split, {}).items():
                out["repeats"].update({f"{split}.{name}_mean": stats["mean"], f"{split}.{name}_std": stats["std"]})
    return out


def write_metrics(result: dict, run: str) -> None:
    """Headline values to the DVC metrics file, the full result to the details file."""
    write_json(headline(result), paths.metrics_file(run))
    write_json(result, paths.details_file(run))


def read_details(run: str) -> dict:
    """The full result of a run's evaluation ({} when it was not evaluated yet)."""
    path = paths.details_file(run)
    return read_json(path) if path.exists() else {}
