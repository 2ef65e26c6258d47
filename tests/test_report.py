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


def test_vectorised_bootstrap_f1_equals_scikit_learns_binary_f1():
    import numpy as np

    from tweetgeo.metrics import classification_metrics
    from tweetgeo.report import _f1

    rng = np.random.default_rng(1)
    truth, pred = rng.integers(0, 2, (50, 25)), rng.integers(0, 2, (50, 25))
    truth[0], pred[0] = 0, 0  # no positive anywhere: F1 is 0, as zero_division=0 says
    expected = [classification_metrics(t, p)["f1"] for t, p in zip(truth, pred)]
    assert np.allclose(_f1(truth, pred), expected, atol=1e-12)
