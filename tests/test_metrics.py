"""Tests for tweetgeo.metrics on hand-computed toy values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tweetgeo import metrics
from tweetgeo.metrics import (
    argmax_decode,
    bootstrap_ci,
    classification_metrics,
    expected_distance_decode,
    geo_metrics,
    kfold_summary,
    paired_bootstrap_pvalue,
    per_label_report,
    with_confidence,
)

KM_PER_DEGREE = 6371.0088 * np.pi / 180  # along the equator: 111.195 km
LONDON, PARIS = (51.5074, -0.1278), (48.8566, 2.3522)


def equator(lons: list[float]) -> np.ndarray:
    """(lat, lon) points on the equator at the given longitudes."""
    return np.column_stack([np.zeros(len(lons)), lons])


def test_london_paris_is_about_344_km() -> None:
    result = geo_metrics(np.array([LONDON]), np.array([PARIS]))
    assert result["mean_km"] == pytest.approx(344, abs=1.5)
    assert result["acc_at_161"] == 0.0


def test_geo_metrics_toy_set() -> None:
    # errors of 0, 1, 2 and 10 degrees along the equator
    true = equator([0, 0, 0, 0])
    pred = equator([0, 1, 2, 10])
    labels = np.array([0, 1, 2, 3])
    top5 = np.array([[0, 4, 5, 6, 7], [5, 6, 7, 8, 1], [9, 8, 7, 6, 5], [3, 0, 0, 0, 0]])
    result = geo_metrics(true, pred, labels, np.array([0, 5, 9, 0]), top5)
    assert result["mean_km"] == pytest.approx(3.25 * KM_PER_DEGREE)
    assert result["median_km"] == pytest.approx(1.5 * KM_PER_DEGREE)
    assert result["acc_at_161"] == 0.5
    assert result["accuracy"] == 0.25
    assert result["accuracy_top5"] == 0.75
    assert set(geo_metrics(true, pred)) == {"mean_km", "median_km", "acc_at_161"}


def test_classification_metrics_toy_set() -> None:
    # TP 3, FN 1, FP 2, TN 4
    y_true = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    y_pred = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0])
    result = classification_metrics(y_true, y_pred)
    assert result == pytest.approx(
        {"accuracy": 0.7, "precision": 0.6, "recall": 0.75, "f1": 2 / 3, "macro_f1": (2 / 3 + 8 / 11) / 2}
    )


def test_classification_metrics_no_positive_predictions_is_zero_not_error() -> None:
    result = classification_metrics(np.array([1, 0, 0]), np.array([0, 0, 0]))
    assert result["precision"] == 0.0 and result["f1"] == 0.0


def test_bootstrap_ci_contains_estimate_and_shrinks_with_more_data() -> None:
    rng = np.random.default_rng(1)
    widths = []
    for n in (100, 10_000):
        x = rng.normal(5.0, 2.0, n)
        low, high = bootstrap_ci(lambda idx, x=x: x[idx].mean(), n, resamples=300, seed=0)
        assert low < x.mean() < high
        widths.append(high - low)
    assert widths[1] < widths[0] / 5  # width ~ 1/sqrt(n): about 10x narrower


def test_bootstrap_ci_batched_equals_looped() -> None:
    x = np.random.default_rng(2).exponential(size=500)
    looped = bootstrap_ci(lambda idx: np.median(x[idx]), 500, resamples=200, seed=3)
    batched = bootstrap_ci(lambda idx: np.median(x[idx], axis=-1), 500, resamples=200, seed=3, batched=True)
    assert batched == pytest.approx(looped)


def _geo_arrays(n: int, seed: int) -> dict[str, np.ndarray]:
    """Random true/predicted points and labels for bootstrap tests."""
    rng = np.random.default_rng(seed)
    true = np.column_stack([rng.uniform(-60, 60, n), rng.uniform(-180, 180, n)])
    pred = true + rng.normal(0, 3, (n, 2))
    true_label = rng.integers(0, 8, n)
    pred_label = np.where(rng.random(n) < 0.6, true_label, rng.integers(0, 8, n))
    top5 = np.column_stack([pred_label, rng.integers(0, 8, (n, 4))])
    return {"true_latlon": true, "pred_latlon": pred, "true_label": true_label, "pred_label": pred_label, "top5": top5}


def test_with_confidence_vectorised_geo_equals_per_resample_loop() -> None:
    arrays = _geo_arrays(300, seed=4)
    fast = with_confidence(geo_metrics, arrays, resamples=100, seed=5)
    slow = with_confidence(lambda **a: geo_metrics(**a), arrays, resamples=100, seed=5)
    assert fast.keys() == {"mean_km", "median_km", "acc_at_161", "accuracy", "accuracy_top5"}
    for name, stats in fast.items():
        assert stats == pytest.approx(slow[name])
        assert stats["ci_low"] <= stats["value"] <= stats["ci_high"]


def test_with_confidence_vectorised_classification_equals_sklearn_loop() -> None:
    rng = np.random.default_rng(6)
    y_true = rng.integers(0, 2, 400)
    y_pred = np.where(rng.random(400) < 0.8, y_true, 1 - y_true)
    arrays = {"y_true": y_true, "y_pred": y_pred}
    fast = with_confidence(classification_metrics, arrays, resamples=100, seed=7)
    slow = with_confidence(lambda **a: classification_metrics(**a), arrays, resamples=100, seed=7)
    for name, stats in fast.items():
        assert stats == pytest.approx(slow[name])
    assert fast["accuracy"]["value"] == pytest.approx(np.mean(y_true == y_pred))


def test_paired_bootstrap_pvalue_direction() -> None:
    rng = np.random.default_rng(8)
    truth = rng.integers(0, 2, 200)
    good = np.where(rng.random(200) < 0.9, truth, 1 - truth)
    coin = np.where(rng.random(200) < 0.5, truth, 1 - truth)
    accuracy = lambda t, p: np.mean(t == p, axis=-1)  # noqa: E731
    assert paired_bootstrap_pvalue(accuracy, truth, good, coin, resamples=300, seed=0) < 0.01
    assert paired_bootstrap_pvalue(accuracy, truth, coin, good, resamples=300, seed=0) > 0.99
    assert paired_bootstrap_pvalue(accuracy, truth, good, good, resamples=300, seed=0) >= 0.4
    batched = paired_bootstrap_pvalue(accuracy, truth, good, coin, resamples=300, seed=0, batched=True)
    assert batched == paired_bootstrap_pvalue(accuracy, truth, good, coin, resamples=300, seed=0)


def test_paired_bootstrap_pvalue_lower_is_better() -> None:
    rng = np.random.default_rng(9)
    truth = np.column_stack([rng.uniform(-50, 50, 200), rng.uniform(-100, 100, 200)])
    near, far = truth + rng.normal(0, 0.5, (200, 2)), truth + rng.normal(0, 5, (200, 2))
    mean_km = lambda t, p: geo_metrics(t, p)["mean_km"]  # noqa: E731
    assert paired_bootstrap_pvalue(mean_km, truth, near, far, resamples=200, seed=0, higher_is_better=False) < 0.01
    assert paired_bootstrap_pvalue(mean_km, truth, near, far, resamples=200, seed=0) > 0.99


def test_expected_distance_decode_picks_the_medoid_not_the_mode() -> None:
    # three collinear equator points 1 degree (d km) apart: P = 0.36, 0.30, 0.34
    # expected distance: left 0.30d + 0.68d = 0.98d, middle 0.36d + 0.34d = 0.70d, right 0.30d + 0.72d = 1.02d
    points = equator([0, 1, 2])
    probs = np.array([[0.36, 0.30, 0.34]])
    assert expected_distance_decode(probs, points, top_k=3).tolist() == [[0.0, 1.0]]
    assert argmax_decode(probs, points).tolist() == [[0.0, 0.0]]
    # top-2 keeps only the outer points; renormalised, the more probable one wins
    assert expected_distance_decode(probs, points, top_k=2).tolist() == [[0.0, 0.0]]


def test_expected_distance_decode_top1_is_argmax_and_chunking_is_invisible(monkeypatch) -> None:
    rng = np.random.default_rng(10)
    probs = rng.dirichlet(np.ones(12), size=50)
    points = np.column_stack([rng.uniform(-60, 60, 12), rng.uniform(-180, 180, 12)])
    np.testing.assert_array_equal(expected_distance_decode(probs, points, top_k=1), argmax_decode(probs, points))
    whole = expected_distance_decode(probs, points, top_k=5)
    monkeypatch.setattr(metrics, "MAX_CELLS", 7 * 25)  # 7 rows per chunk
    np.testing.assert_array_equal(expected_distance_decode(probs, points, top_k=5), whole)


def test_per_label_report() -> None:
    report = per_label_report(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0]), {0: "A", 1: "B", 2: "C"})
    assert isinstance(report, pd.DataFrame)
    assert list(report.columns) == ["label", "name", "precision", "recall", "f1", "support", "correct", "incorrect"]
    assert report["name"].tolist() == ["C", "A", "B"]  # by support
    assert report["correct"].tolist() == [2, 1, 1]
    assert report["incorrect"].tolist() == [1, 1, 0]
    assert report.loc[report["name"] == "B", "precision"].item() == 0.5
    assert per_label_report(np.array([3]), np.array([4]), None)["name"].tolist() == ["3", "4"]


def test_kfold_summary() -> None:
    summary = kfold_summary([{"acc": 0.5, "f1": 0.2}, {"acc": 0.7, "f1": 0.2}])
    assert summary["acc"] == pytest.approx({"mean": 0.6, "std": 0.1, "folds": 2})
    assert summary["f1"]["std"] == 0.0
    with pytest.raises(ValueError, match="different metrics"):
        kfold_summary([{"acc": 0.5}, {"f1": 0.2}])


def test_f1_threshold_maximises_f1_and_separates_the_classes() -> None:
    from tweetgeo.metrics import classification_metrics, f1_threshold

    y = np.array([0, 0, 0, 1, 1, 1, 0, 1])
    prob = np.array([0.05, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.9])
    t = f1_threshold(y, prob)
    assert 0.2 < t <= 0.25  # every positive is at or above 0.25; the best F1 keeps them all
    best = classification_metrics(y, prob >= t)["f1"]
    assert best == max(classification_metrics(y, prob >= c)["f1"] for c in np.unique(prob))
    assert best > classification_metrics(y, prob >= 0.5)["f1"]
    assert f1_threshold(np.zeros(4, int), np.linspace(0.1, 0.4, 4)) == 0.5  # no positive: the default
