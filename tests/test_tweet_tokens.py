"""tweet_tokens gives NLTK's TweetTokenizer tokens (cased, lengthening reduced, no phone numbers)."""

from __future__ import annotations

import random

import pytest
from nltk import redos

from test_text_batch import TRICKY, _disaster, _geotext, _yachay
from tweetgeo.nltk_lean import TweetTokenizer
from tweetgeo.tweet_tokens import tweet_tokens

NLTK = TweetTokenizer(preserve_case=True, reduce_len=True, match_phone_numbers=False)

# pieces that sit at the plain-word rule's edges: letters that case-fold into a-z (Kelvin sign,
# long s, dotted I), every kind of whitespace, the characters NLTK's other patterns start or end
# with, entities, emoji with modifiers, and runs that lengthening or the symbol-run rule shorten
PIECES = [
    "a", "b", "Z", "d", "D", "p", "P", "o", "x", "word", "Word", "WORD", "sooo", "aaaa", "\u212a", "\u017f",
    "\u0130", "é", "ß", "ж", "中", "٣", "3", "8", "0", "42", " ", "  ", "\t", "\n", "\r\n", "\xa0", "\u2003",
    "\x85", "\x1c", "\u200b", ".", "..", ". .", ":", ";", "=", "-", "--", "->", "<-", "<", ">", "</", "/",
    "@", "#", "_", "'", "\"", ",", "!", "!!!!", "?", "(", ")", "[", "]", "&", "&amp;", "&lt;3", "&#127;",
    "&#65;", "http://", "https:", "www.", ".com", ".org/", "t.co/x", "a@b.co", "😂", "👍🏽", "\u200d", "🇺🇸",
    "+", "1/2", "3.14", "10:30", "|||",
]


def _random_texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(PIECES, k=rng.randint(1, 14))) for _ in range(n)]


@pytest.mark.parametrize("texts", [
    pytest.param(lambda: _yachay(3000) + _disaster(3000) + _geotext(100), id="shipped"),
    pytest.param(lambda: [t for t in TRICKY if isinstance(t, str)], id="tricky"),
    pytest.param(lambda: _random_texts(20000), id="random"),
])
def test_tokens_are_nltks(texts) -> None:
    for text in texts():
        assert tweet_tokens(text) == NLTK.tokenize(text), repr(text)


def test_one_pass_over_joined_texts_is_nltks() -> None:
    text = " \x7f ".join(_random_texts(3000, seed=11))
    assert tweet_tokens(text) == NLTK.tokenize(text)


def test_the_word_regex_keeps_nltks_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redos, "DEFAULT_TIMEOUT", 1e-9)
    with pytest.raises(TimeoutError):
        tweet_tokens("word, " * 200_000)
