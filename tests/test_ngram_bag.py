"""The n-gram bag family (TF-IDF MLP, fastText-style): inputs, training, save/load, predict on raw text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from tweetgeo import paths
from tweetgeo.config import CleanConfig, TfidfFeaturesConfig, TrainConfig
from tweetgeo.models.families.ngram_bag import TERMS, WEIGHTS, bag_inputs
from tweetgeo.models.tfidf import fit_vectorizers, save_vectorizers
from tweetgeo.rundata import SplitData
from tweetgeo.runspec import RunSpec

pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")


def test_bag_inputs_keep_the_strongest_terms_and_pad_with_zero_weight() -> None:
    matrix = sp.csr_matrix(np.array([[0.1, 0.0, 0.7, 0.2], [0.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0]],
                                    dtype="float32"))
    tfidf = bag_inputs(matrix, max_terms=2, weighting="tfidf")
    assert tfidf[TERMS].shape == (3, 2)
    assert sorted(zip(tfidf[TERMS][0], tfidf[WEIGHTS][0])) == [(2, pytest.approx(0.7)), (3, pytest.approx(0.2))]
    assert tfidf[WEIGHTS][1].tolist() == [0.0, 0.0]  # an empty text contributes nothing
    assert tfidf[WEIGHTS][2].tolist() == [pytest.approx(0.5), 0.0]
    mean = bag_inputs(matrix, max_terms=5, weighting="mean")
    assert mean[TERMS].shape == (3, 3)  # padded to the longest row, not to max_terms
    assert mean[WEIGHTS][0].tolist() == pytest.approx([1 / 3] * 3)
    assert mean[WEIGHTS][2].tolist() == pytest.approx([1.0, 0.0, 0.0])


def _spec(task: str, weighting: str) -> RunSpec:
    labels = "target" if task == "binary" else "kdtree"
    options = {"family": "ngram_bag", "weighting": weighting, "hidden": 8, "dropout": 0.0,
               "activation": "relu" if weighting == "tfidf" else "linear"}
    return RunSpec(name="bag", dataset="toy", task=task, labels=labels, features="tfidf", model="bag",
                   options=options, train=TrainConfig(epochs=30, batch_size=8, learning_rate=0.05, patience=30),
                   clean=CleanConfig(), decoding_top_k=3, encoder_max_tokens=16, seed=0)


def _split(texts: list[str], labels: list[int]) -> SplitData:
    n = len(texts)
    return SplitData(np.array([str(i) for i in range(n)], dtype=object), np.array(texts, dtype=object),
                     np.array(texts, dtype=object), np.array(labels), np.zeros((n, 2)))


@pytest.mark.parametrize("task, weighting", [("binary", "tfidf"), ("geo", "mean")])
def test_learns_saves_loads_and_scores_raw_text_the_same(task: str, weighting: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    words = {0: ["fire", "flood", "smoke"], 1: ["cake", "party", "music"], 2: ["snow", "ski", "cold"]}
    n_classes = 2 if task == "binary" else 3
    rng = np.random.default_rng(0)
    labels = [i % n_classes for i in range(60)]
    texts = [" ".join(rng.choice(words[y], size=3)) for y in labels]
    save_vectorizers(fit_vectorizers(texts, TfidfFeaturesConfig(word_ngrams=(1, 1), char_ngrams=(2, 3),
                                                                max_features=200)),
                     paths.features_dir("toy", "tfidf"))
    spec = _spec(task, weighting)
    family = spec.family
    fitted = family.fit(spec, n_classes, _split(texts, labels), _split(texts[:12], labels[:12]), [])
    probe = ["smoke fire", "party cake", "ski snow"][:n_classes]
    before = family.scores(fitted.model, np.array(probe, dtype=object), task)
    out = tmp_path / "model"
    out.mkdir()
    family.save(fitted.model, out)
    assert all(p.exists() for p in family.model_files(out))
    loaded = family.load(out, task, n_classes)
    after = family.scores(loaded, np.array(probe, dtype=object), task)
    key = "target" if task == "binary" else "label"
    np.testing.assert_allclose(after[key], before[key], rtol=1e-6)
    if task == "binary":
        assert after[key][0] < 0.5 < after[key][1]  # target 1: the words of class 1
    else:
        assert after[key].argmax(axis=1).tolist() == [0, 1, 2]
