"""TF-IDF features from a fitted vocabulary, computed with NumPy instead of scikit-learn's analyser.

Written by hand because scikit-learn builds every n-gram as a Python string and looks it up in a
dict one at a time (3 s of a 30,000-tweet `tweetgeo predict`), and importing it costs another
1–2 s; here each n-gram is a packed integer and the lookup is one hash-table pass (pandas' Index). Fitting (the
vocabulary and its idf) stays with scikit-learn's TfidfVectorizer; `TfidfLookup.transform` gives
the matrix its `transform` gives (same rows, columns and order; values equal to float32 rounding,
tests/test_tfidf_lookup.py), for the word analyser with token pattern `\\S+` and for `char_wb`,
no lowercasing, sublinear tf, l2 norm: the settings of `tweetgeo.models.tfidf`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

CHUNK_TEXTS = 8192  # texts looked up per pass (bounds the n-gram arrays' memory)
_SEP = "\x00"  # between words (and texts): no vocabulary term holds it, so no n-gram spans it


def sklearn_vectorizer(kind: str, ngrams: tuple[int, int], max_features: int | None,
                       vocabulary: dict[str, int] | None = None) -> Any:
    """scikit-learn's TF-IDF vectoriser over whitespace tokens ("word") or characters within words
    ("char_wb"), with the settings TfidfLookup reproduces."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    common = dict(ngram_range=tuple(ngrams), sublinear_tf=True, dtype=np.float32, lowercase=False,
                  vocabulary=vocabulary, max_features=None if vocabulary else max_features)
    if kind == "word":
        return TfidfVectorizer(analyzer="word", token_pattern=r"\S+", **common)
    return TfidfVectorizer(analyzer="char_wb", **common)


class TfidfLookup:
    """A fitted TF-IDF vectoriser ("word" or "char_wb") as a hash table of its terms' integer keys.

    Exposes `vocabulary_`, `idf_` and `ngram_range` like scikit-learn's, so it saves the same way.
    """

    def __init__(self, kind: str, ngram_range: tuple[int, int], vocabulary: dict[str, int],
                 idf: np.ndarray) -> None:
        if kind not in ("word", "char_wb"):
            raise ValueError(f"TfidfLookup: unknown analyser {kind!r} (word or char_wb)")
        self.kind, self.ngram_range = kind, (int(ngram_range[0]), int(ngram_range[1]))
        self.vocabulary_, self.idf_ = vocabulary, np.asarray(idf, dtype=np.float64)
        self._sklearn: Any = None  # scikit-learn's vectoriser, for settings the keys cannot hold
        terms = list(vocabulary)
        columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(terms))
        keys = self._word_term_keys(terms) if kind == "word" else self._char_term_keys(terms)
        if keys is None:
            self._sklearn = self._sklearn_vectorizer()
            return
        self._index = pd.Index(keys)  # a hash table (pandas' engine), built on the first lookup
        self._columns = columns

    @classmethod
    def from_sklearn(cls, vectorizer: Any) -> TfidfLookup:
        """The lookup of a fitted scikit-learn TfidfVectorizer (analyzer "word" or "char_wb")."""
        return cls(vectorizer.analyzer, vectorizer.ngram_range, vectorizer.vocabulary_, vectorizer.idf_)

    def _sklearn_vectorizer(self) -> Any:
        """scikit-learn's vectoriser with this vocabulary and idf (the slow path)."""
        vec = sklearn_vectorizer(self.kind, self.ngram_range, None, vocabulary=self.vocabulary_)
        vec.idf_ = self.idf_
        return vec

    # ------------------------------------------------------------------ keys of the vocabulary
    def _word_term_keys(self, terms: list[str]) -> np.ndarray | None:
        """A term of n tokens → n token ids in base (tokens + 1), plus n × base**max_n; None when
        these do not fit 63 bits (many tokens and long n-grams) or a term has more than max_n tokens."""
        parts = " ".join(terms).split(" ") if terms else []  # every term's tokens in order (none holds a space)
        per_term = np.fromiter((term.count(" ") + 1 for term in terms), dtype=np.int64, count=len(terms))
        tokens = sorted(set(parts))
        self._token_ids = {tok: i + 1 for i, tok in enumerate(tokens)}  # 0: a token no term holds
        self._base = len(tokens) + 1
        max_n = self.ngram_range[1]
        if self._base ** max_n * (max_n + 1) >= 2 ** 63 or int(per_term.max(initial=0)) > max_n:
            return None
        ids = np.fromiter(map(self._token_ids.__getitem__, parts), dtype=np.int64, count=len(parts))
        starts = np.cumsum(per_term) - per_term
        position = np.arange(len(parts), dtype=np.int64) - np.repeat(starts, per_term)  # within its term
        weighted = ids * np.array([self._base ** j for j in range(max_n)], dtype=np.int64)[position]
        if not len(terms):
            return np.zeros(0, dtype=np.int64)
        return np.add.reduceat(weighted, starts) + per_term * self._base ** max_n

    def _char_term_keys(self, terms: list[str]) -> np.ndarray | None:
        """A term of n characters → n character codes of `bits` bits each, plus n << (bits·max_n);
        None when these do not fit 63 bits, or when min_n > 3 (scikit-learn then also counts a
        padded word shorter than min_n whole, which the windows here do not)."""
        codepoints = _codepoints(_SEP.join(terms))
        alphabet = np.unique(codepoints[codepoints != 0])
        self._bits = max(1, int(alphabet.size).bit_length())  # codes 1…size; 0: a character no term holds
        min_n, max_n = self.ngram_range
        if min_n > 3 or self._bits * max_n + (max_n + 1).bit_length() > 63:
            return None
        self._alphabet = alphabet
        codes = self._codes(codepoints)
        lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
        starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
        keys = np.zeros(len(terms), dtype=np.int64)
        for j in range(int(lengths.max(initial=0))):
            has = lengths > j
            keys[has] |= codes[starts[has] + j] << (self._bits * j)
        return keys | (lengths << (self._bits * max_n))

    def _codes(self, codepoints: np.ndarray) -> np.ndarray:
        """Each character's code (1…alphabet size), 0 for characters outside the alphabet."""
        if not self._alphabet.size:
            return np.zeros(codepoints.shape, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._alphabet, codepoints), self._alphabet.size - 1)
        return np.where(self._alphabet[pos] == codepoints, pos + 1, 0).astype(np.int64)

    # ------------------------------------------------------------------ transform
    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TfidfVectorizer.transform(texts): (texts × vocabulary) float32 CSR, indices sorted."""
        texts = list(texts)
        if self._sklearn is not None:
            return self._sklearn.transform(texts)
        counts = sp.vstack([self._counts(texts[i:i + CHUNK_TEXTS]) for i in range(0, len(texts), CHUNK_TEXTS)]
                           or [sp.csr_matrix((0, len(self.vocabulary_)), dtype=np.float32)], format="csr")
        return self._tfidf(counts)

    def _counts(self, texts: list[str]) -> sp.csr_matrix:
        rows, columns = self._word_hits(texts) if self.kind == "word" else self._char_hits(texts)
        counts = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)),
                               shape=(len(texts), len(self.vocabulary_)), dtype=np.float32)
        counts.sum_duplicates()  # also sorts each row's column indices, as scikit-learn's are
        return counts

    def _tfidf(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """TfidfTransformer.transform with sublinear_tf and norm "l2", in the same float32 steps."""
        np.log(x.data, x.data)
        x.data += 1.0
        x.data *= self.idf_[x.indices]
        per_row = np.diff(x.indptr)
        row_of = np.repeat(np.arange(x.shape[0]), per_row)
        # float32 squares summed in float64 in column order, as scikit-learn's l2 normalisation does
        norms = np.sqrt(np.bincount(row_of, weights=(x.data * x.data).astype(np.float64), minlength=x.shape[0]))
        x.data /= norms[row_of]  # empty rows hold nothing to divide
        return x

    def _lookup(self, keys: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions of the keys found in the vocabulary, their columns)."""
        candidates = np.flatnonzero(valid)
        pos = self._index.get_indexer(keys[candidates])
        hit = pos >= 0
        return candidates[hit], self._columns[pos[hit]]

    def _word_hits(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every word n-gram of the texts that is in the vocabulary."""
        per_text = [text.split() for text in texts]
        lengths = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
        get = self._token_ids.get
        ids = np.fromiter((get(tok, 0) for toks in per_text for tok in toks), dtype=np.int64,
                          count=int(lengths.sum()))
        row_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        position = np.arange(ids.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)  # within its text
        remaining = np.repeat(lengths, lengths) - position  # tokens from here to the text's end
        min_n, max_n = self.ngram_range
        rows, columns = [], []
        for n in range(min_n, max_n + 1):
            starts = np.flatnonzero(remaining >= n)
            key = np.full(starts.size, n * self._base ** max_n, dtype=np.int64)
            valid = np.ones(starts.size, dtype=bool)
            for j in range(n):
                tok = ids[starts + j]
                valid &= tok > 0
                key += tok * self._base ** j
            found, cols = self._lookup(key, valid)
            rows.append(row_of[starts[found]])
            columns.append(cols)
        return np.concatenate(rows), np.concatenate(columns)

    def _char_hits(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every char_wb n-gram (each word padded with one space each side)."""
        segments = [f" {(' ' + _SEP + ' ').join(words)} " if (words := text.split()) else "" for text in texts]
        codes = self._codes(_codepoints(_SEP.join(segments)))
        lengths = np.fromiter(map(len, segments), dtype=np.int64, count=len(segments)) + 1  # + separator
        row_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)[:codes.size]
        min_n, max_n = self.ngram_range
        rows, columns = [], []
        for n in range(min_n, max_n + 1):
            width = codes.size - n + 1
            if width <= 0:
                continue
            key = np.full(width, n << (self._bits * max_n), dtype=np.int64)
            valid = np.ones(width, dtype=bool)
            for j in range(n):
                part = codes[j:j + width]
                valid &= part > 0
                key |= part << (self._bits * j)
            found, cols = self._lookup(key, valid)
            rows.append(row_of[found])
            columns.append(cols)
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(rows), np.concatenate(columns)


def _codepoints(text: str) -> np.ndarray:
    """The text's Unicode code points as int64."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
