"""The report's quality bars and levers: the best run is chosen on validation, gaps are measured, and a
run pair that differs in one setting becomes a lever."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tweetgeo import paths
from tweetgeo.config import load_params
from tweetgeo.report_targets import _difference, levers_section, target_rows, targets_table
from tweetgeo.runspec import resolve_run

ROOT = Path(__file__).resolve().parents[1]


def _metric(value: float) -> dict:
    return {"value": value, "ci_low": value - 0.01, "ci_high": value + 0.01}


def _details(run: str, validation: dict, test: dict, cv: dict | None = None) -> None:
    path = paths.details_file(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"validation": {k: _metric(v) for k, v in validation.items()},
            "test": {k: _metric(v) for k, v in test.items()}}
    if cv:
        body["cv"] = {"folds": 5, "metrics": {k: {"mean": m, "std": s} for k, (m, s) in cv.items()}}
    path.write_text(json.dumps(body))


@pytest.fixture
def params():
    return load_params(ROOT / "params.yaml")


def test_best_disaster_run_is_chosen_on_validation_not_test(params, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _details("disaster-tfidf", {"f1": 0.79}, {"f1": 0.81})
    _details("disaster-bigru", {"f1": 0.80}, {"f1": 0.70})  # best on validation, worse on test
    rows = {row.target: row for row in target_rows(params, ["disaster-tfidf", "disaster-bigru"])}
    best = rows["disaster: best model F1"]
    assert best.chosen == "disaster-bigru"
    assert not best.met and best.gap == "-0.140"
    assert rows["disaster: TF-IDF yardstick F1"].met  # 0.81 ≥ 0.80
    assert rows["disaster: best S3 RNN F1"].chosen == "disaster-bigru"


def test_geotext_bars_use_the_cv_means_and_s2_tie(params, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _details("geotext-tfidf-kdtree", {}, {"acc_at_161": 0.35},
             {"acc_at_161": (0.30, 0.02), "median_km": (600, 50)})
    _details("geotext-att-mtl-kdtree", {}, {"acc_at_161": 0.20},
             {"acc_at_161": (0.27, 0.04), "median_km": (390, 40)})
    rows = {row.target: row for row in target_rows(params, ["geotext-tfidf-kdtree", "geotext-att-mtl-kdtree"])}
    assert rows["GeoText: best Acc@161"].chosen == "geotext-tfidf-kdtree"
    assert rows["GeoText: best Acc@161"].gap == "-0.100"
    assert rows["GeoText: best median km"].met  # 390 ≤ 400
    assert rows["GeoText: S2 attention CNN ties the yardstick"].met  # 0.27 + 0.04 ≥ 0.30


def test_yachay_neural_run_that_is_clearly_worse_loses_the_tie(params, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 2000, 400)
    for run, km in [("yachay-tfidf-kdtree", base), ("yachay-bigru-kdtree", base + 500),
                    ("yachay-fasttext-kdtree", base + rng.normal(0, 5, 400)),
                    ("yachay-mentions-kdtree", base + 5000)]:  # not neural: not held to the yardstick
        path = paths.predictions(run, "test")
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"id": [str(i) for i in range(400)], "error_km": km + 10,
                      "error_km_expected": km}).to_parquet(path)
    runs = ["yachay-tfidf-kdtree", "yachay-bigru-kdtree", "yachay-fasttext-kdtree", "yachay-mentions-kdtree"]
    tie = [row for row in target_rows(params, runs) if "ties" in row.target][0]
    assert not tie.met
    assert "1 of 2" in tie.measured and "yachay-bigru-kdtree" in tie.measured
    assert "yachay-fasttext-kdtree" not in tie.measured and "mentions" not in tie.measured


def test_table_counts_the_bars_met(params, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert "No run" in targets_table(params, [])
    _details("disaster-tfidf", {"f1": 0.79}, {"f1": 0.81})
    assert "1 of 2 bars met" in targets_table(params, ["disaster-tfidf"])


def test_a_lever_is_one_setting_between_two_runs(params):
    spec = {r: resolve_run(params, r) for r in params.runs}
    assert _difference(spec["disaster-bigru"], spec["disaster-bigru-glove"]) == "features: word2vec → glove"
    assert _difference(spec["disaster-bilstm"], spec["disaster-bilstm-rdrop"]) == "rnn recurrent_dropout: 0.0 → 0.2"
    assert _difference(spec["yachay-att-mtl-kdtree"], spec["yachay-att-mtl-p2c"]) == "labels: kdtree → p2c"
    assert _difference(spec["disaster-bigru"], spec["disaster-tfidf"]) is None  # another family
    assert _difference(spec["disaster-bigru"], spec["yachay-bigru-kdtree"]) is None  # another data set


def test_levers_section_reads_validation_and_the_levers_stage(params, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _details("disaster-bigru", {"f1": 0.75}, {"f1": 0.0})
    _details("disaster-bigru-glove", {"f1": 0.78}, {"f1": 0.0})
    report = paths.levers_report("disaster")
    report.parent.mkdir(parents=True)
    report.write_text(json.dumps({"model": "yardstick", "rows": [
        {"variant": "keep mentions", "metrics": {"f1": 0.777}}]}))
    text = levers_section(params, ["disaster-bigru", "disaster-bigru-glove"])
    assert ("| disaster | features: word2vec → glove | disaster-bigru → disaster-bigru-glove | f1 | "
            "0.750 → 0.780 | helps |") in text
    assert "keep mentions" in text and "f1 0.777" in text
    assert "0.000" not in text  # test values never appear among the levers
