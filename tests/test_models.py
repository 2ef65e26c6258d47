"""Model registry: output names/shapes, losses, one training step, frozen embeddings, save/load round-trips."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from tweetgeo import models
from tweetgeo.config import TfidfFeaturesConfig, TrainConfig
from tweetgeo.geo import normalise_coords
from tweetgeo.keras_training import build_model
from tweetgeo.models.families.attention_cnn import AttentionCNNConfig
from tweetgeo.models.families.cnn_bilstm import CNNBiLSTMConfig
from tweetgeo.models.families.encoder_regression import EncoderRegressionConfig
from tweetgeo.models.families.rnn import RNNConfig
from tweetgeo.models.keras_family import Head, TextInputs, VectorInputs
from tweetgeo.models.layers import AdditiveAttentionPooling, MaskedGlobalMaxPooling1D
from tweetgeo.models.losses import euclidean_unit_loss, haversine_loss
from tweetgeo.models.tfidf import TfidfLinear, fit_vectorizers

# A model saved before its first training step has no optimizer slots yet; Keras says so on load.
pytestmark = [pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer"),
              pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]  # tiny data, few epochs

N_LABELS, SEQ_LEN, DIM, INPUT_DIM, N_ROWS = 5, 12, 8, 16, 16
VOCAB = [f"w{i}" for i in range(50)]
TRAIN = TrainConfig(learning_rate=1e-3)

TINY = {  # the smallest version of every family
    "rnn": RNNConfig(family="rnn", cell="gru", units=4, dense_units=4),
    "rnn_lstm": RNNConfig(family="rnn", cell="lstm", units=4, dense_units=4, recurrent_dropout=0.1),
    "cnn_bilstm": CNNBiLSTMConfig(family="cnn_bilstm", filters=4, kernel_sizes=[2, 3], lstm_units=4),
    "attention_mtl": AttentionCNNConfig(family="attention_cnn", windows=[2, 4], filters=[4, 6], multitask=True),
    "attention_stl": AttentionCNNConfig(family="attention_cnn", windows=[2, 4], filters=[4, 6], multitask=False),
    "encoder_regression": EncoderRegressionConfig(family="encoder_regression", hidden=[8, 4]),
}
TEXT_MODELS = ["rnn", "rnn_lstm", "cnn_bilstm", "attention_mtl", "attention_stl"]
EXPECTED = {  # (model, task) → output name → shape per row
    **{(m, "binary"): {"target": (1,)} for m in ("rnn", "cnn_bilstm", "attention_mtl")},
    **{(m, "geo"): {"label": (N_LABELS,)} for m in TEXT_MODELS},
    ("attention_mtl", "geo"): {"label": (N_LABELS,), "coords": (2,)},
    ("encoder_regression", "geo"): {"coords_deg": (2,)},
}


@pytest.fixture(scope="module")
def data() -> dict:
    """Tiny random texts (with unknown words and an empty row), targets and encoder features."""
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(VOCAB + ["oov"], size=rng.integers(1, 16))) for _ in range(N_ROWS - 1)] + [""]
    lat, lon = rng.uniform(-60, 70, N_ROWS), rng.uniform(-170, 170, N_ROWS)
    return {
        "texts": np.array(texts, dtype=object),
        "features": rng.normal(size=(N_ROWS, INPUT_DIM)).astype("float32"),
        "target": rng.integers(0, 2, (N_ROWS, 1)).astype("float32"),
        "label": rng.integers(0, N_LABELS, N_ROWS),
        "coords": normalise_coords(np.stack([lat, lon], axis=1)).astype("float32"),
        "coords_deg": np.stack([lat, lon], axis=1).astype("float32"),
        "matrix": rng.normal(size=(len(VOCAB) + 2, DIM)).astype("float32"),
    }


def _build(name: str, task: str, data: dict, **overrides) -> keras.Model:
    cfg = TINY[name].model_copy(update=overrides)
    inputs = (VectorInputs(INPUT_DIM) if cfg.family == "encoder_regression"
              else TextInputs(VOCAB, SEQ_LEN, data["matrix"]))
    return build_model(cfg, inputs, Head(task, N_LABELS if task == "geo" else 2), TRAIN)


def _xy(model: keras.Model, data: dict) -> tuple[np.ndarray, dict]:
    x = data["features"] if model.inputs[0].name == "features" else data["texts"]
    return x, {name: data[name] for name in model.output_names}


@pytest.mark.parametrize("name, task", sorted(EXPECTED))
def test_outputs_and_save_load_round_trip(name: str, task: str, data: dict, tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    model = _build(name, task, data)
    x, _ = _xy(model, data)
    pred = model.predict(x, verbose=0)
    assert {k: v.shape[1:] for k, v in pred.items()} == EXPECTED[(name, task)]
    assert all(v.shape[0] == N_ROWS and np.isfinite(v).all() for v in pred.values())
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    again = loaded.predict(x, verbose=0)
    assert set(again) == set(pred)
    for key in pred:
        np.testing.assert_array_equal(again[key], pred[key])


def test_registry_knows_every_family() -> None:
    assert set(models.names()) >= {"rnn", "cnn_bilstm", "attention_cnn", "encoder_regression", "tfidf"}
    with pytest.raises(ValueError, match="task"):
        build_model(TINY["encoder_regression"], VectorInputs(INPUT_DIM), Head("binary", 2), TRAIN)
    with pytest.raises(ValueError, match="takes features"):
        models.get("encoder_regression").check(TINY["encoder_regression"], "geo", "word2vec")
    with pytest.raises(ValueError, match="unknown model family"):
        models.get("nope")


def test_geo_metrics_include_top5(data: dict) -> None:
    model = _build("attention_mtl", "geo", data)
    x, y = _xy(model, data)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert {"label_accuracy", "label_top5", "coords_loss"} <= set(logs)


@pytest.mark.parametrize("name, task", [("rnn", "binary"), ("cnn_bilstm", "geo"), ("attention_mtl", "geo"),
                                        ("encoder_regression", "geo")])
def test_one_training_step_reduces_the_loss(name: str, task: str, data: dict) -> None:
    keras.utils.set_random_seed(0)
    model = _build(name, task, data, dropout=0.0) if name != "encoder_regression" else _build(name, task, data)
    x, y = _xy(model, data)
    before = model.test_on_batch(x, y, return_dict=True)["loss"]
    model.train_on_batch(x, y)
    after = model.test_on_batch(x, y, return_dict=True)["loss"]
    assert after < before


@pytest.mark.parametrize("trainable", [False, True])
def test_embedding_starts_from_the_matrix_and_is_frozen_unless_asked(trainable: bool, data: dict) -> None:
    keras.utils.set_random_seed(0)
    model = _build("rnn", "binary", data, trainable_embedding=trainable)
    embedding = model.get_layer("embedding")
    np.testing.assert_array_equal(embedding.get_weights()[0], data["matrix"])
    x, y = _xy(model, data)
    model.train_on_batch(x, y)
    unchanged = np.array_equal(embedding.get_weights()[0], data["matrix"])
    assert unchanged is not trainable


def test_random_embedding_when_no_matrix(data: dict) -> None:
    model = build_model(TINY["rnn"], TextInputs(VOCAB, SEQ_LEN, None), Head("binary", 2), TRAIN)
    embedding = model.get_layer("embedding")
    assert embedding.trainable and embedding.get_weights()[0].shape == (len(VOCAB) + 2, 100)


def test_vectorizer_reserves_pad_and_unknown() -> None:
    model = build_model(TINY["rnn"], TextInputs(VOCAB, SEQ_LEN, None), Head("binary", 2), TRAIN)
    ids = model.get_layer("vectorize")(tf.constant(["w0 nope w49"])).numpy()[0]
    assert ids.tolist() == [2, 1, 51] + [0] * (SEQ_LEN - 3)


def test_pooling_layers() -> None:
    x = tf.constant([[[1.0], [-2.0], [5.0]], [[-1.0], [-2.0], [-3.0]]])
    mask = tf.constant([[True, True, False], [False, False, False]])
    np.testing.assert_array_equal(MaskedGlobalMaxPooling1D()(x, mask=mask).numpy().ravel(), [1.0, 0.0])
    np.testing.assert_array_equal(MaskedGlobalMaxPooling1D()(x).numpy().ravel(), [5.0, -1.0])
    same = tf.tile(tf.constant([[[0.5, -1.0]]]), [2, 7, 1])  # one vector repeated: pooling returns it
    np.testing.assert_allclose(AdditiveAttentionPooling(3)(same).numpy(), [[0.5, -1.0]] * 2, rtol=1e-6)


# ----------------------------------------------------------------------------- losses
def test_haversine_known_distances() -> None:
    true = np.array([[51.5074, -0.1278], [10.0, 20.0], [0.0, 179.5]], dtype="float32")
    pred = np.array([[48.8566, 2.3522], [10.0, 20.0], [0.0, -179.5]], dtype="float32")
    km = np.asarray(haversine_loss(true, pred))
    assert km[0] == pytest.approx(343.6, abs=1.0)  # London–Paris
    assert km[1] == 0.0
    assert km[2] == pytest.approx(2 * math.pi * 6371.0088 / 360, rel=1e-3)  # one degree across the antimeridian


def test_haversine_gradient_is_finite_at_identical_points() -> None:
    true = tf.constant([[40.0, -74.0], [51.5, -0.1]])
    pred = tf.Variable([[40.0, -74.0], [48.9, 2.35]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(haversine_loss(true, pred))
    grad = tape.gradient(loss, pred).numpy()
    assert np.isfinite(grad).all() and np.all(grad[0] == 0) and np.any(grad[1] != 0)


def test_euclidean_unit_loss_known_pairs() -> None:
    true = np.array([[0.0, 0.0], [0.5, 0.5], [0.2, 0.3]], dtype="float32")
    pred = np.array([[1.0, 1.0], [0.5, 0.8], [0.2, 0.3]], dtype="float32")
    np.testing.assert_allclose(np.asarray(euclidean_unit_loss(true, pred)), [1.0, 0.3 / math.sqrt(2), 0.0], atol=1e-6)
    np.testing.assert_allclose(normalise_coords(np.array([[-90.0, -180.0], [90.0, 180.0]])), [[0, 0], [1, 1]])


# ----------------------------------------------------------------------------- tf-idf
@pytest.mark.parametrize("char_ngrams, n_classes", [((2, 3), 5), (None, 2)])
def test_tfidf_save_load_identical_without_pickle(char_ngrams, n_classes: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, n_classes, 200)
    texts = [" ".join([f"c{c}x", *rng.choice(VOCAB, 5)]) for c in y]
    vectorizers = fit_vectorizers(texts, TfidfFeaturesConfig(word_ngrams=(1, 2), char_ngrams=char_ngrams,
                                                             max_features=500))
    model = TfidfLinear(1.0, vectorizers, seed=1).fit(texts, y)
    proba = model.predict_proba(texts)
    assert proba.shape == (200, n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(texts) == y).mean() > 0.9
    model.save(tmp_path)
    assert not list(tmp_path.glob("*.pkl")) and not list(tmp_path.glob("*.pickle"))
    loaded = TfidfLinear.load(tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(texts), proba)
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    again = TfidfLinear(1.0, vectorizers, seed=1).fit(texts, y)  # same seed → same model
    np.testing.assert_array_equal(again.predict_proba(texts), proba)
