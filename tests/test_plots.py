"""Tests for tweetgeo.plots: every chart writes a non-empty PNG and leaves no temp file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tweetgeo import plots
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


def test_error_map(tmp_path: Path, rng: np.random.Generator) -> None:
    true = np.column_stack([rng.uniform(25, 50, 800), rng.uniform(-125, -70, 800)])
    pred = true + rng.normal(0, 4, (800, 2))
    plots.error_map(true, pred, tmp_path / "map.png", "TWITTER-US errors", sample=200)
    assert_png(tmp_path / "map.png")
