"""TextCleaner.clean_many (the batch path) gives exactly what the per-text path gives."""

from __future__ import annotations

import csv
import gzip
import itertools
import json
from pathlib import Path

import pytest

from tweetgeo.config import CleanConfig
from tweetgeo.text import TextCleaner

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"

OPTION_SETS = [
    {},  # the pipeline's defaults
    dict(emoji="demojize", numbers="zero", urls="token", mentions="token", hashtags="remove"),
    dict(emoji="keep", lowercase=False, punctuation=False, stopwords=False, hashtags="keep",
         urls="keep", mentions="keep", numbers="keep", min_token_chars=2),
]

TRICKY = [
    None, float("nan"), "", "   ", "\x7f", "a \x7f b", "x&#127;y z", "&#127;", "http://t.co/a&#127;b end",
    "ends with a url https://t.co/AbC", "https://t.co/AbC starts", "@user", "@user@other", "foo@bar.com",
    "… . . .", "wait...", ". . .", "soooooo gooood!!!!!!", "!!!!", "&amp; &lt;3 &#x1F602; &bogus; &#9999999999;",
    ":) :-D XD <3 ;P", "😂😂😂", "👍🏽 👨‍👩‍👧", "#️⃣ 1️⃣", "🇺🇸 flags", "‮rtl‬ عربى 中文 日本語",
    "zero\u200bwidth", "nul\x00byte", "ctrl\x01\x02", "it’s a test", "a ||| b |||c", "|||", "||||||",
    "tab\there\nnew\r\nline", "555-123-4567 +1 (800) 555 0000", "3.14 1/2 10:30 -5", "snake_case camelCase",
    "don't won't y'all", "--> <-- ->", "<b>tag</b>", "a" * 300, "x " * 500,
    "eng.lish end.", "example.com/path?q=1 www.x.org", "mailto:a@b.c", "http://", "café naïve Zoë",
]


def _yachay(n: int) -> list[str]:
    with gzip.open(RAW / "yachay" / "yachay_regions.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in itertools.islice(fh, n)]


def _geotext(n: int) -> list[str]:
    with gzip.open(RAW / "geotext" / "user_info.dev.gz", "rt", encoding="utf-8", errors="replace") as fh:
        return [line.rstrip("\n").split("\t")[3] for line in itertools.islice(fh, n)]


def _disaster(n: int) -> list[str]:
    with (RAW / "disaster" / "train.csv").open(encoding="utf-8", newline="") as fh:
        return [row["text"] for row in itertools.islice(csv.DictReader(fh), n)]


@pytest.fixture(scope="module")
def shipped() -> list[str]:
    return _yachay(4000) + _disaster(3000) + _geotext(150)


@pytest.mark.parametrize("options", OPTION_SETS)
def test_batch_equals_per_text_on_shipped_data(shipped: list[str], options: dict) -> None:
    cfg = CleanConfig(**options)
    expected = [TextCleaner(cfg)(t) for t in shipped]
    assert TextCleaner(cfg).clean_many(shipped) == expected
    assert sum(bool(t) for t in expected) > 0.9 * len(expected)  # the data did not clean to nothing


@pytest.mark.parametrize("options", OPTION_SETS)
def test_batch_equals_per_text_on_tricky_texts(options: dict) -> None:
    cfg = CleanConfig(**options)
    per_text = TextCleaner(cfg)
    expected = [per_text(t) for t in TRICKY]
    batch = TextCleaner(cfg)
    assert batch.clean_many(TRICKY) == expected
    assert batch.clean_many(list(reversed(TRICKY))) == list(reversed(expected))
    # each tricky text alone and beside every neighbour (a rule reaching across the separator would show)
    for a, b in itertools.pairwise(TRICKY):
        assert batch.clean_many([a, b]) == [per_text(a), per_text(b)]


def test_batch_tokens_and_empty_input() -> None:
    cleaner = TextCleaner(CleanConfig())
    assert cleaner.clean_many([]) == []
    assert cleaner.tokens_many(["Big #fire downtown", None]) == [["big", "fire", "downtown"], []]


def test_chunks_are_stitched_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    import tweetgeo.text as text

    monkeypatch.setattr(text, "_CHUNK_CHARS", 50)  # many small chunks
    texts = [f"fire number {i} at station{i} https://t.co/{i}" for i in range(200)]
    cleaner = TextCleaner(CleanConfig(numbers="keep"))
    assert cleaner.clean_many(texts) == [cleaner(t) for t in texts]
    assert cleaner.clean_many(texts)[7] == "fire number 7 station 7"  # as nltk splits it


def test_repeated_texts_are_cleaned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    cleaner = TextCleaner(CleanConfig())
    texts = ["RT Big #fire downtown", "sunny brunch", None, "RT Big #fire downtown", "", "sunny brunch"] * 50
    seen: list[int] = []
    tokens_many = cleaner.tokens_many
    monkeypatch.setattr(cleaner, "tokens_many", lambda batch: seen.append(len(batch)) or tokens_many(batch))
    assert cleaner.clean_many(texts) == [cleaner(t) for t in texts]
    assert seen == [3]  # the three distinct texts ("" and None are the same empty text)
