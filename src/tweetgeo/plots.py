"""PNG charts for people: training curves, confusion matrices, per-label bars, error CDFs and maps.

Figures are built with matplotlib's object API (`Figure`, rendered by Agg), so no
pyplot state or GUI backend is involved; each one is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from tweetgeo.geo import load_cities
from tweetgeo.io import write_figure
from tweetgeo.metrics import ACC_KM

DPI = 120
OTHER = "other"


def _save(fig: Figure, path: Path) -> None:
    """Write fig as PNG to path atomically (tweetgeo.io.write_figure), then clear it."""
    try:
        write_figure(fig, path, format="png", dpi=DPI, bbox_inches="tight")
    finally:
        fig.clear()


def training_curves(history: pd.DataFrame, path: Path, title: str) -> None:
    """One panel per metric m (loss, accuracy, …): train m against val_m by epoch."""
    names = [c for c in history.columns if c != "epoch" and not c.startswith("val_")]
    epochs = history["epoch"] if "epoch" in history else pd.Series(range(1, len(history) + 1))
    fig = Figure(figsize=(4.5 * len(names), 3.6), layout="constrained")
    for ax, name in zip(np.atleast_1d(fig.subplots(1, len(names))), names):
        ax.plot(epochs, history[name], marker="o", ms=3, label="train")
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], marker="o", ms=3, label="validation")
        ax.set(xlabel="epoch", title=name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    _save(fig, path)


def _lump(y: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Position of each label in keep, or len(keep) ("other") when absent."""
    pos = np.full(int(max(y.max(), keep.max())) + 1, len(keep))
    pos[keep] = np.arange(len(keep))
    return pos[y]


def confusion_matrix_plot(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[str], path: Path, title: str, top_n: int = 15
) -> None:
    """Confusion matrix of the top_n most frequent true labels, the rest lumped as "other", coloured by row share."""
    y_true, y_pred = np.asarray(y_true, int), np.asarray(y_pred, int)
    keep = pd.Series(y_true).value_counts().index.to_numpy()[:top_n]
    names = [labels[k] for k in keep]
    size = len(keep) + (len(keep) < len(labels))
    names += [OTHER] * (size - len(keep))
    counts = np.zeros((size, size), int)
    np.add.at(counts, (_lump(y_true, keep), _lump(y_pred, keep)), 1)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = 2.5 + 0.45 * size
    fig = Figure(figsize=(side + 1, side), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(counts):
        if count:
            colour = "white" if share[i, j] > 0.5 else "black"
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(size), names, rotation=60, ha="right")
    ax.set_yticks(range(size), names)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.colorbar(image, ax=ax, label="share of true row", shrink=0.8)
    _save(fig, path)


def per_label_bars(report: pd.DataFrame, path: Path, title: str, top_n: int = 20) -> None:
    """Correct vs incorrect predictions for the top_n labels by support (a per_label_report table)."""
    rows = report.nlargest(top_n, "support").iloc[::-1]
    fig = Figure(figsize=(7, 1.5 + 0.3 * len(rows)), layout="constrained")
    ax = fig.subplots()
    ax.barh(rows["name"], rows["correct"], color="tab:green", label="correct")
    ax.barh(rows["name"], rows["incorrect"], left=rows["correct"], color="tab:red", label="incorrect")
    ax.set(xlabel="tweets (true label)", title=title)
    ax.legend(loc="lower right")
    _save(fig, path)


def error_cdf(errors_by_run: dict[str, np.ndarray], path: Path, title: str) -> None:
    """Cumulative share of rows within x km, one line per run, log x axis, 161 km marked."""
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    for run, errors in errors_by_run.items():
        km = np.sort(np.maximum(np.asarray(errors, float), 1.0))  # log axis: errors under 1 km drawn at 1 km
        ax.step(km, np.arange(1, len(km) + 1) / len(km), where="post", label=run)
    ax.axvline(ACC_KM, color="grey", ls="--", lw=1, label=f"{ACC_KM:g} km (Acc@161)")
    ax.set_xscale("log")
    ax.set(xlabel="error (km)", ylabel="share of rows with error ≤ x", ylim=(0, 1), title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper left")
    _save(fig, path)


def error_map(
    true_latlon: np.ndarray, pred_latlon: np.ndarray, path: Path, title: str, sample: int = 500, seed: int = 0
) -> None:
    """A sample of true (blue) and predicted (red) points joined by thin lines on a world background."""
    true_latlon, pred_latlon = np.asarray(true_latlon, float), np.asarray(pred_latlon, float)
    rows = np.random.default_rng(seed).permutation(len(true_latlon))[:sample]
    true_pts, pred_pts = true_latlon[rows], pred_latlon[rows]
    fig = Figure(figsize=(11, 5.8), layout="constrained")
    ax = fig.subplots()
    # No installed package ships coastlines offline (no cartopy/basemap/geopandas), so the
    # ~34k GeoNames cities of ≥ 15,000 people, as tiny grey dots, draw a recognisable world.
    world = load_cities(15000)
    ax.scatter(world["lon"], world["lat"], s=0.6, c="0.65", lw=0, rasterized=True)
    segments = np.stack([true_pts[:, ::-1], pred_pts[:, ::-1]], axis=1)  # (n, 2 ends, lon/lat)
    ax.add_collection(LineCollection(segments, colors="0.35", linewidths=0.4, alpha=0.5))
    ax.scatter(true_pts[:, 1], true_pts[:, 0], s=6, c="tab:blue", label="true")
    ax.scatter(pred_pts[:, 1], pred_pts[:, 0], s=6, c="tab:red", label="predicted")
    ax.set(xlim=(-180, 180), ylim=(-90, 90), aspect="equal", xlabel="longitude", ylabel="latitude")
    ax.set_title(f"{title} ({len(rows)} of {len(true_latlon)} rows)")
    ax.legend(loc="lower left")
    _save(fig, path)
