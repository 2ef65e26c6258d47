"""Tests of tweetgeo.eda: the exploration figures and numbers of a small cleaned frame."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tweetgeo import schema
from tweetgeo.config import CleanConfig
from tweetgeo.eda import short_and_long_samples, write_eda
from tweetgeo.text import clean_frame

WORD_FIGURES = ["length_hist.png", "word_freq_hist.png", "word_rank.png", "top_words.png"]


def _frame(geo: bool, n: int = 40) -> pd.DataFrame:
    """A small cleaned frame: disaster-like (target) or geo-like (lat/lon)."""
    rng = np.random.default_rng(0)
    words = ["fire", "flood", "the", "a", "storm", "#help", "@bob", "https://t.co/x", "city", "rain"]
    texts = [" ".join(rng.choice(words, size=k)) for k in rng.integers(1, 12, size=n)]
    df = pd.DataFrame({
        schema.ID: [str(i) for i in range(n)],
        schema.TEXT: texts,
        schema.SPLIT: np.where(np.arange(n) < n * 3 // 4, schema.TRAIN, schema.VALIDATION),
        schema.TARGET: pd.array([pd.NA] * n if geo else rng.integers(0, 2, size=n), dtype="Int64"),
        schema.LAT: rng.uniform(25, 50, size=n) if geo else np.nan,
        schema.LON: rng.uniform(-125, -65, size=n) if geo else np.nan,
    })
    return clean_frame(df, CleanConfig())[0]


@pytest.mark.parametrize(("geo", "first_figure", "key"), [
    (False, "class_balance.png", "positive_rate"),
    (True, "coordinates.png", "n_coordinates"),
])
def test_write_eda(tmp_path: Path, geo: bool, first_figure: str, key: str) -> None:
    df = _frame(geo)
    stats = write_eda(df, tmp_path / "eda", "tiny")
    assert stats["figures"] == [first_figure, *WORD_FIGURES]
    for name in stats["figures"]:
        png = (tmp_path / "eda" / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5_000
    assert json.loads(json.dumps(stats)) == stats  # JSON-able as it is
    expected = (df[schema.SPLIT] == schema.TRAIN).sum() if geo else df[schema.TARGET].mean()
    assert stats["n_rows"] == len(df) and stats[key] == pytest.approx(expected, abs=1e-4)
    train_words = [w for t in df.loc[df[schema.SPLIT] == schema.TRAIN, schema.TEXT] for w in t.split()]
    assert stats["vocabulary_after"] == len(set(train_words)) <= 7  # no stop words, URLs, mentions
    assert stats["words_seen_more_than_once"] <= stats["vocabulary_after"]
    before, after = stats["tokens_per_text"]["before"], stats["tokens_per_text"]["after"]
    assert after["max"] <= before["max"] == 11 and before["p50"] <= before["p90"] <= before["p99"]


def test_short_and_long_samples() -> None:
    df = _frame(geo=False)
    samples = short_and_long_samples(df, n=3)
    lengths = df[schema.RAW_TEXT].str.split().str.len()
    assert [s["tokens_before"] for s in samples["shortest"]] == sorted(lengths)[:3]
    assert [s["tokens_before"] for s in samples["longest"]] == sorted(lengths, reverse=True)[:3]
    assert set(samples["shortest"][0]) == {"id", "raw_text", "text", "tokens_before", "tokens_after"}
