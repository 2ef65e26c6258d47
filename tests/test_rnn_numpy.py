"""The rnn family answers with NumPy (models/rnn_numpy.py) what Keras answers for the same
model.keras: GRU and LSTM, binary and geo heads, on texts that are empty, longer than the
sequence, out of vocabulary or spaced oddly; graphs it does not compute go to Keras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tweetgeo.errors import ModelDirError
from tweetgeo.models.rnn_numpy import NumpyRNN, read_numpy_rnn

VOCAB = ["fire", "flood", "sunny", "today", "evacuate", "brunch", "the", "smoke", "été", "東京"]
LENGTH = 6
TEXTS = [
    "", "fire", "fire flood evacuate", "sunny brunch today", "unknownword fire",
    "fire flood smoke the today sunny brunch evacuate fire",  # longer than the sequence: cut
    "  fire   flood  ", "fire\tflood\nsmoke", "fire\u00a0flood", "été 東京 fire", "zzz yyy",
]


def _model(tmp_path: Path, cell: str, task: str, n_labels: int, seed: int):
    import keras

    from tweetgeo.config import TrainConfig
    from tweetgeo.keras_training import build_model
    from tweetgeo.models.families.rnn import RNNConfig
    from tweetgeo.models.keras_family import Head, TextInputs

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(len(VOCAB) + 2, 5)).astype("float32")
    model = build_model(RNNConfig(family="rnn", cell=cell, units=3, dense_units=4),
                        TextInputs(VOCAB, LENGTH, matrix), Head(task, n_labels), TrainConfig())
    # every weight random, biases too: a bias applied in the wrong place shows
    model.set_weights([rng.normal(scale=0.7, size=w.shape).astype("float32") for w in model.get_weights()])
    path = tmp_path / f"{cell}-{task}.keras"
    model.save(path)
    return model, path


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("task,n_labels", [("binary", 2), ("geo", 4)])
def test_numpy_answers_as_keras(cell: str, task: str, n_labels: int, tmp_path: Path) -> None:
    model, path = _model(tmp_path, cell, task, n_labels, seed=3)
    numpy_model = read_numpy_rnn(path, task, n_labels)
    assert isinstance(numpy_model, NumpyRNN)
    texts = np.array(TEXTS * 3, dtype=object)
    want = model.predict(texts, verbose=0)
    want = want if isinstance(want, dict) else {model.output_names[0]: want}
    got = numpy_model.predict(texts)
    assert set(got) == set(want)
    for name in want:
        assert got[name].shape == want[name].shape
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=2e-6)
        if name == "label":
            assert (got[name].argmax(axis=1) == want[name].argmax(axis=1)).all()


def test_token_ids_are_text_vectorization_s(tmp_path: Path) -> None:
    model, path = _model(tmp_path, "gru", "binary", 2, seed=1)
    numpy_model = read_numpy_rnn(path, "binary", 2)
    ids, lengths = numpy_model.token_ids(TEXTS)
    want = np.asarray(model.get_layer("vectorize")(np.array(TEXTS, dtype=object)))
    np.testing.assert_array_equal(ids, want)
    np.testing.assert_array_equal(lengths, (want != 0).sum(axis=1))


def test_chunks_and_order_do_not_change_answers(tmp_path: Path, monkeypatch) -> None:
    from tweetgeo.models import rnn_numpy

    _, path = _model(tmp_path, "lstm", "geo", 3, seed=2)
    numpy_model = read_numpy_rnn(path, "geo", 3)
    texts = TEXTS * 5
    whole = numpy_model.predict(texts)["label"]
    monkeypatch.setattr(rnn_numpy, "CHUNK_ROWS", 4)
    np.testing.assert_allclose(numpy_model.predict(texts)["label"], whole, rtol=1e-6, atol=1e-7)
    one_by_one = np.concatenate([numpy_model.predict([t])["label"] for t in texts])
    np.testing.assert_allclose(one_by_one, whole, rtol=1e-6, atol=1e-7)


def test_card_mismatch_and_bad_weights_are_left_to_keras_which_refuses_them(tmp_path: Path) -> None:
    import keras

    from tweetgeo.models.families.rnn import FAMILY

    model, path = _model(tmp_path, "gru", "geo", 4, seed=4)
    run = tmp_path / "run"
    run.mkdir()
    for task, n_labels, message in (("geo", 5, "4 label outputs, card.json says 5"),
                                    ("binary", 2, "do not fit card.json")):
        assert read_numpy_rnn(path, task, n_labels) is None
        (run / "model.keras").write_bytes(path.read_bytes())
        with pytest.raises(ModelDirError, match=message):
            FAMILY.load(run, task, n_labels)
    weights = model.get_weights()
    weights[-1][0] = np.nan
    model.set_weights(weights)
    model.save(run / "model.keras")
    keras.backend.clear_session()
    assert read_numpy_rnn(run / "model.keras", "geo", 4) is None
    with pytest.raises(ModelDirError, match="not finite"):
        FAMILY.load(run, "geo", 4)
    (run / "model.keras").write_bytes(path.read_bytes())  # the sound archive again: NumPy answers it
    assert isinstance(FAMILY.load(run, "geo", 4), NumpyRNN)


def test_other_graphs_are_left_to_keras(tmp_path: Path) -> None:
    """A model the module does not compute (here: recurrent dropout is fine, but an attention CNN
    is not an rnn graph) reads as None, and the family then loads it with Keras."""
    import keras

    from tweetgeo.config import TrainConfig
    from tweetgeo.keras_training import build_model
    from tweetgeo.models.families.cnn_bilstm import CNNBiLSTMConfig
    from tweetgeo.models.keras_family import Head, TextInputs

    keras.utils.set_random_seed(0)
    model = build_model(CNNBiLSTMConfig(family="cnn_bilstm"), TextInputs(VOCAB, LENGTH, None),
                        Head("binary", 2), TrainConfig())
    model.save(tmp_path / "cnn.keras")
    assert read_numpy_rnn(tmp_path / "cnn.keras", "binary", 2) is None
