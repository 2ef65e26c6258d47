"""The headline-metric layout: DVC metrics files hold plain numbers, the details file the CIs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tweetgeo import paths
from tweetgeo.config import load_params
from tweetgeo.evaluate import split_metrics
from tweetgeo.metric_files import headline, read_details, write_metrics
from tweetgeo.report import run_table

ROOT = Path(__file__).resolve().parents[1]


def _geo_table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    true = np.column_stack([rng.uniform(25, 50, n), rng.uniform(-125, -70, n)])
    pred = true + rng.normal(0, 2, (n, 2))
    label = rng.integers(0, 10, n)
    top5 = [" ".join(map(str, [label[i], *rng.integers(0, 10, 4)])) for i in range(n)]
    return pd.DataFrame({"true_label": np.where(rng.random(n) < 0.5, label, (label + 1) % 10), "label": label,
                         "true_lat": true[:, 0], "true_lon": true[:, 1], "lat": pred[:, 0], "lon": pred[:, 1],
                         "lat_expected": pred[:, 0] + 0.1, "lon_expected": pred[:, 1], "top5": top5})


def _result() -> dict:
    result = {"run": "geotext-tfidf-kdtree", "dataset": "geotext", "model": "tfidf_linear", "labels": "kdtree",
              "features": "tfidf",
              "cv": {"folds": 3, "metrics": {"accuracy": {"mean": 0.4, "std": 0.02, "folds": 3}}}}
    for split, seed in (("validation", 1), ("test", 2)):
        result[split] = split_metrics(_geo_table(seed=seed), "geo", resamples=50, seed=7)
        result[split]["rows"] = 200
    return result


def _leaves(tree: dict, prefix: str = ""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def test_metrics_file_holds_only_headline_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _result()
    write_metrics(result, "geotext-tfidf-kdtree")
    metrics = json.loads(paths.metrics_file("geotext-tfidf-kdtree").read_text())
    leaves = dict(_leaves(metrics))
    assert all(isinstance(v, float) and not isinstance(v, bool) for v in leaves.values()), leaves
    assert not [k for k in leaves if "ci" in k.split(".")[-1] or k.endswith("rows")]
    assert set(metrics) == {"validation", "test", "cv"}
    assert {"accuracy", "acc_at_161", "median_km", "mean_km", "median_km_expected"} <= set(metrics["test"])
    assert metrics["test"]["median_km"] == result["test"]["median_km"]["value"]
    assert metrics["cv"] == {"accuracy": 0.4}
    assert len(leaves) <= 20  # a dozen columns per run in `dvc exp show`, not ~60

    details = read_details("geotext-tfidf-kdtree")
    assert details == json.loads(json.dumps(result))
    for name, metric in details["test"].items():
        if name != "rows":
            assert metric["ci_low"] <= metric["value"] <= metric["ci_high"], name
    assert details["test"]["rows"] == 200 and details["cv"]["metrics"]["accuracy"]["std"] == 0.02


def test_headline_skips_missing_splits_and_values() -> None:
    result = {"run": "r", "validation": {"f1": {"value": 0.7, "ci_low": None, "ci_high": None}, "rows": 10}}
    assert headline(result) == {"validation": {"f1": 0.7}}


def test_report_reads_intervals_from_details(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    params = load_params(ROOT / "params.yaml")
    result = _result()
    write_metrics(result, "geotext-tfidf-kdtree")
    table = run_table(params, ["geotext-tfidf-kdtree"], "test", ["accuracy", "median_km"])
    acc = result["test"]["accuracy"]
    assert f"{acc['value']:.3f} [{acc['ci_low']:.3f}, {acc['ci_high']:.3f}]" in table


def test_dvc_yaml_declares_only_headline_metrics() -> None:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    declared = {name: [next(iter(m)) if isinstance(m, dict) else m for m in stage.get("do", stage).get("metrics", [])]
                for name, stage in stages.items()}
    headline = [str(paths.metrics_file("${key}"))]
    assert {name: m for name, m in declared.items() if m} == {"evaluate": headline, "evaluate_ensemble": headline}
    outs = stages["prepare"]["do"]["outs"]
    assert {str(paths.quality_report("${key}")): {"cache": False}} in outs  # data quality: a plain git-tracked out
    assert {str(paths.details_file("${key}")): {"cache": False}} in stages["evaluate"]["do"]["outs"]
