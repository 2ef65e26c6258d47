"""Tests for tweetgeo.plots: every chart writes a non-empty PNG and leaves no temp file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tweetgeo import metrics, plots
from tweetgeo.metrics import per_label_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    """path is a real PNG and is the only file in its folder (the temp file is gone)."""
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert path.stat().st_size > 2_000
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_training_curves(tmp_path: Path) -> None:
    history = pd.DataFrame(
        {
            "epoch": [1, 2, 3],
            "loss": [0.9, 0.6, 0.5],
            "val_loss": [1.0, 0.8, 0.7],
            "accuracy": [0.5, 0.7, 0.8],
            "val_accuracy": [0.5, 0.6, 0.65],
        }
    )
    plots.training_curves(history, tmp_path / "curves" / "history.png", "GRU on disaster tweets")
    assert_png(tmp_path / "curves" / "history.png")


def test_training_curves_without_validation_or_epoch(tmp_path: Path) -> None:
    plots.training_curves(pd.DataFrame({"loss": [0.9, 0.6]}), tmp_path / "loss.png", "loss only")
    assert_png(tmp_path / "loss.png")


def test_confusion_matrix_lumps_rare_labels(tmp_path: Path, rng: np.random.Generator) -> None:
    labels = [f"city {i}" for i in range(30)]
    y_true = rng.zipf(1.5, 2_000) % 30
    y_pred = np.where(rng.random(2_000) < 0.6, y_true, rng.integers(0, 30, 2_000))
    plots.confusion_matrix_plot(y_true, y_pred, labels, tmp_path / "cm.png", "P2C labels", top_n=10)
    assert_png(tmp_path / "cm.png")


def test_confusion_matrix_binary(tmp_path: Path) -> None:
    plots.confusion_matrix_plot(
        np.array([0, 1, 1, 0, 1]), np.array([0, 1, 0, 0, 1]), ["not disaster", "disaster"], tmp_path / "cm.png", "LSTM"
    )
    assert_png(tmp_path / "cm.png")


def test_per_label_bars(tmp_path: Path, rng: np.random.Generator) -> None:
    y_true = rng.integers(0, 25, 1_000)
    y_pred = np.where(rng.random(1_000) < 0.7, y_true, rng.integers(0, 25, 1_000))
    report = per_label_report(y_true, y_pred, {i: f"city {i}" for i in range(25)})
    plots.per_label_bars(report, tmp_path / "bars.png", "CNN-BiLSTM per city")
    assert_png(tmp_path / "bars.png")


def test_error_cdf(tmp_path: Path, rng: np.random.Generator) -> None:
    errors = {"MTL": rng.lognormal(5, 1.5, 500), "STL": rng.lognormal(5.5, 1.5, 500), "zeros": np.zeros(10)}
    plots.error_cdf(errors, tmp_path / "cdf.png", "error distance")
    assert_png(tmp_path / "cdf.png")


def test_error_map_points_at_us_extent(tmp_path: Path, rng: np.random.Generator) -> None:
    true = np.column_stack([rng.uniform(25, 50, 800), rng.uniform(-125, -70, 800)])
    pred = true + rng.normal(0, 4, (800, 2))
    assert plots.map_extent(true) == plots.CONTINENTAL_US
    plots.error_map(true, pred, tmp_path / "map.png", "TWITTER-US errors")
    assert_png(tmp_path / "map.png")


def test_error_map_density_at_world_extent(tmp_path: Path, rng: np.random.Generator) -> None:
    n = plots.DENSITY_ROWS + 500  # hexagon medians, not points
    true = np.column_stack([rng.uniform(-50, 60, n), rng.uniform(-150, 150, n)])
    assert plots.map_extent(true) == plots.WORLD
    plots.error_map(true, true + rng.normal(0, 10, (n, 2)), tmp_path / "map.png", "Yachay errors")
    assert_png(tmp_path / "map.png")


def test_curve_tables_put_train_and_validation_side_by_side(tmp_path: Path) -> None:
    history = pd.DataFrame({"epoch": [1, 2], "loss": [0.9, 0.6], "val_loss": [1.0, 0.8],
                            "accuracy": [0.5, 0.7], "val_accuracy": [0.5, 0.6], "lr": [0.1, 0.1]})
    written = plots.write_curve_tables(history, tmp_path)
    assert sorted(p.name for p in written) == ["training_accuracy.tsv", "training_loss.tsv"]  # lr: no validation
    loss = pd.read_csv(tmp_path / "training_loss.tsv", sep="\t")
    assert loss.columns.tolist() == ["epoch", "train", "validation"]
    assert loss["validation"].tolist() == [1.0, 0.8]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["training_accuracy.tsv", "training_loss.tsv"]


def test_coverage_curve_keeps_the_most_confident_first() -> None:
    confidence = np.array([0.9, 0.1, 0.8, 0.2])
    errors = np.array([10.0, 5000.0, 20.0, 3000.0])
    curve = metrics.coverage_curve(confidence, errors, points=2)
    assert curve["coverage"].tolist() == [0.5, 1.0]
    assert curve["rows"].tolist() == [2, 4]
    assert curve["median_km"].tolist() == [15.0, 1510.0]
    assert curve["acc_at_161"].tolist() == [1.0, 0.5]


def test_coverage_plot(tmp_path: Path, rng: np.random.Generator) -> None:
    errors = rng.lognormal(5, 1.5, 500)
    curves = {"MTL": metrics.coverage_curve(-errors + rng.normal(0, 50, 500), errors),
              "random": metrics.coverage_curve(rng.random(500), errors)}
    plots.coverage_plot(curves, tmp_path / "coverage.png", "coverage")
    assert_png(tmp_path / "coverage.png")


def test_precision_recall_and_calibration(tmp_path: Path, rng: np.random.Generator) -> None:
    truth = rng.integers(0, 2, 600)
    probability = np.clip(0.6 * truth + rng.normal(0.2, 0.2, 600), 0, 1)
    runs = {"gru": (truth, probability, (probability >= 0.5).astype(int)),
            "tfidf": (truth, probability ** 2, (probability >= 0.7).astype(int))}
    plots.precision_recall_plot(runs, tmp_path / "pr" / "precision_recall.png", "disaster")
    plots.calibration_plot(truth, probability, tmp_path / "cal" / "calibration.png", "disaster")
    assert_png(tmp_path / "pr" / "precision_recall.png")
    assert_png(tmp_path / "cal" / "calibration.png")
