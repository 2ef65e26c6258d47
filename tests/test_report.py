"""The comparison report: which runs are compared, and how a metric cell reads."""

from __future__ import annotations

from pathlib import Path

from tweetgeo.config import load_params
from tweetgeo.report import _cell, comparison_pairs

ROOT = Path(__file__).resolve().parents[1]


def test_pairs_are_yardstick_and_mtl_vs_stl():
    params = load_params(ROOT / "params.yaml")
    pairs = comparison_pairs(params, list(params.runs))
    assert ("yachay-att-mtl-kdtree", "yachay-att-stl-kdtree") in pairs
    assert ("yachay-att-stl-kdtree", "yachay-att-mtl-kdtree") not in pairs
    assert ("yachay-bigru-kdtree", "yachay-tfidf-kdtree") in pairs
    assert ("disaster-bigru", "disaster-tfidf") in pairs
    for a, b in pairs:
        assert params.runs[a].dataset == params.runs[b].dataset
        assert params.models[params.runs[a].model].family != "tfidf"


def test_cell_shows_value_and_interval():
    assert _cell({"value": 0.8123, "ci_low": 0.8, "ci_high": 0.83}, 3) == "0.812 [0.800, 0.830]"
    assert _cell({"value": 1234.4, "ci_low": None, "ci_high": None}, 0) == "1234"
    assert _cell(None, 3) == "–"
