"""`tweetgeo predict`'s options for people and pipes: `--input -` / `--output -`,
`--keep-columns`, the `empty_after_cleaning` column, `tweetgeo --version`, and `--help`."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

import tweetgeo
from cli_checks import ROOT, assert_one_error, run_cli, tiny_binary_run
from tweetgeo.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
TEXTS = ["🔥🔥🔥", "http://t.co/abc123", "@someone", "Forest fire, evacuate now!", "", "sunny brunch today"]
EMPTY = [1, 1, 1, 0, 1, 0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return tiny_binary_run(tmp_path_factory.mktemp("run") / "tiny")


@pytest.fixture
def inp(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    pd.DataFrame({"id": [f"t{i}" for i in range(len(TEXTS))], "text": TEXTS,
                  "lang": ["und", "und", "en", "en", "en", "en"], "target": ["1", "0", "0", "1", "0", "0"]}
                 ).to_csv(path, index=False)
    return path


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    declared = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert capsys.readouterr().out == f"tweetgeo {tweetgeo.__version__}\n" == f"tweetgeo {declared}\n"


def test_help_documents_the_options_and_columns(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("--keep-columns", "empty_after_cleaning", "lat_expected", "`-` reads standard input",
                  "`-` writes standard output", "Never the input file"):
        assert words in text, words


def test_empty_after_cleaning_and_kept_columns(run_dir: Path, inp: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.csv"
    code = main(["predict", "--model", str(run_dir), "--input", str(inp), "--output", str(out),
                 "--keep-columns", "text,lang", "--keep-columns", "target", "--keep-columns", "id"])
    assert (code, capsys.readouterr().err) == (0, "")
    result = pd.read_csv(out, keep_default_na=False, dtype=str)
    assert list(result.columns) == ["id", "probability", "target", "empty_after_cleaning", "text", "lang",
                                    "input_target"]
    assert result["text"].tolist() == TEXTS and result["input_target"].tolist() == ["1", "0", "0", "1", "0", "0"]
    assert result["empty_after_cleaning"].astype(int).tolist() == EMPTY


def test_empty_flag_agrees_with_the_predictors_cleaning(run_dir: Path) -> None:
    from tweetgeo.predict import Predictor, predict_frame

    predictor = Predictor(run_dir)
    frame = pd.DataFrame({"id": [str(i) for i in range(len(TEXTS))], "text": TEXTS})
    result = predict_frame(predictor, frame)
    assert result["empty_after_cleaning"].tolist() == [int(t == "") for t in predictor.clean(TEXTS)] == EMPTY
    # the flag changes nothing else: the same predictions as Predictor.predict on the raw texts
    pd.testing.assert_frame_equal(result[["probability", "target"]], predictor.predict(TEXTS))


def test_stdin_to_stdout_in_process(run_dir: Path, inp: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(inp.read_bytes())))
    code = main(["predict", "--model", str(run_dir), "--input", "-", "--output", "-"])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == "wrote 6 predictions to <stdout>\n"
    result = pd.read_csv(io.StringIO(captured.out), keep_default_na=False)
    assert result["id"].tolist() == [f"t{i}" for i in range(6)]
    assert result["empty_after_cleaning"].tolist() == EMPTY


def test_pipe_through_a_real_process(run_dir: Path, inp: Path) -> None:
    proc = run_cli("predict", "--model", run_dir, "--input", "-", "--output", "-", "--keep-columns", "text",
                   stdin=inp.read_bytes())
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr.decode() == "wrote 6 predictions to <stdout>\n"
    result = pd.read_csv(io.BytesIO(proc.stdout), keep_default_na=False)
    assert result["text"].tolist() == TEXTS and len(result) == 6


def test_bad_stdin_is_one_line_naming_stdin(run_dir: Path, tmp_path: Path) -> None:
    proc = run_cli("predict", "--model", run_dir, "--input", "-", "--output", tmp_path / "o.csv",
                   stdin=b"id,tweet\n1,x\n")
    assert_one_error(proc, "<stdin>:1: text: missing column")
    assert proc.tf is False and not (tmp_path / "o.csv").exists()


def test_keep_unknown_column_is_refused_before_predicting(run_dir: Path, inp: Path, tmp_path: Path,
                                                         capsys) -> None:
    code = main(["predict", "--model", str(run_dir), "--input", str(inp), "--output", str(tmp_path / "o.csv"),
                 "--keep-columns", "user"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and err.startswith(f"error: {inp}:1: user: --keep-columns")
    assert "columns found: id, text, lang, target" in err and not (tmp_path / "o.csv").exists()
