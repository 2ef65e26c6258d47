"""Loading a run directory never executes code from it: Keras safe_mode, no pickle anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from specs import tiny_card
from tweetgeo.cli import main
from tweetgeo.modelcard import ModelDirError, save_card
from tweetgeo.predict import Predictor

SRC = Path(__file__).resolve().parents[1] / "src"
MARKER = "tweetgeo-lambda-ran"


@pytest.fixture
def lambda_run(tmp_path: Path) -> Path:
    """A run directory whose model.keras holds a Python lambda that would write a file."""
    import keras

    flag = str(tmp_path / MARKER)
    inp = keras.Input((3,), name="features")
    x = keras.layers.Lambda(lambda t: (open(flag, "w").close(), t)[1], name="evil")(inp)
    out = keras.layers.Dense(1, activation="sigmoid", name="target")(x)
    run = tmp_path / "models" / "evil"
    run.mkdir(parents=True)
    keras.Model(inp, {"target": out}).save(run / "model.keras")
    Path(flag).unlink(missing_ok=True)  # building the graph ran the lambda once
    save_card(tiny_card(name="evil"), run)
    return run


def test_predictor_refuses_a_lambda_layer(lambda_run: Path) -> None:
    with pytest.raises(ModelDirError, match=r"model\.keras: refused .*untrusted"):
        Predictor(lambda_run)
    assert not (lambda_run.parents[1] / MARKER).exists()


def test_cli_refuses_with_one_line(lambda_run: Path, tmp_path: Path, capsys) -> None:
    inp = tmp_path / "in.csv"
    pd.DataFrame({"text": ["hello"]}).to_csv(inp, index=False)
    code = main(["predict", "--model", str(lambda_run), "--input", str(inp),
                 "--output", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: ")
    assert str(lambda_run / "model.keras") in err and "untrusted" in err
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / MARKER).exists()


UNSAFE = {
    "pickle.load(s)": re.compile(r"\b(c?pickle|dill|cloudpickle)\.loads?\s*\("),
    "joblib.load": re.compile(r"\bjoblib\.load\s*\("),
    "allow_pickle=True": re.compile(r"allow_pickle\s*=\s*True"),
    "safe_mode=False": re.compile(r"safe_mode\s*=\s*False"),
    "enable_unsafe_deserialization": re.compile(r"enable_unsafe_deserialization"),
    "pd.read_pickle": re.compile(r"read_pickle\s*\("),
    "torch.load": re.compile(r"\btorch\.load\s*\("),
    "yaml.load / unsafe_load": re.compile(r"\byaml\.(unsafe_)?load\s*\("),
    "eval/exec": re.compile(r"(?<![\w.])(eval|exec)\s*\("),
}


def test_no_unsafe_deserialisation_in_sources() -> None:
    sources = sorted(SRC.rglob("*.py")) + sorted((SRC.parent / "stages").glob("*.py"))
    assert len(sources) > 20
    found = [f"{path.relative_to(SRC.parent)}:{n}: {what}"
             for path in sources
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for what, pattern in UNSAFE.items() if pattern.search(line.split("#")[0])]
    assert not found, found


def test_every_keras_load_uses_safe_mode() -> None:
    calls = [(path, line) for path in SRC.rglob("*.py")
             for line in path.read_text(encoding="utf-8").splitlines()
             if re.search(r"\bload_model\(", line)]
    assert calls and all("safe_mode=True" in line for _, line in calls), calls
