"""TfidfLookup gives scikit-learn's TF-IDF matrix (issue 11: `tweetgeo predict` without
scikit-learn's per-n-gram Python loop and without importing it), for the yardstick's settings."""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tweetgeo.models.tfidf import load_vectorizers, save_vectorizers, transform
from tweetgeo.models.tfidf_lookup import TfidfLookup, sklearn_vectorizer

ROOT = Path(__file__).resolve().parents[1]
YACHAY = ROOT / "data/raw/yachay/yachay_regions.jsonl.gz"

# what the lookup has to get right: repeated words, one-letter words (padded to 3 characters),
# tabs and runs of spaces, characters and words never seen in training, emoji, other scripts,
# combining accents, an empty text and one of spaces only
TRAIN = ["forest fire near la ronge sask canada", "a b c d e f g", "the fire the fire the fire",
         "東京 で 地震 が あった", "flood 🌊 warning for the river", "café crème à paris", "x",
         "storm damage on the coast tonight", "ça va très bien merci", "new york pizza"]
HELD_OUT = ["fire near the coast", "a a a a", "tab\tseparated  and   spaced", "", "   ",
            "unseen words only zzz qqq", "🌊🌊 flood", "東京 地震", "cafe\u0301 crème", "x y z",
            "the fire the fire", "Ωmega ψ"]


def real_tweets(n: int, skip: int) -> list[str]:
    """Raw Yachay tweets (multilingual), every 97th line from `skip`; the packaged data set."""
    with gzip.open(YACHAY, "rt", encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in itertools.islice(fh, skip, 97 * n + skip, 97)]


def assert_same(ours, theirs) -> None:
    theirs = theirs.tocsr()
    theirs.sort_indices()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == np.float32
    np.testing.assert_array_equal(ours.indptr, theirs.indptr)
    np.testing.assert_array_equal(ours.indices, theirs.indices)
    np.testing.assert_array_equal(ours.data, theirs.data)  # bit for bit: the same float32 steps


@pytest.mark.parametrize(("kind", "ngrams"), [("word", (1, 1)), ("word", (1, 2)), ("word", (2, 3)),
                                              ("char_wb", (2, 4)), ("char_wb", (1, 3)), ("char_wb", (3, 5))])
def test_lookup_equals_sklearn_on_edge_cases(kind: str, ngrams: tuple[int, int]) -> None:
    fitted = sklearn_vectorizer(kind, ngrams, None).fit(TRAIN)
    lookup = TfidfLookup.from_sklearn(fitted)
    assert lookup._sklearn is None  # the NumPy path, not the fallback
    assert_same(lookup.transform(HELD_OUT + TRAIN), fitted.transform(HELD_OUT + TRAIN))


@pytest.mark.skipif(not YACHAY.is_file(), reason="needs the packaged Yachay data")
def test_lookup_equals_sklearn_on_real_multilingual_tweets() -> None:
    train, held_out = real_tweets(3000, 0), real_tweets(2000, 50)
    for kind, ngrams, cap in (("word", (1, 2), 5000), ("char_wb", (2, 4), 20000)):
        fitted = sklearn_vectorizer(kind, ngrams, cap).fit(train)
        lookup = TfidfLookup.from_sklearn(fitted)
        assert_same(lookup.transform(held_out), fitted.transform(held_out))


def test_settings_the_keys_cannot_hold_fall_back_to_sklearn() -> None:
    fitted = sklearn_vectorizer("char_wb", (4, 6), None).fit(TRAIN)  # words shorter than 4 count whole
    lookup = TfidfLookup.from_sklearn(fitted)
    assert lookup._sklearn is not None
    assert_same(lookup.transform(HELD_OUT), fitted.transform(HELD_OUT))


def test_word_keys_equal_one_term_at_a_time() -> None:
    """The vectorised keys of a word vocabulary are the per-term sum of token id × base**position."""
    fitted = sklearn_vectorizer("word", (1, 3), None).fit(TRAIN)
    lookup = TfidfLookup.from_sklearn(fitted)
    base, ids = lookup._base, lookup._token_ids
    expected = [sum(ids[tok] * base ** j for j, tok in enumerate(term.split(" "))) + term.count(" ") * base ** 3
                + base ** 3 for term in fitted.vocabulary_]
    np.testing.assert_array_equal(lookup._index.to_numpy(), np.array(expected, dtype=np.int64))


def test_a_term_longer_than_the_ngram_range_falls_back_to_sklearn() -> None:
    vocabulary = {"fire": 0, "near the coast": 1}  # three tokens in a (1, 2) vectoriser: a hand-made file
    lookup = TfidfLookup("word", (1, 2), vocabulary, np.ones(2))
    assert lookup._sklearn is not None
    assert lookup.transform(["fire near the coast"]).nnz == 1


def test_no_text_and_no_match_give_empty_rows() -> None:
    lookup = TfidfLookup.from_sklearn(sklearn_vectorizer("char_wb", (2, 4), None).fit(TRAIN))
    assert lookup.transform([]).shape == (0, len(lookup.vocabulary_))
    empty = lookup.transform(["", "   ", "ßßß"])
    assert empty.shape == (3, len(lookup.vocabulary_)) and empty.nnz == 0


def test_unknown_analyser_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown analyser 'char'"):
        TfidfLookup("char", (1, 2), {"ab": 0}, np.ones(1))


def test_saved_vectorisers_transform_as_before_saving(tmp_path: Path) -> None:
    fitted = {"word": TfidfLookup.from_sklearn(sklearn_vectorizer("word", (1, 2), None).fit(TRAIN)),
              "char_wb": TfidfLookup.from_sklearn(sklearn_vectorizer("char_wb", (2, 4), None).fit(TRAIN))}
    save_vectorizers(fitted, tmp_path)
    loaded = load_vectorizers(tmp_path)
    assert_same(transform(loaded, HELD_OUT), transform(fitted, HELD_OUT))


def test_applying_saved_vectorisers_never_imports_sklearn(tmp_path: Path) -> None:
    fitted = {"char_wb": TfidfLookup.from_sklearn(sklearn_vectorizer("char_wb", (2, 4), None).fit(TRAIN))}
    save_vectorizers(fitted, tmp_path)
    code = ("import sys; from tweetgeo.models.tfidf import load_vectorizers, transform; "
            f"x = transform(load_vectorizers({str(tmp_path)!r}), ['fire near the coast']); "
            "assert x.nnz > 0; print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
