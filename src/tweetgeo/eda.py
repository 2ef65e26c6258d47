"""S3's exploration figures for one cleaned data set: labels, lengths, word frequencies.

Figures are built with matplotlib's object API (`Figure`, rendered by Agg), so
no pyplot state or GUI backend is involved. Word counts use the training split
(what a vocabulary is fitted on; all rows if there is none); lengths and labels
use every row. "Before" is the raw text split on whitespace, "after" the
cleaned tokens.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from tweetgeo import schema
from tweetgeo.io import write_figure
from tweetgeo.text import raw_tokens

DPI = 100
TOP_WORDS = 20
QUANTILES = (0.5, 0.9, 0.99)
SAMPLE_CHARS = 300  # long samples (GeoText documents) are shortened to this


def _save(fig: Figure, path: Path) -> None:
    """Write fig as PNG."""
    write_figure(fig, path, dpi=DPI)


def _train_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The training split, or every row when there is none."""
    train = df[df[schema.SPLIT] == schema.TRAIN]
    return train if len(train) else df


def _lengths(tokens: pd.Series) -> dict[str, float]:
    """Quantiles and maximum of tokens per text."""
    out = {f"p{round(q * 100)}": round(float(tokens.quantile(q)), 2) for q in QUANTILES}
    return {**out, "max": int(tokens.max()) if len(tokens) else 0}


def _class_balance(df: pd.DataFrame, path: Path, title: str) -> dict[str, Any]:
    """Bar chart of labelled rows per class, with counts and shares."""
    target = df[schema.TARGET].dropna().astype(int)
    counts = target.value_counts().sort_index()
    fig = Figure(figsize=(5, 4), layout="constrained")
    ax = fig.subplots()
    bars = ax.bar([str(k) for k in counts.index], counts.to_numpy(), color=["tab:blue", "tab:red"][: len(counts)])
    ax.bar_label(bars, labels=[f"{n:,} ({n / len(target):.0%})" for n in counts])
    ax.set(xlabel="target (1 = real disaster)", ylabel="labelled texts", title=f"{title}: class balance")
    ax.margins(y=0.12)
    _save(fig, path)
    return {"n_labelled": len(target), "positive_rate": round(float(target.mean()), 4)}


def _coordinates(df: pd.DataFrame, path: Path, title: str) -> dict[str, Any]:
    """Scatter of the training points' longitude and latitude."""
    points = _train_rows(df)[[schema.LON, schema.LAT]].dropna()
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.scatter(points[schema.LON], points[schema.LAT], s=2, alpha=0.3, linewidths=0, rasterized=True)
    ax.set(xlabel="longitude (°)", ylabel="latitude (°)", title=f"{title}: {len(points):,} training coordinates")
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.3)
    _save(fig, path)
    return {"n_coordinates": len(points)}


def _length_hist(before: pd.Series, after: pd.Series, path: Path, title: str) -> None:
    """Histogram of tokens per text before and after cleaning."""
    top = int(np.concatenate([before.to_numpy(), after.to_numpy(), [0]]).max())
    bins = np.linspace(0, top + 1, min(50, top + 1) + 1)  # one bar per length for short texts
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for name, lengths in (("before cleaning", before), ("after cleaning", after)):
        ax.hist(lengths, bins=bins, histtype="step", linewidth=1.5, label=f"{name} (median {lengths.median():g})")
    ax.set(xlabel="tokens per text", ylabel="texts", title=f"{title}: text length")
    ax.legend()
    _save(fig, path)


def _word_freq_hist(before: Counter[str], after: Counter[str], path: Path, title: str) -> None:
    """Histogram of word frequencies (how many words occur n times), log scales."""
    top = max([*before.values(), *after.values()], default=1)
    bins = np.unique(np.geomspace(1, top + 1, 30).round()) - 0.5  # log-spaced, whole counts
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for name, counts in (("before cleaning", before), ("after cleaning", after)):
        ax.hist(list(counts.values()), bins=bins, histtype="step", linewidth=1.5, label=name)
    ax.set(xscale="log", yscale="log", xlabel="occurrences of a word (training texts)", ylabel="words",
           title=f"{title}: word frequencies")
    ax.legend()
    _save(fig, path)


def _word_rank(before: Counter[str], after: Counter[str], seen_twice: int, path: Path, title: str) -> None:
    """Frequency against rank, log-log, with the cut-off at words seen more than once."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for name, counts in (("before cleaning", before), ("after cleaning", after)):
        freq = sorted(counts.values(), reverse=True)
        ax.plot(np.arange(1, len(freq) + 1), freq, label=name)
    ax.axvline(max(seen_twice, 1), color="black", linestyle="--", linewidth=1,
               label=f"cut-off: {seen_twice:,} words seen more than once")
    ax.set(xscale="log", yscale="log", xlabel="rank of word", ylabel="occurrences (training texts)",
           title=f"{title}: frequency by rank")
    ax.legend()
    _save(fig, path)


def _top_words_panel(ax: Axes, counts: Counter[str], name: str) -> None:
    """Horizontal bars of the most frequent words, most frequent on top."""
    words, freq = zip(*counts.most_common(TOP_WORDS)) if counts else ((), ())
    ax.barh(words, freq)
    ax.invert_yaxis()
    ax.set(xlabel="occurrences (training texts)", title=name)


def _top_words(before: Counter[str], after: Counter[str], path: Path, title: str) -> None:
    """Top words before and after cleaning, side by side."""
    # a top-words bar chart before/after cleaning replaces S3's word clouds: readable, no extra dependency
    fig = Figure(figsize=(10, 6), layout="constrained")
    for ax, (name, counts) in zip(fig.subplots(1, 2), (("before cleaning", before), ("after cleaning", after))):
        _top_words_panel(ax, counts, name)
    fig.suptitle(f"{title}: top {TOP_WORDS} words")
    _save(fig, path)


def write_eda(df: pd.DataFrame, out_dir: Path, title: str) -> dict[str, Any]:
    """Write the exploration PNGs of a cleaned frame into out_dir; return the plotted numbers."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stats: dict[str, Any] = {"title": title, "n_rows": len(df)}
    figures = ["length_hist.png", "word_freq_hist.png", "word_rank.png", "top_words.png"]
    if schema.TARGET in df and df[schema.TARGET].notna().any():
        stats |= _class_balance(df, out_dir / "class_balance.png", title)
        figures.insert(0, "class_balance.png")
    elif schema.LAT in df and df[schema.LAT].notna().any():
        stats |= _coordinates(df, out_dir / "coordinates.png", title)
        figures.insert(0, "coordinates.png")

    len_before = df[schema.RAW_TEXT].map(lambda t: len(raw_tokens(t)))
    len_after = df[schema.TEXT].str.split().str.len()
    _length_hist(len_before, len_after, out_dir / "length_hist.png", title)

    train = _train_rows(df)
    before = Counter(w for t in train[schema.RAW_TEXT] for w in raw_tokens(t))
    after = Counter(w for t in train[schema.TEXT] for w in t.split())
    seen_twice = sum(n > 1 for n in after.values())
    _word_freq_hist(before, after, out_dir / "word_freq_hist.png", title)
    _word_rank(before, after, seen_twice, out_dir / "word_rank.png", title)
    _top_words(before, after, out_dir / "top_words.png", title)
    return stats | {
        "tokens_per_text": {"before": _lengths(len_before), "after": _lengths(len_after)},
        "vocabulary_before": len(before),
        "vocabulary_after": len(after),
        "words_seen_more_than_once": seen_twice,
        "top_words_after": [[w, n] for w, n in after.most_common(TOP_WORDS)],
        "figures": figures,
    }


def _sample(row: pd.Series) -> dict[str, Any]:
    """One text as shown in the report: id, raw (shortened) and cleaned text, token counts."""
    return {
        "id": str(row[schema.ID]),
        "raw_text": textwrap.shorten(str(row[schema.RAW_TEXT]), SAMPLE_CHARS, placeholder=" …"),
        "text": textwrap.shorten(row[schema.TEXT], SAMPLE_CHARS, placeholder=" …"),
        "tokens_before": int(row["_before"]),
        "tokens_after": len(row[schema.TEXT].split()),
    }


def short_and_long_samples(df: pd.DataFrame, n: int = 5) -> dict[str, list[dict[str, Any]]]:
    """The n shortest and n longest texts by raw whitespace tokens, with their cleaned form."""
    ranked = df.assign(_before=df[schema.RAW_TEXT].map(lambda t: len(raw_tokens(t))))
    ranked = ranked.sort_values("_before", kind="stable")
    return {
        "shortest": [_sample(row) for _, row in ranked.head(n).iterrows()],
        "longest": [_sample(row) for _, row in ranked.tail(n).iloc[::-1].iterrows()],
    }
