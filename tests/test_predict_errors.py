"""`tweetgeo predict` on bad model directories and bad inputs: one line `error: <file>: …`,
exit code 1, no traceback; empty inputs give an empty CSV with its header."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from specs import tiny_card
from tweetgeo.cli import main
from tweetgeo.config import TrainConfig
from tweetgeo.keras_training import build_model
from tweetgeo.modelcard import save_card
from tweetgeo.models.families.rnn import RNNConfig
from tweetgeo.models.keras_family import Head, TextInputs

pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")

VOCAB = ["fire", "flood", "evacuate", "sunny", "brunch", "today"]
CARD = tiny_card()
BINARY_COLUMNS = ["id", "probability", "target", "empty_after_cleaning"]


@pytest.fixture(scope="module")
def model_template(tmp_path_factory) -> Path:
    """A real (untrained) run directory: a tiny binary GRU, model.keras + card.json."""
    import keras

    keras.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("run") / "tiny"
    folder.mkdir()
    matrix = np.random.default_rng(0).normal(size=(len(VOCAB) + 2, 4)).astype("float32")
    model = build_model(RNNConfig(family="rnn", cell="gru", units=2, dense_units=2),
                        TextInputs(VOCAB, 6, matrix), Head("binary", 2), TrainConfig())
    model.save(folder / "model.keras")
    save_card(CARD, folder)
    return folder


@pytest.fixture
def run_dir(model_template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(model_template, tmp_path / "models" / "tiny"))


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    pd.DataFrame({"id": ["a", "b", "c"],
                  "text": ["Forest fire, evacuate now!", "", "sunny brunch today 🥞"]}
                 ).to_csv(path, index=False)
    return path


def predict(model: Path, inp: Path, out: Path, capsys) -> tuple[int, str, str]:
    code = main(["predict", "--model", str(model), "--input", str(inp), "--output", str(out)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *names: str) -> None:
    assert code == 1
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for name in names:
        assert name in err, err


CARD_JSON = CARD.model_dump(mode="json")


def card_json(n_labels: int | None = None, **spec_fields) -> dict:
    """card.json's content with some run-spec fields (and n_labels) replaced."""
    data = copy.deepcopy(CARD_JSON)
    data["spec"].update(spec_fields)
    if n_labels is not None:
        data["n_labels"] = n_labels
    return data


def write_card(run_dir: Path, **fields) -> None:
    (run_dir / "card.json").write_text(json.dumps(card_json(**fields)))


# --------------------------------------------------------------------------- a working run
def test_valid_run_predicts_any_text(run_dir: Path, texts: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out" / "pred.csv"
    code, stdout, err = predict(run_dir, texts, out, capsys)
    assert (code, err) == (0, "") and "wrote 3 predictions" in stdout
    result = pd.read_csv(out, keep_default_na=False)
    assert list(result.columns) == BINARY_COLUMNS and result["id"].tolist() == ["a", "b", "c"]
    assert result["probability"].between(0, 1).all() and set(result["target"]) <= {0, 1}


@pytest.mark.parametrize("data", ["text\n", "id,text\n", ""], ids=["header", "id-header", "0-byte"])
def test_empty_input_writes_header_only_csv(run_dir: Path, tmp_path: Path, capsys, data) -> None:
    inp, out = tmp_path / "in.csv", tmp_path / "out.csv"
    inp.write_text(data)
    code, stdout, err = predict(run_dir, inp, out, capsys)
    assert (code, err) == (0, "") and "wrote 0 predictions" in stdout
    assert out.read_text().splitlines() == [",".join(BINARY_COLUMNS)]


# --------------------------------------------------------------------------- bad model dirs
def test_model_dir_does_not_exist(texts: Path, tmp_path: Path, capsys) -> None:
    code, _, err = predict(tmp_path / "models/nope", texts, tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, "models/nope", "not a directory")
    assert not (tmp_path / "o.csv").exists()


def test_model_path_is_a_file(texts: Path, tmp_path: Path, capsys) -> None:
    code, _, err = predict(texts, texts, tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, str(texts), "not a directory")


def test_missing_card(run_dir: Path, texts: Path, tmp_path: Path, capsys) -> None:
    (run_dir / "card.json").unlink()
    code, _, err = predict(run_dir, texts, tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, str(run_dir / "card.json"), "missing")


def test_missing_model_file(run_dir: Path, texts: Path, tmp_path: Path, capsys) -> None:
    (run_dir / "model.keras").unlink()
    code, _, err = predict(run_dir, texts, tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, str(run_dir / "model.keras"), "missing")


@pytest.mark.parametrize("card, says", [
    ("{not json", "unreadable model card"),
    ("", "unreadable model card"),
    (b"\xff\xfe\x00garbage", "unreadable model card"),
    ("[1, 2, 3]", "unreadable model card"),
    ("null", "unreadable model card"),
    (json.dumps({**CARD_JSON, "colour": "red"}), "colour: unknown field"),
    (json.dumps({**CARD_JSON, "spec": {k: v for k, v in CARD_JSON["spec"].items() if k != "task"}}),
     "spec.task: Field required"),
    (json.dumps({**CARD_JSON, "format_version": 99}), "format_version 99"),
    (json.dumps({**CARD_JSON, "format_version": 1}), "older tweetgeo: retrain"),
    (json.dumps(card_json(task="weather")), "spec.task"),
    (json.dumps(card_json(clean={"lowercase": "maybe"})), "lowercase"),
    (json.dumps(card_json(n_labels="three")), "n_labels"),
    (json.dumps(card_json(options={"family": "transformer9000"})), "unknown model family 'transformer9000'"),
    (json.dumps(card_json(options={"family": "rnn", "cell": "qrnn"})), "cell"),
], ids=["garbage", "empty", "binary", "list", "null", "unknown-field", "missing-field",
        "format-version", "old-format", "unknown-task", "bad-clean", "bad-type", "unknown-family",
        "bad-option"])
def test_bad_card(run_dir: Path, texts: Path, tmp_path: Path, capsys, card, says) -> None:
    path = run_dir / "card.json"
    path.write_bytes(card if isinstance(card, bytes) else card.encode())
    code, _, err = predict(run_dir, texts, tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, str(path), *([says] if says else []))


def test_garbage_model_file(run_dir: Path, texts: Path, tmp_path: Path, capsys) -> None:
    (run_dir / "model.keras").write_bytes(b"PK\x03\x04 truncated")
    code, _, err = predict(run_dir, texts, tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, str(run_dir / "model.keras"), "damaged Keras model")


def test_geo_card_without_label_points(run_dir: Path, texts: Path, tmp_path: Path, capsys) -> None:
    write_card(run_dir, task="geo", labels="kdtree", n_labels=3)
    code, _, err = predict(run_dir, texts, tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, str(run_dir / "label_points.csv"), "missing")


def test_geo_card_on_a_binary_model(run_dir: Path, texts: Path, tmp_path: Path, capsys) -> None:
    """card.json of a geo run beside a binary model.keras: the outputs do not fit the card."""
    write_card(run_dir, task="geo", labels="kdtree", n_labels=3)
    pd.DataFrame({"label": [0, 1, 2], "name": ["a", "b", "c"], "lat": [1.0, 2.0, 3.0],
                  "lon": [4.0, 5.0, 6.0]}).to_csv(run_dir / "label_points.csv", index=False)
    code, _, err = predict(run_dir, texts, tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, str(run_dir / "model.keras"), "do not fit card.json", "'label'")


def test_label_points_disagree_with_card(run_dir: Path, texts: Path, tmp_path: Path, capsys) -> None:
    write_card(run_dir, task="geo", labels="kdtree", n_labels=3)
    pd.DataFrame({"label": [0], "name": ["a"], "lat": [1.0], "lon": [4.0]}).to_csv(
        run_dir / "label_points.csv", index=False)
    code, _, err = predict(run_dir, texts, tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, str(run_dir / "label_points.csv"), "card says 3")


# --------------------------------------------------------------------------- bad inputs
def test_input_without_text_column(run_dir: Path, tmp_path: Path, capsys) -> None:
    inp = tmp_path / "in.csv"
    inp.write_text("id,tweet\n1,hello\n")
    code, _, err = predict(run_dir, inp, tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, str(inp), "text")
    assert not (tmp_path / "o.csv").exists()


def test_input_file_missing(run_dir: Path, tmp_path: Path, capsys) -> None:
    code, _, err = predict(run_dir, tmp_path / "none.csv", tmp_path / "o.csv", capsys)
    assert_one_line_error(code, err, "none.csv")


def test_failed_predict_keeps_previous_output(run_dir: Path, tmp_path: Path, capsys) -> None:
    inp, out = tmp_path / "in.csv", tmp_path / "o.csv"
    inp.write_text("id,text\n1,a\n1,b\n")  # duplicate id
    out.write_text("previous\n")
    code, _, err = predict(run_dir, inp, out, capsys)
    assert_one_line_error(code, err, str(inp), "duplicate id")
    assert out.read_text() == "previous\n"


def test_console_script_error_is_one_line(tmp_path: Path) -> None:
    """The installed `tweetgeo` entry point: exit status 1, one stderr line, no traceback."""
    exe = Path(sys.executable).parent / "tweetgeo"
    proc = subprocess.run([str(exe), "predict", "--model", str(tmp_path / "nope"), "--input",
                           "x.csv", "--output", "y.csv"], capture_output=True, text=True,
                          env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": str(exe.parent)})
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and str(tmp_path / "nope") in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
