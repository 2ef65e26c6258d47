"""The fast paths of `tweetgeo predict` give exactly the answers of the plain ones (issue 11):
top-k by partition (ties included), expected-distance decoding through a label distance table,
TF-IDF scoring split over two processes, and a run checked once then handed to the Predictor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from specs import tiny_spec
from tweetgeo import metrics, paths
from tweetgeo.config import TfidfFeaturesConfig
from tweetgeo.geo import haversine_km
from tweetgeo.modelcard import ModelCard, save_card
from tweetgeo.modelfiles import check_run
from tweetgeo.models.tfidf import TfidfFiles, TfidfLinear, fit_vectorizers, predict_proba_split
from tweetgeo.predict import Predictor

TEXTS = ["forest fire near the town", "lovely sunny day at the beach", "flood warning for the river",
         "new york pizza is the best", "earthquake shakes the city", "coffee with friends in paris",
         "storm damage on the coast", "reading a book in the park"] * 5


@pytest.mark.parametrize("width", [1, 3, 6, 40])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_top_k_is_the_stable_argsort_with_ties(width: int, k: int) -> None:
    rng = np.random.default_rng(width * 10 + k)
    for probs in (rng.integers(0, 3, (500, width)) / 3,  # many ties, also at the k-th score
                  np.zeros((4, width)), rng.random((50, width))):
        want = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(metrics.top_k_stable(probs, k), want)
    assert metrics.top_k_stable(np.zeros((0, width)), k).shape == (0, min(k, width))


def test_top_k_ties_go_to_the_lower_label() -> None:
    probs = np.array([[0.1, 0.3, 0.3, 0.3, 0.0], [0.2, 0.2, 0.2, 0.2, 0.2]])
    assert metrics.top_k_stable(probs, 2).tolist() == [[1, 2], [0, 1]]


def _labels(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    latlon = np.column_stack([rng.uniform(-60, 70, n), rng.uniform(-180, 180, n)])
    probs = rng.dirichlet(np.full(n, 0.3), 300)
    probs[:20, :4] = 0.25  # ties at the top
    probs[:20, 4:] = 0.0
    return latlon, probs


def test_distance_table_holds_the_formulas_numbers() -> None:
    latlon, _ = _labels(30)
    table = metrics.label_distances(latlon)
    i, j = np.meshgrid(range(30), range(30), indexing="ij")
    formula = haversine_km(latlon[i, 0], latlon[i, 1], latlon[j, 0], latlon[j, 1])
    np.testing.assert_array_equal(table, formula)


@pytest.mark.parametrize("top_k", [1, 5, 20, 30])
def test_expected_distance_decode_with_the_table_equals_the_per_row_formula(top_k: int) -> None:
    latlon, probs = _labels(30)
    plain = metrics.expected_distance_decode(probs, latlon, top_k)
    tabled = metrics.expected_distance_decode(probs, latlon, top_k, metrics.label_distances(latlon))
    np.testing.assert_array_equal(tabled, plain)
    # and the per-row definition, written out: argmin over the top-k of the expected distance
    for row in range(0, len(probs), 37):
        top = np.argsort(-probs[row], kind="stable")[:min(top_k, 30)]
        w = probs[row, top] / probs[row, top].sum()
        expected = [np.sum(w * haversine_km(latlon[a, 0], latlon[a, 1], latlon[top, 0], latlon[top, 1]))
                    for a in top]
        if row >= 20:  # no ties: the choice is unique
            np.testing.assert_array_equal(tabled[row], latlon[top[int(np.argmin(expected))]])


def test_distance_table_is_skipped_when_too_large(monkeypatch) -> None:
    monkeypatch.setattr(metrics, "LABEL_DISTANCE_CELLS", 10)
    assert metrics.label_distances(_labels(4)[0]) is None


@pytest.fixture(scope="module")
def tfidf_model() -> TfidfLinear:
    cfg = TfidfFeaturesConfig(word_ngrams=(1, 2), char_ngrams=(2, 3), max_features=300)
    y = np.arange(len(TEXTS)) % 4
    return TfidfLinear(1.0, fit_vectorizers(TEXTS, cfg), seed=0).fit(TEXTS, y)


def test_split_scoring_equals_in_process(tfidf_model: TfidfLinear) -> None:
    texts = TEXTS + ["", "fire", "the the the"]
    whole = tfidf_model.predict_proba(texts)
    split = predict_proba_split(tfidf_model, texts, min_rows=2)  # forks on Linux with 2+ CPUs
    assert split.dtype == whole.dtype and split.shape == whole.shape
    np.testing.assert_array_equal(split, whole)
    np.testing.assert_array_equal(predict_proba_split(tfidf_model, texts[:1], min_rows=2), whole[:1])


def test_contiguous_coefficients_give_the_same_scores(tfidf_model: TfidfLinear) -> None:
    from tweetgeo.models.tfidf import transform

    plain = np.asarray(transform(tfidf_model.vectorizers, TEXTS) @ tfidf_model.coef_.T) + tfidf_model.intercept_
    np.testing.assert_array_equal(tfidf_model.decision_function(TEXTS), plain)
    assert tfidf_model._coef_columns().flags.c_contiguous


def test_checked_run_is_loaded_once(tfidf_model: TfidfLinear, tmp_path: Path) -> None:
    spec = tiny_spec(task="geo", labels="kdtree", features="tfidf", model="tfidf_linear",
                     options={"family": "tfidf", "C": 1.0}, decoding_top_k=3)
    tfidf_model.save(paths.tfidf_model(tmp_path))
    save_card(ModelCard(spec=spec, n_labels=4), tmp_path)
    pd.DataFrame({"label": range(4), "lat": [48.9, 51.5, 40.7, 35.7], "lon": [2.3, -0.1, -74.0, 139.7],
                  "name": ["Paris", "London", "New York", "Tokyo"]}).to_csv(paths.model_label_points(tmp_path),
                                                                          index=False)
    run = check_run(tmp_path)
    predictor = Predictor(run)
    # the check read every file (no scikit-learn); the Predictor built the model from what it read
    assert isinstance(run.model, TfidfFiles) and predictor.points is run.points
    assert predictor.model._coef_columns() is run.model.coef_columns  # mapped once, never copied
    got = predictor.predict(TEXTS[:6])
    want = Predictor(tmp_path).predict(TEXTS[:6])
    pd.testing.assert_frame_equal(got, want)
