"""The honest yardstick: TF-IDF word (+ char) n-grams → linear classifier (scikit-learn, no pickle).

The vectorisers are features (fitted once by the embed stage, `fit_vectorizers`); the
classifier is the model (`TfidfLinear`), so changing C never refits the vocabulary.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier

from tweetgeo.config import TfidfFeaturesConfig
from tweetgeo.errors import ModelDirError
from tweetgeo.io import atomic_path

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
    """Vocabulary (JSON) + idf (npy) + n-gram ranges per vectoriser; no pickle; each file atomic."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    meta = {kind: list(vec.ngram_range) for kind, vec in vectorizers.items()}
    _write_text(directory / "vectorizers.json", json.dumps(meta))
    for kind, vec in vectorizers.items():
        vocab = {term: int(i) for term, i in vec.vocabulary_.items()}
        _write_text(directory / f"vocabulary_{kind}.json", json.dumps(vocab, ensure_ascii=False))
        with atomic_path(directory / f"idf_{kind}.npy") as tmp, open(tmp, "wb") as out:
            np.save(out, vec.idf_.astype(np.float64), allow_pickle=False)


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _bad(path: Path, what: str) -> ModelDirError:
    return ModelDirError(f"{path}: {what} — damaged or edited; retrain the run (or rerun the embed stage)")


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise ModelDirError(f"{path}: missing — the run was not trained to the end")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as err:
        raise _bad(path, f"unreadable ({' '.join(str(err).split())[:120] or 'empty'})") from None


def _read_array(path: Path, keys: tuple[str, ...] = ()) -> Any:
    """An .npy array, or the named arrays of an .npz (no pickle); ModelDirError naming the file."""
    if not path.is_file():
        raise ModelDirError(f"{path}: missing — the run was not trained to the end")
    try:
        if not keys:
            return np.load(path, allow_pickle=False)
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in keys if k not in data.files]
            if missing:
                raise _bad(path, f"array {', '.join(missing)} missing")
            return {k: data[k] for k in keys}
    except ModelDirError:
        raise
    except Exception as err:  # noqa: BLE001  (numpy raises many kinds on garbage bytes)
        raise _bad(path, f"unreadable ({type(err).__name__}: {' '.join(str(err).split())[:120]})") from None


def _vocabulary(path: Path) -> dict[str, int]:
    vocab = _read_json(path)
    if not isinstance(vocab, dict) or not all(isinstance(v, int) and not isinstance(v, bool)
                                              for v in vocab.values()):
        raise _bad(path, "not a JSON object of term → column")
    if sorted(vocab.values()) != list(range(len(vocab))):
        raise _bad(path, f"columns are not 0…{len(vocab) - 1}, each once")
    return vocab


def load_vectorizers(directory: Path) -> Vectorizers:
    """Rebuild fitted vectorisers written by save_vectorizers, each file checked (ModelDirError)."""
    directory = Path(directory)
    meta_path = directory / "vectorizers.json"
    meta = _read_json(meta_path)
    if (not isinstance(meta, dict) or not meta or set(meta) - {"word", "char_wb"}
            or not all(isinstance(r, list) and len(r) == 2 and all(isinstance(n, int) and n > 0 for n in r)
                       for r in meta.values())):
        raise _bad(meta_path, "expected {\"word\"|\"char_wb\": [min_n, max_n]}")
    vectorizers = {}
    for kind, ngrams in meta.items():
        vocab = _vocabulary(directory / f"vocabulary_{kind}.json")
        idf_path = directory / f"idf_{kind}.npy"
        idf = _read_array(idf_path)
        if idf.shape != (len(vocab),) or idf.dtype.kind != "f" or not np.isfinite(idf).all():
            raise _bad(idf_path, f"expected {len(vocab)} finite idf values, got shape {idf.shape} {idf.dtype}")
        vec = _vectorizer(kind, tuple(ngrams), None, vocabulary=vocab)
        vec.idf_ = idf
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
        x, y = transform(self.vectorizers, texts), np.asarray(y)
        if len(np.unique(y)) == 2:  # exact L2 logistic regression: cheap for two classes, and converges
            clf = LogisticRegression(C=self.C, solver="liblinear", random_state=self.seed)
        else:  # hundreds of labels: one-vs-rest SGD epochs bound the time
            clf = SGDClassifier(loss="log_loss", alpha=1.0 / (self.C * x.shape[0]),
                                max_iter=SGD_MAX_EPOCHS, tol=SGD_TOL, random_state=self.seed,
                                n_jobs=N_JOBS)
        with warnings.catch_warnings():  # SGD's epoch bound is a budget, not a failure (README)
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(x, y)
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
        """JSON + compressed npz (no pickle): vectorisers, coef, intercept, classes, config; each
        file written atomically."""
        directory = Path(directory)
        save_vectorizers(self.vectorizers, directory)
        meta = {"format": FORMAT_VERSION, "seed": self.seed, "C": self.C}
        _write_text(directory / "tfidf.json", json.dumps(meta, indent=2))
        with atomic_path(directory / "linear.npz") as tmp, open(tmp, "wb") as out:
            np.savez_compressed(out, coef=self.coef_, intercept=self.intercept_, classes=self.classes_)

    @classmethod
    def load(cls, directory: str | Path, n_labels: int | None = None) -> TfidfLinear:
        """Rebuild a fitted TfidfLinear from a directory written by save(); every file and the
        shapes between them checked (ModelDirError naming the file); classes 0…n_labels-1."""
        directory = Path(directory)
        meta_path = directory / "tfidf.json"
        meta = _read_json(meta_path)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
            found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
            raise ModelDirError(f"{meta_path}: format {found!r}, expected {FORMAT_VERSION}")
        C, seed = meta.get("C"), meta.get("seed")
        if (not isinstance(C, int | float) or isinstance(C, bool) or not np.isfinite(C) or C <= 0
                or not isinstance(seed, int) or isinstance(seed, bool)):
            raise _bad(meta_path, f"C must be a positive number and seed an integer (C={C!r}, seed={seed!r})")
        model = cls(float(C), load_vectorizers(directory), seed=seed)
        linear = directory / "linear.npz"
        data = _read_array(linear, ("coef", "intercept", "classes"))
        coef, intercept, classes = data["coef"], data["intercept"], data["classes"]
        width = sum(len(v.vocabulary) for v in model.vectorizers.values())
        if coef.ndim != 2 or coef.shape[1] != width or coef.dtype.kind != "f":
            raise _bad(linear, f"coef shape {coef.shape} does not fit the vocabularies ({width} columns)")
        rows = 1 if len(classes) == 2 else len(classes)
        if coef.shape[0] != rows or intercept.shape != (rows,) or classes.ndim != 1:
            raise _bad(linear, f"coef {coef.shape}, intercept {intercept.shape} and {len(classes)} "
                               "classes do not fit together")
        if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise _bad(linear, "coef or intercept not finite")
        if n_labels is not None and (classes.dtype.kind not in "iu" or len(set(classes.tolist())) != len(classes)
                                     or not all(0 <= c < n_labels for c in classes.tolist())):
            raise _bad(linear, f"classes must be distinct labels 0…{n_labels - 1} (card.json), "
                               f"got {classes.tolist()[:5]}")
        model.coef_, model.intercept_, model.classes_ = coef, intercept, classes
        return model
