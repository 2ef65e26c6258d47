"""Text cleaning and tokenising, configured by CleanConfig (S1/S2/S3 normalisation).

One `TextCleaner` turns a raw tweet (or a GeoText user document, tweets joined
by " ||| ") into whitespace-free tokens; `clean_many` does the same for a batch
(tokenised in one regex pass per chunk, each distinct token cleaned once), with
output identical to the per-text path; `clean_frame` applies it to the canonical
table and reports what cleaning did.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import emoji
import pandas as pd
import regex

from tweetgeo import schema
from tweetgeo.config import CleanConfig
from tweetgeo.nltk_lean import EMOTICONS, URLS, TweetTokenizer, nltk  # NLTK without its slow optional extras
from tweetgeo.schema import TWEET_SEPARATOR
from tweetgeo.tweet_tokens import tweet_tokens

NLTK_DATA_ENV = "TWEETGEO_NLTK_DATA"
_GEOTEXT_SEP = TWEET_SEPARATOR.strip()  # also when spaces around it were lost
URL_TOKEN = "<url>"
USER_TOKEN = "<user>"

# NUL and other control characters become spaces; invisible format characters
# (zero-width space/non-joiner/joiner, direction marks, word joiner, BOM) vanish;
# the typographic apostrophe becomes ' so that "it’s" meets the stop word "it's".
_CONTROLS = {c: " " for c in range(32) if chr(c) not in "\t\n\r"}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"))
_NORMALISE = str.maketrans({**_CONTROLS, **_INVISIBLE, ord("\u2019"): "'"})
# the runs of those characters: translating only them is ~5x faster than the whole text
_TO_NORMALISE = re.compile("[" + re.escape("".join(map(chr, _NORMALISE))) + "]+")
# emoji only occur in non-ASCII runs (a keycap starts with #, * or a digit): the
# emoji library, slow per character, is only shown those runs
_MAYBE_EMOJI = re.compile(r"[#*0-9]?[^\x00-\x7f]+")
# The batch path joins texts with this separator: whitespace on both sides, so that no
# tokeniser rule can reach across it, and DEL, which the tokeniser returns as a token of
# its own. Texts holding DEL go the per-text way.
_SEP_CHAR = "\x7f"
_SEPARATOR = f" {_SEP_CHAR} "
# nltk's emoticon test for lowercasing, without its timeout wrapper (tokens are short)
_EMOTICON = regex.compile(EMOTICONS, regex.VERBOSE | regex.I | regex.UNICODE)
# every non-ASCII character of any emoji: a run with none of them holds no emoji
_EMOJI_CHARS = frozenset(ch for key in emoji.EMOJI_DATA for ch in key if ord(ch) > 0x7f)
_CHUNK_CHARS = 1 << 18  # characters tokenised per regex pass (well under nltk's 5 s timeout)


def nltk_data_dir() -> Path:
    """The shipped NLTK data: $TWEETGEO_NLTK_DATA, else <repo>/data/raw/nltk_data."""
    env = os.environ.get(NLTK_DATA_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "data" / "raw" / "nltk_data"


def use_shipped_nltk_data() -> Path:
    """Put the shipped NLTK data first on nltk.data.path (idempotent) and return it."""
    path = str(nltk_data_dir())
    if path not in nltk.data.path:
        nltk.data.path.insert(0, path)
    return Path(path)


def _require_corpus(name: str) -> None:
    """Fail with the path to look at if a shipped corpus is missing (nothing is downloaded)."""
    root = use_shipped_nltk_data()
    for resource in (f"corpora/{name}.zip", f"corpora/{name}"):  # zipped as shipped, or unzipped
        try:
            nltk.data.find(resource)
            return
        except LookupError:
            pass
    raise FileNotFoundError(
        f"NLTK corpus {name!r} not found: expected {root / 'corpora' / (name + '.zip')} "
        f"(set {NLTK_DATA_ENV} to another nltk_data folder; nothing is downloaded)"
    )


def english_stopwords() -> frozenset[str]:
    """NLTK's English stop words, from the shipped data."""
    _require_corpus("stopwords")
    from nltk.corpus import stopwords

    return frozenset(stopwords.words("english"))


def wordnet_lemmatizer() -> Callable[[str], str]:
    """NLTK's WordNet lemmatiser (nouns), from the shipped data."""
    _require_corpus("wordnet")
    from nltk.stem import WordNetLemmatizer

    return WordNetLemmatizer().lemmatize


def raw_tokens(text: Any) -> list[str]:
    """Whitespace tokens of the uncleaned text (GeoText separators left out): the 'before' view."""
    return _as_text(text).replace(_GEOTEXT_SEP, " ").split()


def _as_text(value: Any) -> str:
    """A str for any cell: None/NaN → ''."""
    return value if isinstance(value, str) else "" if value is None or pd.isna(value) else str(value)


def _emoji_name(_: str, data: dict[str, Any]) -> str:
    """An emoji as one word token: '😂' → ' face_with_tears_of_joy '."""
    return " " + re.sub(r"\W+", "_", data["en"].strip(":")) + " "


class TextCleaner:
    """Configured cleaner: `tokens(text)` gives the tokens, `cleaner(text)` the canonical string."""

    def __init__(self, cfg: CleanConfig):
        self.cfg = cfg
        self._tokenizer = TweetTokenizer(
            preserve_case=not cfg.lowercase, reduce_len=True, match_phone_numbers=False
        )
        self._url = re.compile(URLS, re.VERBOSE | re.IGNORECASE)
        self._digits = re.compile(r"\d")
        self._no_word_chars = re.compile(r"[\W_]+")
        self._stopwords = english_stopwords() if cfg.stopwords else frozenset()
        self._lemma = wordnet_lemmatizer() if cfg.lemmatize else None
        # a token's fate (lemma included) depends only on the token: cache it, words repeat a lot
        self._word = functools.lru_cache(maxsize=1 << 18)(self._clean_token)
        # the batch path tokenises case-preserved (tweet_tokens) and lowercases per distinct token (cached)
        self._raw_word = functools.lru_cache(maxsize=1 << 20)(self._clean_raw_token)
        replace = " " if cfg.emoji == "remove" else _emoji_name
        self._emoji_run = functools.lru_cache(maxsize=1 << 16)(
            lambda run: emoji.replace_emoji(run, replace=replace) if not _EMOJI_CHARS.isdisjoint(run) else run)

    def __call__(self, text: Any) -> str:
        """The cleaned text: tokens joined by single spaces ('' when nothing is left)."""
        return " ".join(self.tokens(text))

    def tokens(self, text: Any) -> list[str]:
        """The cleaned tokens of one text (None/NaN → [])."""
        words = (self._word(tok) for tok in self._tokenizer.tokenize(self._normalise(text)))
        return [w for w in words if w]

    def _normalise(self, text: Any) -> str:
        """Character-level steps before tokenising: emoji, invisible characters, separators."""
        text = _as_text(text)
        if self.cfg.emoji != "keep":
            text = _MAYBE_EMOJI.sub(lambda m: self._emoji_run(m.group()), text)
        text = _TO_NORMALISE.sub(lambda m: m.group().translate(_NORMALISE), text)
        return text.replace(_GEOTEXT_SEP, " ")

    def clean_many(self, texts: Iterable[Any]) -> list[str]:
        """`[self(t) for t in texts]`, several times faster on a batch (same output, byte for byte);
        a text that occurs several times (retweets, copies) is cleaned once."""
        texts = [_as_text(t) for t in texts]
        distinct = list(dict.fromkeys(texts))
        if len(distinct) == len(texts):
            return [" ".join(toks) for toks in self.tokens_many(texts)]
        cleaned = dict(zip(distinct, (" ".join(toks) for toks in self.tokens_many(distinct)), strict=True))
        return [cleaned[t] for t in texts]

    def tokens_many(self, texts: Iterable[Any]) -> list[list[str]]:
        """`[self.tokens(t) for t in texts]` for a batch: texts are joined and tokenised in chunks."""
        texts = [_as_text(t) for t in texts]
        out: list[list[str]] = []
        chunk: list[str] = []
        size = 0
        for text in texts:
            chunk.append(text)
            size += len(text)
            if size >= _CHUNK_CHARS:
                out.extend(self._tokens_chunk(chunk))
                chunk, size = [], 0
        if chunk:
            out.extend(self._tokens_chunk(chunk))
        return out

    def _tokens_chunk(self, texts: list[str]) -> list[list[str]]:
        """Tokens of some texts from one tokeniser pass over them joined by _SEPARATOR."""
        if any(_SEP_CHAR in t for t in texts):
            return [self.tokens(t) for t in texts]
        try:
            words = tweet_tokens(self._normalise(_SEPARATOR.join(texts)))
        except TimeoutError:  # a pathological text: the per-text path names (and raises for) it
            return [self.tokens(t) for t in texts]
        clean = self._raw_word
        out: list[list[str]] = []
        current: list[str] = []
        for word in words:
            if word == _SEP_CHAR:
                out.append(current)
                current = []
            else:
                word = clean(word)
                if word:
                    current.append(word)
        out.append(current)
        if len(out) != len(texts):  # e.g. an HTML entity (&#127;) decoded to the separator
            return [self.tokens(t) for t in texts]
        return out

    def _clean_raw_token(self, tok: str) -> str | None:
        """A case-preserved token as the per-text path has it: lowercased as nltk does, then cleaned."""
        if self.cfg.lowercase:
            lower = tok.lower()
            if lower != tok and not _EMOTICON.search(tok):
                tok = lower
        return self._word(tok)

    def _clean_token(self, tok: str) -> str | None:
        """One token after the configured rules, or None when it is dropped."""
        if ("." in tok or ":" in tok) and self._url.fullmatch(tok):  # every URL has one of them
            return _entity(self.cfg.urls, tok, URL_TOKEN)
        if tok.startswith("@") and len(tok) > 1:  # mentions keep their digits (S2)
            return _entity(self.cfg.mentions, tok, USER_TOKEN)
        if tok.startswith("#") and len(tok) > 1:
            if self.cfg.hashtags == "remove":
                return None
            if self.cfg.hashtags == "word":
                tok = tok.lstrip("#")
        if self.cfg.numbers != "keep" and not tok.isalpha():  # letters only: no digit in it
            tok = self._digits.sub("0" if self.cfg.numbers == "zero" else "", tok)
        if self._dropped(tok):
            return None
        return self._lemma(tok) if self._lemma else tok

    def _dropped(self, tok: str) -> bool:
        """Whether a word token is filtered out (empty, punctuation, stop word, too short)."""
        return (
            len(tok) < self.cfg.min_token_chars
            or (self.cfg.punctuation and not tok.isalpha() and self._is_punctuation(tok))
            or tok.lower() in self._stopwords
        )

    def _is_punctuation(self, tok: str) -> bool:
        """No letter or digit in it, and not an emoji (kept emoji are words)."""
        return bool(self._no_word_chars.fullmatch(tok)) and not emoji.purely_emoji(tok)


def _entity(mode: str, tok: str, placeholder: str) -> str | None:
    """A URL or mention under its option: remove → None, token → placeholder, keep → itself."""
    return {"remove": None, "token": placeholder, "keep": tok}[mode]


def _vocabulary_and_mean(token_lists: Iterable[list[str]]) -> tuple[int, float]:
    """(distinct tokens, mean tokens per text) over some texts."""
    vocab: set[str] = set()
    total = n = 0
    for toks in token_lists:
        vocab.update(toks)
        total += len(toks)
        n += 1
    return len(vocab), round(total / n, 3) if n else 0.0


def clean_frame(df: pd.DataFrame, cfg: CleanConfig) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Clean the canonical table: RAW_TEXT keeps the original, TEXT gets the cleaned tokens.

    Rows whose cleaned text is empty are kept (and counted per split) so that
    every input row still gets a prediction; the model sees an all-padding
    sequence for them.
    """
    missing = [c for c in (schema.TEXT, schema.SPLIT) if c not in df.columns]
    if missing:
        raise KeyError(f"clean_frame: the table lacks column(s) {missing}")
    cleaner = TextCleaner(cfg)
    cleaned = cleaner.tokens_many(df[schema.TEXT])
    out = df.copy()
    out[schema.RAW_TEXT] = df[schema.TEXT]
    out[schema.TEXT] = [" ".join(toks) for toks in cleaned]
    empty = (out[schema.TEXT] == "").groupby(out[schema.SPLIT], sort=False).sum()
    vocab_before, mean_before = _vocabulary_and_mean(raw_tokens(t) for t in df[schema.TEXT])
    vocab_after, mean_after = _vocabulary_and_mean(cleaned)
    return out, {
        "rows": len(out),
        "empty_after_cleaning": {str(split): int(n) for split, n in empty.items()},
        "mean_tokens_before": mean_before,
        "mean_tokens_after": mean_after,
        "vocabulary_before": vocab_before,
        "vocabulary_after": vocab_after,
    }
