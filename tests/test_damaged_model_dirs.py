"""`tweetgeo predict` on damaged model directories: a Keras file with flipped bytes, truncated or
0 bytes, an unknown class in its config or non-finite weights; label points with a missing column,
garbage bytes, bad or out-of-range coordinates, duplicated or missing labels; tampered or 0-byte
TF-IDF files. Each gives exit 1 and one `error: <file>: …` line, no traceback, and writes no
output (an existing one is kept) — never exit 0 with NaN or blank coordinates."""

from __future__ import annotations

import io
import json
import random
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_checks import VOCAB, assert_one_error, assert_one_error_text, rewrite_keras_config, run_cli, tiny_binary_run
from specs import tiny_card
from tweetgeo.cli import main
from tweetgeo.modelcard import save_card

pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")

N_GEO = 3
POINTS = pd.DataFrame({"label": [0, 1, 2], "name": ["Austin", "Boston", "Chicago"],
                       "lat": [30.27, 42.36, 41.88], "lon": [-97.74, -71.06, -87.63], "n_train": [5, 6, 7]})
TEXTS = ["fire flood evacuate", "sunny brunch today", "flood today", "sunny fire"]


# --------------------------------------------------------------------------- tiny runs
@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    """One tiny run directory of each kind: binary GRU, geo GRU (3 labels), binary TF-IDF."""
    root = tmp_path_factory.mktemp("runs")
    return {"binary": tiny_binary_run(root / "binary"), "geo": _geo_run(root / "geo"),
            "tfidf": _tfidf_run(root / "tfidf")}


def _geo_run(folder: Path) -> Path:
    import keras

    from tweetgeo.config import TrainConfig
    from tweetgeo.keras_training import build_model
    from tweetgeo.models.families.rnn import RNNConfig
    from tweetgeo.models.keras_family import Head, TextInputs

    keras.utils.set_random_seed(0)
    folder.mkdir(parents=True)
    matrix = np.random.default_rng(0).normal(size=(len(VOCAB) + 2, 4)).astype("float32")
    model = build_model(RNNConfig(family="rnn", cell="gru", units=2, dense_units=2),
                        TextInputs(VOCAB, 6, matrix), Head("geo", N_GEO), TrainConfig())
    model.save(folder / "model.keras")
    POINTS.to_csv(folder / "label_points.csv", index=False)
    save_card(tiny_card(n_labels=N_GEO, task="geo", labels="kdtree"), folder)
    return folder


def _tfidf_run(folder: Path) -> Path:
    from tweetgeo.config import TfidfFeaturesConfig
    from tweetgeo.models.tfidf import TfidfLinear, fit_vectorizers

    folder.mkdir(parents=True)
    vectorizers = fit_vectorizers(TEXTS, TfidfFeaturesConfig(word_ngrams=(1, 1), char_ngrams=None, max_features=50))
    TfidfLinear(1.0, vectorizers, seed=0).fit(TEXTS, np.array([1, 0, 1, 0])).save(folder / "tfidf")
    save_card(tiny_card(features="tfidf", model="tfidf_linear", options={"family": "tfidf", "C": 1.0}), folder)
    return folder


@pytest.fixture
def inp(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    pd.DataFrame({"id": ["a", "b"], "text": ["Forest fire, evacuate now!", "sunny brunch"]}).to_csv(path, index=False)
    return path


def copy_run(templates: dict[str, Path], kind: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(templates[kind], tmp_path / "models" / kind))


def predict_fails(run: Path, inp: Path, tmp_path: Path, capsys, name: Path, *says: str) -> None:
    """predict exits 1 with one error line naming `name`; an existing output is kept as it was."""
    out = tmp_path / "out.csv"
    out.write_text("previous\n")
    code = main(["predict", "--model", str(run), "--input", str(inp), "--output", str(out)])
    assert_one_error_text(code, capsys.readouterr().err, name, *says)
    assert out.read_text() == "previous\n"


@pytest.mark.parametrize("kind", ["binary", "geo", "tfidf"])
def test_undamaged_runs_predict(templates, kind: str, inp: Path, tmp_path: Path, capsys) -> None:
    """The templates themselves work: every prediction is a finite number."""
    run, out = copy_run(templates, kind, tmp_path), tmp_path / "out.csv"
    assert main(["predict", "--model", str(run), "--input", str(inp), "--output", str(out)]) == 0
    assert capsys.readouterr().err == ""
    result = pd.read_csv(out)
    numbers = result.drop(columns=["id", "name", "top5", "top5_names"], errors="ignore")
    assert len(result) == 2 and np.isfinite(numbers.to_numpy(dtype="float64")).all()


# --------------------------------------------------------------------------- model.keras
def _flip(data: bytes, member: str) -> bytes:
    """Flip bytes inside one member's stored data of a zip archive."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    out, rng = bytearray(data), random.Random(0)
    for i in rng.sample(range(start, start + info.compress_size), 4):
        out[i] ^= 0xFF
    return bytes(out)


KERAS_DAMAGE = {
    "zero-bytes": (lambda data: b"", "empty (0 bytes)"),
    "truncated": (lambda data: data[: len(data) // 2], "not a whole zip archive"),
    "flipped-config": (lambda data: _flip(data, "config.json"), "checksum of config.json"),
    "flipped-weights": (lambda data: _flip(data, "model.weights.h5"), "checksum of model.weights.h5"),
    "unknown-class": (lambda data: rewrite_keras_config(data, lambda c: c.replace(b'"GRU"', b'"NoSuchLayer"')),
                      "NoSuchLayer"),
    "config-not-json": (lambda data: rewrite_keras_config(data, lambda c: c[:-10]), "damaged Keras model"),
}


@pytest.mark.parametrize("damage", KERAS_DAMAGE, ids=list(KERAS_DAMAGE))
def test_damaged_keras_file(templates, damage: str, inp: Path, tmp_path: Path, capsys) -> None:
    run = copy_run(templates, "binary", tmp_path)
    edit, says = KERAS_DAMAGE[damage]
    path = run / "model.keras"
    path.write_bytes(edit(path.read_bytes()))
    predict_fails(run, inp, tmp_path, capsys, path, says)


def test_non_finite_weights(templates, inp: Path, tmp_path: Path, capsys) -> None:
    """A whole archive whose weights are NaN would predict NaN for every row: refused."""
    import keras

    run = copy_run(templates, "binary", tmp_path)
    model = keras.models.load_model(run / "model.keras", compile=False)
    model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])
    model.save(run / "model.keras")
    predict_fails(run, inp, tmp_path, capsys, run / "model.keras", "not finite")


def test_damaged_archive_answered_before_tensorflow(templates, inp: Path, tmp_path: Path) -> None:
    """Subprocess: the one line comes out, no traceback, and TensorFlow was never imported."""
    run = copy_run(templates, "binary", tmp_path)
    (run / "model.keras").write_bytes(b"")
    proc = run_cli("predict", "--model", run, "--input", inp, "--output", tmp_path / "o.csv")
    assert_one_error(proc, run / "model.keras", "empty")
    assert proc.tf is False and not (tmp_path / "o.csv").exists()


# --------------------------------------------------------------------------- label_points.csv
def _points(**columns) -> bytes:
    return POINTS.assign(**columns).to_csv(index=False).encode()


POINT_DAMAGE = {
    "missing-column": (POINTS.drop(columns="lon").to_csv(index=False).encode(), "column lon missing"),
    "garbage-bytes": (bytes(random.Random(1).randrange(256) for _ in range(300)), "label_points.csv"),
    "zero-bytes": (b"", "unreadable label points"),
    "non-numeric-lat": (_points(lat=["north", 42.36, 41.88]), "'north' is not a finite number"),
    "blank-lat": (_points(lat=[30.27, None, 41.88]), "lat"),
    "nan-lon": (_points(lon=[-97.74, -71.06, float("nan")]), "lon"),
    "inf-lat": (_points(lat=[float("inf"), 42.36, 41.88]), "not a finite number"),
    "lat-out-of-range": (_points(lat=[30.27, 123.0, 41.88]), "out of range"),
    "lon-out-of-range": (_points(lon=[-97.74, -71.06, 200.0]), "out of range"),
    "duplicated-label": (_points(label=[0, 0, 2]), "label 0 given twice"),
    "missing-label": (_points(label=[0, 1, 7]), "expected each of 0…2 once"),
    "fractional-label": (_points(label=[0, 1.5, 2]), "label"),
    "too-few-rows": (POINTS.head(2).to_csv(index=False).encode(), "card says 3"),
}


@pytest.mark.parametrize("damage", POINT_DAMAGE, ids=list(POINT_DAMAGE))
def test_damaged_label_points(templates, damage: str, inp: Path, tmp_path: Path, capsys) -> None:
    run = copy_run(templates, "geo", tmp_path)
    data, says = POINT_DAMAGE[damage]
    (run / "label_points.csv").write_bytes(data)
    predict_fails(run, inp, tmp_path, capsys, run / "label_points.csv", says)


def test_label_points_checked_in_the_predictor_too(templates, tmp_path: Path) -> None:
    """evaluate's path (Predictor) refuses them as well, not only the command line."""
    from tweetgeo.modelcard import ModelDirError
    from tweetgeo.predict import Predictor

    run = copy_run(templates, "geo", tmp_path)
    (run / "label_points.csv").write_bytes(_points(lat=[30.27, None, 41.88]))
    with pytest.raises(ModelDirError, match=r"label_points\.csv:3: lat"):
        Predictor(run)


# --------------------------------------------------------------------------- TF-IDF files
def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def _linear(run: Path, **changes) -> bytes:
    with np.load(run / "tfidf/linear.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays.update(changes)
    return _npz(**{k: v for k, v in arrays.items() if v is not None})


TFIDF_DAMAGE: dict[str, tuple[str, Callable[[Path], bytes], str]] = {
    "tfidf.json-zero": ("tfidf.json", lambda run: b"", "unreadable"),
    "tfidf.json-garbage": ("tfidf.json", lambda run: b"\xff\xfe{{", "unreadable"),
    "tfidf.json-bad-C": ("tfidf.json", lambda run: b'{"format": 4, "C": "big", "seed": 0}', "C must be"),
    "tfidf.json-format": ("tfidf.json", lambda run: b'{"format": 1, "C": 1.0, "seed": 0}', "format 1"),
    "linear.npz-zero": ("linear.npz", lambda run: b"", "unreadable"),
    "linear.npz-garbage": ("linear.npz", lambda run: b"PK\x03\x04garbage" * 10, "unreadable"),
    "linear.npz-no-intercept": ("linear.npz", lambda run: _linear(run, intercept=None), "array intercept missing"),
    "coef-zero": ("coef_columns.npy", lambda run: b"", "unreadable"),
    "coef-garbage": ("coef_columns.npy", lambda run: b"\x93NUMPY garbage" * 10, "unreadable"),
    "coef-wrong-width": ("coef_columns.npy", lambda run: _npy(np.zeros((3, 1), "float32")),
                         "does not fit the vocabularies"),
    "coef-wrong-labels": ("coef_columns.npy", lambda run: _npy(np.zeros(
        (np.load(run / "tfidf/coef_columns.npy").shape[0], 7), "float32")), "do not fit together"),
    "coef-not-finite": ("coef_columns.npy", lambda run: _npy(
        np.full_like(np.load(run / "tfidf/coef_columns.npy"), np.nan)), "coef not finite"),
    "intercept-wrong-shape": ("linear.npz", lambda run: _linear(run, intercept=np.zeros(4, "float32")),
                              "do not fit together"),
    "classes-not-labels": ("linear.npz", lambda run: _linear(run, classes=np.array([5, 9])), "classes must be"),
    "vocabulary-zero": ("vocabulary_word.json", lambda run: b"", "unreadable"),
    "vocabulary-garbage": ("vocabulary_word.json", lambda run: b"\x00\x01garbage", "unreadable"),
    "vocabulary-not-a-map": ("vocabulary_word.json", lambda run: b"[1, 2]", "term → column"),
    "vocabulary-duplicate-column": ("vocabulary_word.json", lambda run: json.dumps(
        {t: 0 for t in json.loads((run / "tfidf/vocabulary_word.json").read_text())}).encode(), "each once"),
    "idf-zero": ("idf_word.npy", lambda run: b"", "unreadable"),
    "idf-wrong-length": ("idf_word.npy", lambda run: _npy(np.ones(3)), "finite idf values"),
    "idf-not-finite": ("idf_word.npy", lambda run: _npy(
        np.full_like(np.load(run / "tfidf/idf_word.npy"), np.inf)), "finite idf values"),
    "vectorizers-zero": ("vectorizers.json", lambda run: b"", "unreadable"),
    "vectorizers-tampered": ("vectorizers.json", lambda run: b'{"word": "1-2"}', "min_n, max_n"),
}


@pytest.mark.parametrize("damage", TFIDF_DAMAGE, ids=list(TFIDF_DAMAGE))
def test_damaged_tfidf_files(templates, damage: str, inp: Path, tmp_path: Path, capsys) -> None:
    run = copy_run(templates, "tfidf", tmp_path)
    name, edit, says = TFIDF_DAMAGE[damage]
    data = edit(run)
    (run / "tfidf" / name).write_bytes(data)
    predict_fails(run, inp, tmp_path, capsys, run / "tfidf" / name, says)


def test_missing_tfidf_file(templates, inp: Path, tmp_path: Path, capsys) -> None:
    run = copy_run(templates, "tfidf", tmp_path)
    (run / "tfidf/idf_word.npy").unlink()
    predict_fails(run, inp, tmp_path, capsys, run / "tfidf/idf_word.npy", "missing")


# --------------------------------------------------------------------------- card.json
def test_deeply_nested_card(templates, inp: Path, tmp_path: Path, capsys) -> None:
    run = copy_run(templates, "binary", tmp_path)
    (run / "card.json").write_text("[" * 100_000 + "]" * 100_000)
    predict_fails(run, inp, tmp_path, capsys, run / "card.json", "nested too deeply")


CARD_MISFITS = {
    "features-of-another-family": ({"features": "tfidf"}, None, "takes features"),
    "vector-features-for-a-text-model": ({"features": "encoder"}, None, "takes features"),
    "labels-vs-task": ({"labels": "kdtree"}, None, "spec.labels 'kdtree' with task 'binary'"),
    "binary-with-5-labels": ({}, 5, "n_labels 5 for the binary task"),
    "negative-top-k": ({"decoding_top_k": -3}, None, "decoding_top_k"),
}


@pytest.mark.parametrize("misfit", CARD_MISFITS, ids=list(CARD_MISFITS))
def test_card_that_does_not_fit_its_model(templates, misfit: str, inp: Path, tmp_path: Path, capsys) -> None:
    """A hand-edited card whose fields disagree (once: exit 0 with a wrongly featurised model, or a
    traceback) is one error line."""
    run = copy_run(templates, "binary", tmp_path)
    spec_fields, n_labels, says = CARD_MISFITS[misfit]
    data = json.loads((run / "card.json").read_text())
    data["spec"].update(spec_fields)
    if n_labels is not None:
        data["n_labels"] = n_labels
    (run / "card.json").write_text(json.dumps(data))
    predict_fails(run, inp, tmp_path, capsys, run / "card.json", says)
