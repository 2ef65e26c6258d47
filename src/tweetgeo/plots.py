"""PNG charts for people: training curves, confusion matrices, per-label bars, error CDFs and maps,
coverage curves (error vs share of tweets answered), precision–recall and calibration plots.

Figures are built with matplotlib's object API (`Figure`, rendered by Agg), so no
pyplot state or GUI backend is involved; each one is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from tweetgeo.geo import haversine_km, load_cities
from tweetgeo.io import atomic_path, write_figure
from tweetgeo.metrics import ACC_KM

DPI = 120
OTHER = "other"
WORLD = (-180.0, 180.0, -60.0, 85.0)  # lon min, lon max, lat min, lat max (no one tweets further south)
CONTINENTAL_US = (-125.0, -66.0, 24.0, 50.0)
US_SHARE = 0.9  # a map is drawn at the US extent when this share of its true points lies in it
DENSITY_ROWS = 2_000  # above this many rows an error map shows binned medians, not points
ERROR_KM_RANGE = (10.0, 10_000.0)  # colour scale of error maps (km, log)


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


def curve_tables(history: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One table per metric m with train and validation side by side: {m: (epoch, train, validation)},
    for DVC plots (one chart per metric, both lines on it). Metrics without a validation column are left out."""
    epochs = history["epoch"] if "epoch" in history else pd.Series(range(1, len(history) + 1))
    return {name: pd.DataFrame({"epoch": epochs.to_numpy(), "train": history[name].to_numpy(),
                                "validation": history[f"val_{name}"].to_numpy()})
            for name in history.columns
            if name != "epoch" and not name.startswith("val_") and f"val_{name}" in history}


def write_curve_tables(history: pd.DataFrame, out_dir: Path) -> list[Path]:
    """curve_tables as `training_<metric>.tsv` files in out_dir (written atomically)."""
    written = []
    for name, table in curve_tables(history).items():
        path = Path(out_dir) / f"training_{name}.tsv"
        with atomic_path(path) as tmp:
            table.to_csv(tmp, sep="\t", index=False)
        written.append(path)
    return written


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


def map_extent(latlon: np.ndarray) -> tuple[float, float, float, float]:
    """The continental US when most points lie there (GeoText, TWITTER-US), else the world."""
    latlon = np.asarray(latlon, float)
    lon0, lon1, lat0, lat1 = CONTINENTAL_US
    inside = ((latlon[:, 1] >= lon0) & (latlon[:, 1] <= lon1) & (latlon[:, 0] >= lat0) & (latlon[:, 0] <= lat1))
    return CONTINENTAL_US if len(latlon) and inside.mean() >= US_SHARE else WORLD


def _background(ax, extent: tuple[float, float, float, float]) -> None:
    """No installed package ships coastlines offline (no cartopy/basemap/geopandas), so the
    ~34k GeoNames cities of ≥ 15,000 people, as tiny grey dots, draw a recognisable world."""
    world = load_cities(15000)
    ax.scatter(world["lon"], world["lat"], s=0.6 if extent == WORLD else 2, c="0.75", lw=0, rasterized=True)
    ax.set(xlim=extent[:2], ylim=extent[2:], aspect="equal", xlabel="longitude", ylabel="latitude")


def error_map(
    true_latlon: np.ndarray, pred_latlon: np.ndarray, path: Path, title: str, seed: int = 0
) -> None:
    """Where the errors are: each true point coloured by its error km (log scale), at the data's
    extent (map_extent). Above DENSITY_ROWS rows, the median error of the rows in each hexagon
    instead, so thousands of points stay readable."""
    true_latlon, pred_latlon = np.asarray(true_latlon, float), np.asarray(pred_latlon, float)
    errors = np.maximum(haversine_km(true_latlon[:, 0], true_latlon[:, 1], pred_latlon[:, 0], pred_latlon[:, 1]),
                        ERROR_KM_RANGE[0])
    extent = map_extent(true_latlon)
    fig = Figure(figsize=(11, 5.8 if extent == WORLD else 6.2), layout="constrained")
    ax = fig.subplots()
    _background(ax, extent)
    norm = LogNorm(*ERROR_KM_RANGE, clip=True)
    if len(true_latlon) > DENSITY_ROWS:
        image = ax.hexbin(true_latlon[:, 1], true_latlon[:, 0], C=errors, reduce_C_function=np.median,
                          gridsize=(90, 30) if extent == WORLD else 45, extent=extent, cmap="RdYlGn_r",
                          norm=norm, mincnt=3, alpha=0.85, lw=0)
        what = "median error of the true points in each hexagon (≥ 3 rows)"
    else:
        order = np.random.default_rng(seed).permutation(len(true_latlon))  # no systematic overdraw
        image = ax.scatter(true_latlon[order, 1], true_latlon[order, 0], c=errors[order], s=14, cmap="RdYlGn_r",
                           norm=norm, edgecolors="0.3", linewidths=0.3)
        what = "each true point coloured by its error"
    fig.colorbar(image, ax=ax, label="error (km, log scale)", shrink=0.8)
    ax.set_title(f"{title}: {what}; {len(true_latlon):,} rows, median {np.median(errors):,.0f} km")
    _save(fig, path)


def _minor_km(ax, value: float) -> str:
    """Minor tick label of a log km axis: every tick within about a decade, else only 2× and 5×."""
    low, high = ax.get_ylim()
    crowded = high / max(low, 1e-9) > 15
    return "" if crowded and f"{value:.0e}"[0] not in "25" else f"{value:,.0f}"


def coverage_plot(curves: dict[str, pd.DataFrame], path: Path, title: str) -> None:
    """Median error and Acc@161 against the share of tweets answered when only the most confident
    predictions are kept (metrics.coverage_curve), one line per run."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    for run, curve in curves.items():
        left.plot(curve["coverage"] * 100, curve["median_km"], marker="o", ms=3, label=run)
        right.plot(curve["coverage"] * 100, curve["acc_at_161"], marker="o", ms=3, label=run)
    left.set(xlabel="share of tweets answered (most confident first, %)", ylabel="median error (km)",
             yscale="log", title="median error of the answered tweets")
    left.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
    left.yaxis.set_minor_formatter(FuncFormatter(lambda value, _pos: _minor_km(left, value)))
    right.set(xlabel="share of tweets answered (most confident first, %)", ylabel=f"Acc@{ACC_KM:g}",
              ylim=(0, 1), title=f"share within {ACC_KM:g} km")
    for ax in (left, right):
        ax.set_xlim(0, 100)
        ax.grid(alpha=0.3, which="both")
    right.legend(loc="upper right", fontsize=8)
    fig.suptitle(title)
    _save(fig, path)


def precision_recall_plot(runs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], path: Path,
                          title: str) -> None:
    """Precision against recall over every decision threshold, one line per run, each run's own
    decisions marked. runs: {run: (truth 0/1, probability, decision 0/1)} on the same rows."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    fig = Figure(figsize=(6, 4.8), layout="constrained")
    ax = fig.subplots()
    base = None
    for run, (truth, probability, decision) in runs.items():
        truth, probability, decision = (np.asarray(truth, int), np.asarray(probability, float),
                                        np.asarray(decision, int))
        precision, recall, _ = precision_recall_curve(truth, probability)
        tp = int(((decision == 1) & (truth == 1)).sum())
        at_p, at_r = tp / max(int(decision.sum()), 1), tp / max(int(truth.sum()), 1)
        line, = ax.step(recall, precision, where="post",
                        label=f"{run}: AP {average_precision_score(truth, probability):.3f}")
        ax.plot([at_r], [at_p], "o", color=line.get_color(), mec="black",
                label=f"  its decisions: P {at_p:.2f}, R {at_r:.2f}")
        base = truth.mean()
    if base is not None:
        ax.axhline(base, color="grey", ls="--", lw=1, label=f"base rate {base:.2f}")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02), title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    _save(fig, path)


def calibration_plot(y_true: np.ndarray, probability: np.ndarray, path: Path, title: str, bins: int = 10) -> None:
    """Reliability diagram: observed share of disasters against the mean predicted probability per
    bin (the diagonal is perfect calibration), with how many tweets fall in each bin below."""
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    y_true, probability = np.asarray(y_true, int), np.asarray(probability, float)
    observed, predicted = calibration_curve(y_true, probability, n_bins=bins, strategy="uniform")
    fig = Figure(figsize=(5.5, 5.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    top.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfectly calibrated")
    top.plot(predicted, observed, marker="o", label=f"model (Brier {brier_score_loss(y_true, probability):.3f})")
    top.set(ylabel="observed share of disasters", xlim=(0, 1), ylim=(0, 1), title=title)
    top.grid(alpha=0.3)
    top.legend(loc="upper left")
    bottom.hist(probability, bins=bins, range=(0, 1), color="tab:blue", alpha=0.7)
    bottom.set(xlabel="predicted probability of a disaster", ylabel="tweets")
    _save(fig, path)
