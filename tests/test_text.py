"""Tests of tweetgeo.text: each cleaning option, edge cases, clean_frame's report."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tweetgeo import schema
from tweetgeo.config import CleanConfig
from tweetgeo.text import TextCleaner, clean_frame, nltk_data_dir, raw_tokens, use_shipped_nltk_data

# the pipeline's defaults, but keeping everything that a test does not look at
KEEP_ALL = dict(urls="keep", mentions="keep", hashtags="keep", emoji="keep", numbers="keep",
                punctuation=False, stopwords=False)


def tokens(text: str, **options) -> list[str]:
    """Tokens of text under KEEP_ALL overridden by options."""
    return TextCleaner(CleanConfig(**{**KEEP_ALL, **options})).tokens(text)


@pytest.fixture(scope="module")
def default() -> TextCleaner:
    return TextCleaner(CleanConfig())


def test_nltk_data_dir_default_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TWEETGEO_NLTK_DATA", raising=False)
    assert (nltk_data_dir() / "corpora" / "stopwords.zip").is_file()
    monkeypatch.setenv("TWEETGEO_NLTK_DATA", str(tmp_path))
    assert nltk_data_dir() == tmp_path


def test_use_shipped_nltk_data_is_idempotent() -> None:
    import nltk

    use_shipped_nltk_data()
    use_shipped_nltk_data()
    assert nltk.data.path.count(str(nltk_data_dir())) == 1


def test_missing_stopwords_name_the_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import nltk

    monkeypatch.setenv("TWEETGEO_NLTK_DATA", str(tmp_path))
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        TextCleaner(CleanConfig(stopwords=True))


def test_default_cleaning_of_a_tweet(default: TextCleaner) -> None:
    text = "RT @FireDept: #Wildfire near La Ronge!!! 13,000 evacuated 😱 https://t.co/AbC123 &amp; more"
    assert default(text) == "rt wildfire near la ronge evacuated"


@pytest.mark.parametrize(("option", "expected"), [
    ("remove", ["see", "now"]), ("token", ["see", "<url>", "now"]), ("keep", ["see", "https://t.co/x1", "now"]),
])
def test_urls(option: str, expected: list[str]) -> None:
    assert tokens("see https://t.co/x1 now", urls=option) == expected


@pytest.mark.parametrize(("option", "expected"), [
    ("remove", ["hi"]), ("token", ["<user>", "hi"]), ("keep", ["@bob_99", "hi"]),
])
def test_mentions(option: str, expected: list[str]) -> None:
    assert tokens("@Bob_99 hi", mentions=option) == expected


@pytest.mark.parametrize(("option", "expected"), [
    ("word", ["fire", "now"]), ("remove", ["now"]), ("keep", ["#fire", "now"]),
])
def test_hashtags(option: str, expected: list[str]) -> None:
    assert tokens("#Fire now", hashtags=option) == expected


@pytest.mark.parametrize(("option", "expected"), [
    ("remove", ["so", "funny"]),
    ("demojize", ["so", "face_with_tears_of_joy", "funny", "thumbs_up_medium_skin_tone"]),
    ("keep", ["so", "😂", "funny", "👍🏽"]),
])
def test_emoji(option: str, expected: list[str]) -> None:
    assert tokens("so 😂 funny 👍🏽", emoji=option) == expected


def test_emoji_sequences_are_removed_whole() -> None:
    assert tokens("a 🇺🇸 b 👨‍👩‍👧 c 1️⃣", emoji="remove", punctuation=True) == ["a", "b", "c"]


@pytest.mark.parametrize(("option", "expected"), [
    ("zero", ["00,000", "0day", "@user42"]),
    ("remove", [",", "day", "@user42"]),
    ("keep", ["13,000", "2day", "@user42"]),
])
def test_numbers_spare_kept_mentions(option: str, expected: list[str]) -> None:
    assert tokens("13,000 2day @user42", numbers=option) == expected


def test_punctuation() -> None:
    text = "wow !!! ... :-) => ok"
    assert tokens(text, punctuation=True) == ["wow", "ok"]
    assert tokens(text, punctuation=False) == ["wow", "!", "!", "!", "...", ":-)", "=", ">", "ok"]


def test_stopwords_also_with_curly_apostrophe_and_case() -> None:
    assert tokens("The fire it’s over there", stopwords=True, lowercase=False) == ["fire"]
    assert tokens("The fire", stopwords=False) == ["the", "fire"]


def test_lowercase_and_reduce_len() -> None:
    assert tokens("Fire SOOOOOO Big", lowercase=False) == ["Fire", "SOOO", "Big"]
    assert tokens("Fire SOOOOOO Big", lowercase=True) == ["fire", "sooo", "big"]


def test_lemmatize() -> None:
    assert tokens("cars burning houses", lemmatize=True) == ["car", "burning", "house"]
    assert tokens("cars", lemmatize=False) == ["cars"]


def test_min_token_chars() -> None:
    assert tokens("a bb ccc", min_token_chars=2) == ["bb", "ccc"]


@pytest.mark.parametrize("text", ["", None, np.nan, pd.NA, "https://t.co/x @bob", "😂🔥 👍", "the and of it's"])
def test_texts_that_clean_to_nothing(default: TextCleaner, text) -> None:
    assert default(text) == ""
    assert default.tokens(text) == []


def test_right_to_left_and_cjk_are_kept(default: TextCleaner) -> None:
    assert default("مرحبا بالعالم שלום עולם 東京タワー") == "مرحبا بالعالم שלום עולם 東京タワー"


def test_invisible_and_control_characters(default: TextCleaner) -> None:
    assert default("fi\u200bre\u200c \ufefffl\u200dood\u200e st\x00orm") == "fire flood st orm"


def test_geotext_separator_does_not_survive() -> None:
    doc = "first tweet ||| second tweet|||third"
    for options in ({}, {"punctuation": True}):
        assert tokens(doc, **options) == ["first", "tweet", "second", "tweet", "third"]
    assert raw_tokens(doc) == ["first", "tweet", "second", "tweet", "third"]


def test_tokens_never_contain_whitespace() -> None:
    text = "call 555 123 4567 now\tor\nlater\u00a0ok\u2028fine 😂 e.g. a@b.com ||| x"
    for cfg in (CleanConfig(**KEEP_ALL), CleanConfig(emoji="demojize")):
        cleaner = TextCleaner(cfg)
        toks = cleaner.tokens(text)
        assert toks and all(t and not any(c.isspace() for c in t) for t in toks)
        assert cleaner(text).split(" ") == toks


def test_a_megabyte_of_text_is_fast(default: TextCleaner) -> None:
    text = "Fire at #Station 12 😱 https://t.co/x @bob, wow!!! " * 20_000  # ~1 MB
    start = time.perf_counter()
    assert default(text).startswith("fire station wow")
    assert time.perf_counter() - start < 10


def test_clean_frame_keeps_rows_and_counts() -> None:
    df = pd.DataFrame({
        schema.ID: ["1", "2", "3", "4"],
        schema.TEXT: ["Big #fire downtown", "@bob https://t.co/x", None, "the cars ||| the fire"],
        schema.SPLIT: [schema.TRAIN, schema.TRAIN, schema.VALIDATION, schema.TEST],
    })
    out, report = clean_frame(df, CleanConfig())
    assert out[schema.TEXT].tolist() == ["big fire downtown", "", "", "cars fire"]
    assert out[schema.RAW_TEXT].tolist()[:2] == df[schema.TEXT].tolist()[:2]
    assert df[schema.TEXT].iloc[0] == "Big #fire downtown"  # the input is not modified
    assert report == {
        "rows": 4,
        "empty_after_cleaning": {schema.TRAIN: 1, schema.VALIDATION: 1, schema.TEST: 0},
        "mean_tokens_before": 2.25,  # 3 + 2 + 0 + 4 raw tokens, separator left out
        "mean_tokens_after": 1.25,
        "vocabulary_before": 8,
        "vocabulary_after": 4,
    }


def test_clean_frame_names_missing_columns() -> None:
    with pytest.raises(KeyError, match="split"):
        clean_frame(pd.DataFrame({schema.TEXT: ["x"]}), CleanConfig())
