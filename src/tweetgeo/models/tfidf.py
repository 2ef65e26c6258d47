"""The honest yardstick: TF-IDF word (+ char) n-grams → linear classifier (scikit-learn, saved without pickle)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from tweetgeo.config import TfidfConfig

SGD_MAX_EPOCHS = 15  # passes over the data; SGD stops earlier when the loss stops improving
SGD_TOL = 1e-4
N_JOBS = 2  # one-vs-rest classes trained in parallel threads (deterministic: seeds drawn up front)
FORMAT_VERSION = 1


def _vectorizer(kind: str, ngrams: tuple[int, int], max_features: int,
                vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    """A TF-IDF vectorizer over whitespace tokens ("word") or characters within words ("char_wb")."""
    common = dict(ngram_range=tuple(ngrams), sublinear_tf=True, dtype=np.float32, lowercase=False,
                  vocabulary=vocabulary, max_features=None if vocabulary else max_features)
    if kind == "word":
        return TfidfVectorizer(analyzer="word", token_pattern=r"\S+", **common)
    return TfidfVectorizer(analyzer="char_wb", **common)


class TfidfLinear:
    """TF-IDF n-grams + one-vs-rest logistic regression (SGD, log loss); fit/predict_proba/save/load."""

    def __init__(self, cfg: TfidfConfig, seed: int = 42):
        self.cfg, self.seed = cfg, seed
        self.vectorizers: dict[str, TfidfVectorizer] = {}
        self.coef_: np.ndarray | None = None  # (n_classes or 1, n_features)
        self.intercept_: np.ndarray | None = None
        self.classes_: np.ndarray | None = None
        self.fit_seconds: float | None = None

    def _feature_budget(self) -> dict[str, tuple[tuple[int, int], int]]:
        """Split cfg.max_features between word and char n-grams (half each when both are used)."""
        if self.cfg.char_ngrams is None:
            return {"word": (self.cfg.word_ngrams, self.cfg.max_features)}
        half = self.cfg.max_features // 2
        return {"word": (self.cfg.word_ngrams, half),
                "char_wb": (self.cfg.char_ngrams, self.cfg.max_features - half)}

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """Texts → the stacked TF-IDF feature matrix."""
        texts = list(texts)
        return sp.hstack([v.transform(texts) for v in self.vectorizers.values()], format="csr")

    def fit(self, texts: Iterable[str], y: np.ndarray) -> "TfidfLinear":
        """Fit the vectorizers and the classifier on training texts and integer labels."""
        start = time.perf_counter()
        texts = list(texts)
        self.vectorizers = {kind: _vectorizer(kind, ngrams, cap)
                            for kind, (ngrams, cap) in self._feature_budget().items()}
        x = sp.hstack([v.fit_transform(texts) for v in self.vectorizers.values()], format="csr")
        clf = SGDClassifier(loss="log_loss", alpha=1.0 / (self.cfg.C * x.shape[0]), max_iter=SGD_MAX_EPOCHS,
                            tol=SGD_TOL, random_state=self.seed, n_jobs=N_JOBS)
        clf.fit(x, np.asarray(y))
        self.coef_ = clf.coef_.astype(np.float32)
        self.intercept_ = clf.intercept_.astype(np.float32)
        self.classes_ = clf.classes_
        self.fit_seconds = time.perf_counter() - start
        return self

    def decision_function(self, texts: Iterable[str]) -> np.ndarray:
        """Linear scores, (N, n_classes) — or (N, 1) for two classes."""
        if self.coef_ is None:
            raise RuntimeError("TfidfLinear is not fitted")
        return np.asarray(self.transform(texts) @ self.coef_.T) + self.intercept_

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
        """Write JSON + .npy files (no pickle): vocabularies, idf, coef, intercept, classes, config."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT_VERSION, "seed": self.seed, "config": self.cfg.model_dump(mode="json"),
                "vectorizers": list(self.vectorizers)}
        (directory / "tfidf.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        for kind, vec in self.vectorizers.items():
            vocab = {term: int(i) for term, i in vec.vocabulary_.items()}
            (directory / f"vocabulary_{kind}.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
            np.save(directory / f"idf_{kind}.npy", vec.idf_.astype(np.float64), allow_pickle=False)
        np.save(directory / "coef.npy", self.coef_, allow_pickle=False)
        np.save(directory / "intercept.npy", self.intercept_, allow_pickle=False)
        np.save(directory / "classes.npy", self.classes_, allow_pickle=False)

    @classmethod
    def load(cls, directory: str | Path) -> "TfidfLinear":
        """Rebuild a fitted TfidfLinear from a directory written by save()."""
        directory = Path(directory)
        meta = json.loads((directory / "tfidf.json").read_text(encoding="utf-8"))
        model = cls(TfidfConfig(**meta["config"]), seed=meta["seed"])
        budget = model._feature_budget()
        for kind in meta["vectorizers"]:
            vocab = json.loads((directory / f"vocabulary_{kind}.json").read_text(encoding="utf-8"))
            vec = _vectorizer(kind, budget[kind][0], budget[kind][1], vocabulary=vocab)
            vec.idf_ = np.load(directory / f"idf_{kind}.npy", allow_pickle=False)
            model.vectorizers[kind] = vec
        model.coef_ = np.load(directory / "coef.npy", allow_pickle=False)
        model.intercept_ = np.load(directory / "intercept.npy", allow_pickle=False)
        model.classes_ = np.load(directory / "classes.npy", allow_pickle=False)
        return model
