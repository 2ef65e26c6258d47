"""The honest yardstick: TF-IDF word (+ char) n-grams → linear classifier (scikit-learn, no pickle).

The vectorisers are features (fitted once by the embed stage, `fit_vectorizers`); the
classifier is the model (`TfidfLinear`), so changing C never refits the vocabulary.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from tweetgeo.config import TfidfFeaturesConfig

SGD_MAX_EPOCHS = 15  # passes over the data; SGD stops earlier when the loss stops improving
SGD_TOL = 1e-4
N_JOBS = 2  # one-vs-rest classes trained in parallel threads (deterministic: seeds drawn up front)
FORMAT_VERSION = 3
Vectorizers = dict[str, TfidfVectorizer]


def _vectorizer(kind: str, ngrams: tuple[int, int], max_features: int | None,
                vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    """A TF-IDF vectorizer over whitespace tokens ("word") or characters within words ("char_wb")."""
    common = dict(ngram_range=tuple(ngrams), sublinear_tf=True, dtype=np.float32, lowercase=False,
                  vocabulary=vocabulary, max_features=None if vocabulary else max_features)
    if kind == "word":
        return TfidfVectorizer(analyzer="word", token_pattern=r"\S+", **common)
    return TfidfVectorizer(analyzer="char_wb", **common)


def _budget(cfg: TfidfFeaturesConfig) -> dict[str, tuple[tuple[int, int], int]]:
    """Split cfg.max_features between word and char n-grams (half each when both are used)."""
    if cfg.char_ngrams is None:
        return {"word": (cfg.word_ngrams, cfg.max_features)}
    half = cfg.max_features // 2
    return {"word": (cfg.word_ngrams, half), "char_wb": (cfg.char_ngrams, cfg.max_features - half)}


def fit_vectorizers(texts: Iterable[str], cfg: TfidfFeaturesConfig) -> Vectorizers:
    """Fit the word (+ char) TF-IDF vectorisers on training texts."""
    texts = list(texts)
    vectorizers = {kind: _vectorizer(kind, ngrams, cap) for kind, (ngrams, cap) in _budget(cfg).items()}
    for vec in vectorizers.values():
        vec.fit(texts)
    return vectorizers


def transform(vectorizers: Vectorizers, texts: Iterable[str]) -> sp.csr_matrix:
    """Texts → the stacked TF-IDF feature matrix."""
    texts = list(texts)
    return sp.hstack([v.transform(texts) for v in vectorizers.values()], format="csr")


def save_vectorizers(vectorizers: Vectorizers, directory: Path) -> None:
    """Vocabulary (JSON) + idf (npy) + n-gram ranges per vectoriser; no pickle."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    meta = {kind: list(vec.ngram_range) for kind, vec in vectorizers.items()}
    (directory / "vectorizers.json").write_text(json.dumps(meta), encoding="utf-8")
    for kind, vec in vectorizers.items():
        vocab = {term: int(i) for term, i in vec.vocabulary_.items()}
        (directory / f"vocabulary_{kind}.json").write_text(json.dumps(vocab, ensure_ascii=False),
                                                          encoding="utf-8")
        np.save(directory / f"idf_{kind}.npy", vec.idf_.astype(np.float64), allow_pickle=False)


def load_vectorizers(directory: Path) -> Vectorizers:
    """Rebuild fitted vectorisers written by save_vectorizers."""
    directory = Path(directory)
    meta = json.loads((directory / "vectorizers.json").read_text(encoding="utf-8"))
    vectorizers = {}
    for kind, ngrams in meta.items():
        vocab = json.loads((directory / f"vocabulary_{kind}.json").read_text(encoding="utf-8"))
        vec = _vectorizer(kind, tuple(ngrams), None, vocabulary=vocab)
        vec.idf_ = np.load(directory / f"idf_{kind}.npy", allow_pickle=False)
        vectorizers[kind] = vec
    return vectorizers


class TfidfLinear:
    """Fitted TF-IDF vectorisers + one-vs-rest logistic regression (SGD, log loss)."""

    def __init__(self, C: float, vectorizers: Vectorizers, seed: int = 42):
        self.C, self.seed, self.vectorizers = C, seed, vectorizers
        self.coef_: np.ndarray | None = None  # (n_classes or 1, n_features)
        self.intercept_: np.ndarray | None = None
        self.classes_: np.ndarray | None = None

    def fit(self, texts: Iterable[str], y: np.ndarray) -> TfidfLinear:
        """Fit the classifier on training texts and integer labels."""
        x = transform(self.vectorizers, texts)
        clf = SGDClassifier(loss="log_loss", alpha=1.0 / (self.C * x.shape[0]),
                            max_iter=SGD_MAX_EPOCHS, tol=SGD_TOL, random_state=self.seed,
                            n_jobs=N_JOBS)
        clf.fit(x, np.asarray(y))
        self.coef_ = clf.coef_.astype(np.float32)
        self.intercept_ = clf.intercept_.astype(np.float32)
        self.classes_ = clf.classes_
        return self

    def parameter_count(self) -> int:
        return int(self.coef_.size + self.intercept_.size)

    def decision_function(self, texts: Iterable[str]) -> np.ndarray:
        """Linear scores, (N, n_classes) — or (N, 1) for two classes."""
        if self.coef_ is None:
            raise RuntimeError("TfidfLinear is not fitted")
        return np.asarray(transform(self.vectorizers, texts) @ self.coef_.T) + self.intercept_

    def predict_proba(self, texts: Iterable[str]) -> np.ndarray:
        """Class probabilities (N, n_classes), columns in the order of classes_ (sklearn's OvR rule)."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(texts).astype(np.float64)))
        if p.shape[1] == 1:
            return np.hstack([1.0 - p, p])
        total = p.sum(axis=1, keepdims=True)
        return np.divide(p, total, out=np.full_like(p, 1.0 / p.shape[1]), where=total > 0)

    def predict(self, texts: Iterable[str]) -> np.ndarray:
        """The most probable class per text."""
        return self.classes_[np.argmax(self.predict_proba(texts), axis=1)]

    def save(self, directory: str | Path) -> None:
        """JSON + compressed npz (no pickle): vectorisers, coef, intercept, classes, config."""
        directory = Path(directory)
        save_vectorizers(self.vectorizers, directory)
        meta = {"format": FORMAT_VERSION, "seed": self.seed, "C": self.C}
        (directory / "tfidf.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        np.savez_compressed(directory / "linear.npz", coef=self.coef_, intercept=self.intercept_,
                            classes=self.classes_)

    @classmethod
    def load(cls, directory: str | Path) -> TfidfLinear:
        """Rebuild a fitted TfidfLinear from a directory written by save()."""
        directory = Path(directory)
        meta = json.loads((directory / "tfidf.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"{directory}/tfidf.json: format {meta.get('format')}, "
                             f"expected {FORMAT_VERSION}")
        model = cls(float(meta["C"]), load_vectorizers(directory), seed=meta["seed"])
        with np.load(directory / "linear.npz", allow_pickle=False) as data:
            model.coef_, model.intercept_ = data["coef"], data["intercept"]
            model.classes_ = data["classes"]
        return model
