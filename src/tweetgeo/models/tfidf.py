"""The honest yardstick: TF-IDF word (+ char) n-grams → linear classifier (scikit-learn, no pickle).

The vectorisers are features (fitted once by the embed stage, `fit_vectorizers`); the
classifier is the model (`TfidfLinear`), so changing C never refits the vocabulary.
scikit-learn fits the vocabularies and the classifier; the fitted vocabularies then turn texts into
features through `TfidfLookup` (the same matrix, NumPy lookups), so reading, checking and applying a
saved model needs no scikit-learn (its import takes seconds).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tweetgeo.config import TfidfFeaturesConfig
from tweetgeo.errors import ModelDirError
from tweetgeo.io import atomic_path
from tweetgeo.models.tfidf_lookup import TfidfLookup, sklearn_vectorizer

if TYPE_CHECKING:
    import scipy.sparse as sp

SGD_MAX_EPOCHS = 15  # passes over the data; SGD stops earlier when the loss stops improving
SGD_TOL = 1e-4
N_JOBS = 2  # one-vs-rest classes trained in parallel threads (deterministic: seeds drawn up front)
COEF_FILE = "coef_columns.npy"
FORMAT_VERSION = 4  # 4: coef in coef_columns.npy, features × labels, uncompressed (predict maps it)
Vectorizers = dict[str, TfidfLookup]  # "word" / "char_wb" → fitted vocabulary and idf


def _budget(cfg: TfidfFeaturesConfig) -> dict[str, tuple[tuple[int, int], int]]:
    """Split cfg.max_features between word and char n-grams (half each when both are used)."""
    if cfg.char_ngrams is None:
        return {"word": (cfg.word_ngrams, cfg.max_features)}
    half = cfg.max_features // 2
    return {"word": (cfg.word_ngrams, half), "char_wb": (cfg.char_ngrams, cfg.max_features - half)}


def fit_vectorizers(texts: Iterable[str], cfg: TfidfFeaturesConfig) -> Vectorizers:
    """Fit the word (+ char) TF-IDF vectorisers on training texts (scikit-learn), as lookups."""
    texts = list(texts)
    vectorizers = {}
    for kind, (ngrams, cap) in _budget(cfg).items():
        vectorizers[kind] = TfidfLookup.from_sklearn(sklearn_vectorizer(kind, ngrams, cap).fit(texts))
    return vectorizers


def transform(vectorizers: Vectorizers, texts: Iterable[str]) -> sp.csr_matrix:
    """Texts → the stacked TF-IDF feature matrix."""
    import scipy.sparse as sp

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


def _read_array(path: Path, keys: tuple[str, ...] = (), mmap: bool = False) -> Any:
    """An .npy array (`mmap`: memory-mapped, read-only), or the named arrays of an .npz (no
    pickle); ModelDirError naming the file."""
    if not path.is_file():
        raise ModelDirError(f"{path}: missing — the run was not trained to the end")
    try:
        if not keys:
            return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
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
    if not isinstance(vocab, dict) or not all(type(v) is int for v in vocab.values()):  # JSON: bool is not int
        raise _bad(path, "not a JSON object of term → column")
    columns = np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab)) if vocab else np.zeros(0, np.int64)
    if columns.size and (columns.min() < 0 or columns.max() >= len(vocab)
                         or np.bincount(columns, minlength=len(vocab)).max() != 1):
        raise _bad(path, f"columns are not 0…{len(vocab) - 1}, each once")
    return vocab


@dataclass(frozen=True)
class VectorizerFiles:
    """One saved vectoriser, read and checked: its n-gram range, vocabulary and idf."""

    ngrams: tuple[int, int]
    vocabulary: dict[str, int]
    idf: np.ndarray


def read_vectorizer_files(directory: Path) -> dict[str, VectorizerFiles]:
    """The files save_vectorizers wrote, each checked (ModelDirError), without scikit-learn."""
    directory = Path(directory)
    meta_path = directory / "vectorizers.json"
    meta = _read_json(meta_path)
    if (not isinstance(meta, dict) or not meta or set(meta) - {"word", "char_wb"}
            or not all(isinstance(r, list) and len(r) == 2 and all(isinstance(n, int) and n > 0 for n in r)
                       for r in meta.values())):
        raise _bad(meta_path, "expected {\"word\"|\"char_wb\": [min_n, max_n]}")
    files = {}
    for kind, ngrams in meta.items():
        vocab = _vocabulary(directory / f"vocabulary_{kind}.json")
        idf_path = directory / f"idf_{kind}.npy"
        idf = _read_array(idf_path)
        if idf.shape != (len(vocab),) or idf.dtype.kind != "f" or not np.isfinite(idf).all():
            raise _bad(idf_path, f"expected {len(vocab)} finite idf values, got shape {idf.shape} {idf.dtype}")
        files[kind] = VectorizerFiles(tuple(ngrams), vocab, idf)
    return files


def build_vectorizers(files: dict[str, VectorizerFiles]) -> Vectorizers:
    """Fitted vectorisers from read_vectorizer_files (no scikit-learn)."""
    return {kind: TfidfLookup(kind, f.ngrams, f.vocabulary, f.idf) for kind, f in files.items()}


def load_vectorizers(directory: Path) -> Vectorizers:
    """Rebuild fitted vectorisers written by save_vectorizers, each file checked (ModelDirError)."""
    return build_vectorizers(read_vectorizer_files(directory))


@dataclass(frozen=True)
class TfidfFiles:
    """A saved TfidfLinear, every file read and checked (read_model_files); TfidfLinear.build
    makes the model of it."""

    C: float
    seed: int
    vectorizers: dict[str, VectorizerFiles]
    coef_columns: np.ndarray  # (n_features, n_classes or 1): coef_.T, C order, memory-mapped
    intercept: np.ndarray
    classes: np.ndarray


class TfidfLinear:
    """Fitted TF-IDF vectorisers + one-vs-rest logistic regression (SGD, log loss)."""

    def __init__(self, C: float, vectorizers: Vectorizers, seed: int = 42):
        self.C, self.seed, self.vectorizers = C, seed, vectorizers
        self.coef_: np.ndarray | None = None  # (n_classes or 1, n_features)
        self._coef_t: tuple[np.ndarray, np.ndarray] | None = None  # (coef_, its C-ordered transpose)
        self.intercept_: np.ndarray | None = None
        self.classes_: np.ndarray | None = None

    def fit(self, texts: Iterable[str], y: np.ndarray) -> TfidfLinear:
        """Fit the classifier on training texts and integer labels."""
        x, y = transform(self.vectorizers, texts), np.asarray(y)
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression, SGDClassifier

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
        return np.asarray(transform(self.vectorizers, texts) @ self._coef_columns()) + self.intercept_

    def _coef_columns(self) -> np.ndarray:
        """coef_.T laid out C-contiguous, made once: scipy's sparse × dense product wants a
        C-ordered right-hand side and would copy coef_.T (labels × features) on every call.
        The same numbers, multiplied in the same order: the same scores, bit for bit."""
        if self._coef_t is None or self._coef_t[0] is not self.coef_:
            self._coef_t = (self.coef_, np.ascontiguousarray(self.coef_.T))
        return self._coef_t[1]

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
        """JSON, .npy and .npz (no pickle): vectorisers, coef, intercept, classes, config; each
        file written atomically."""
        directory = Path(directory)
        save_vectorizers(self.vectorizers, directory)
        meta = {"format": FORMAT_VERSION, "seed": self.seed, "C": self.C}
        _write_text(directory / "tfidf.json", json.dumps(meta, indent=2))
        # coef as predict multiplies it (features × labels, C order) in a plain .npy: loading is a
        # memory map, with no decompression, zip CRC or transpose (3 s of a 30k-tweet predict)
        with atomic_path(directory / COEF_FILE) as tmp, open(tmp, "wb") as out:
            np.save(out, self._coef_columns())
        with atomic_path(directory / "linear.npz") as tmp, open(tmp, "wb") as out:
            np.savez_compressed(out, intercept=self.intercept_, classes=self.classes_)

    @classmethod
    def load(cls, directory: str | Path, n_labels: int | None = None) -> TfidfLinear:
        """Rebuild a fitted TfidfLinear from a directory written by save(); every file and the
        shapes between them checked (ModelDirError naming the file); classes 0…n_labels-1."""
        return cls.build(read_model_files(directory, n_labels))

    @classmethod
    def build(cls, files: TfidfFiles) -> TfidfLinear:
        """The model of files read by read_model_files (no scikit-learn)."""
        model = cls(files.C, build_vectorizers(files.vectorizers), seed=files.seed)
        model.coef_, model.intercept_, model.classes_ = files.coef_columns.T, files.intercept, files.classes
        model._coef_t = (model.coef_, files.coef_columns)  # saved in the layout the product wants
        return model


def read_model_files(directory: str | Path, n_labels: int | None = None) -> TfidfFiles:
    """Every file TfidfLinear.save wrote, read and checked, and the shapes between them
    (ModelDirError naming the file); classes 0…n_labels-1. No scikit-learn."""
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
    vectorizers = read_vectorizer_files(directory)
    linear, coef_path = directory / "linear.npz", directory / COEF_FILE
    data = _read_array(linear, ("intercept", "classes"))
    intercept, classes = data["intercept"], data["classes"]
    coef_columns = _read_array(coef_path, mmap=True)
    width = sum(len(v.vocabulary) for v in vectorizers.values())
    if coef_columns.ndim != 2 or coef_columns.shape[0] != width or coef_columns.dtype.kind != "f":
        raise _bad(coef_path, f"shape {coef_columns.shape} does not fit the vocabularies ({width} rows)")
    rows = 1 if len(classes) == 2 else len(classes)
    if coef_columns.shape[1] != rows or intercept.shape != (rows,) or classes.ndim != 1:
        raise _bad(coef_path if coef_columns.shape[1] != rows else linear,
                   f"coef {coef_columns.shape[::-1]}, intercept {intercept.shape} and {len(classes)} "
                   "classes do not fit together")
    # finite iff every entry is: a float32 sum in float64 cannot overflow, and inf or NaN carries through
    if not np.isfinite(np.sum(coef_columns, dtype=np.float64)):
        raise _bad(coef_path, "coef not finite")
    if not np.isfinite(intercept).all():
        raise _bad(linear, "intercept not finite")
    if n_labels is not None and (classes.dtype.kind not in "iu" or len(set(classes.tolist())) != len(classes)
                                 or not all(0 <= c < n_labels for c in classes.tolist())):
        raise _bad(linear, f"classes must be distinct labels 0…{n_labels - 1} (card.json), "
                           f"got {classes.tolist()[:5]}")
    return TfidfFiles(float(C), seed, vectorizers, coef_columns, intercept, classes)


SPLIT_MIN_ROWS = 5000  # from this many texts on, a forked child scores the second half (2 cores)


def predict_proba_split(model: TfidfLinear, texts: Iterable[str], min_rows: int | None = None) -> np.ndarray:
    """model.predict_proba(texts), the same rows bit for bit (each row is scored on its own); with
    at least min_rows (default SPLIT_MIN_ROWS) texts on a multi-core Linux machine, a forked child
    scores the second half while this process scores the first."""
    from tweetgeo.forking import in_two_processes, may_fork

    texts = list(texts)
    if not may_fork(len(texts), SPLIT_MIN_ROWS if min_rows is None else min_rows):
        return model.predict_proba(texts)
    half = len(texts) // 2
    return np.concatenate(in_two_processes(model.predict_proba, texts[:half], texts[half:]))
