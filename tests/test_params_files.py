"""Params files that used to slip through: YAML syntax errors, non-UTF-8 bytes, `!!python`
tags, duplicate keys, split shares that leave no training rows, a malformed vectors file.
Each is one line `error: <file>:<line>: …` (exit 1, no traceback), from `tweetgeo
check-params` and from a stage script, and no file is changed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cli_checks import ROOT, assert_one_error_text, cli_env, snapshot
from fixture_project import PARAMS
from tweetgeo.cli import main
from tweetgeo.config import ConfigError, load_params

VALID = yaml.safe_dump(PARAMS, sort_keys=False)
SHARES = yaml.safe_load(VALID)
SHARES["datasets"]["disaster"]["split"].update(validation=0.6, test=0.6)
SHARES["datasets"]["disaster"]["files"].pop("test")


def check(path: Path, capsys) -> tuple[int, str, str]:
    code = main(["check-params", "--params", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def params_file(tmp_path: Path, data: str | bytes) -> Path:
    path = tmp_path / "params.yaml"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


CASES = {
    "syntax": ("seed: 7\ndatasets: {a: [1, 2\nmodels: {}\n", ":3: YAML: ", "expected ',' or ']'"),
    "tab-indent": ("seed: 7\ndatasets:\n\t  x: 1\n", ":3: YAML: ", "found character '\\t'"),
    "not-utf8": (b"seed: 7\n# caf\xe9\n" + VALID.encode(), ":2: not valid UTF-8", "byte 0xe9"),
    "python-apply": (VALID.replace("seed: 7", 'seed: !!python/object/apply:os.system ["touch PWNED"]'),
                     ":1: YAML: ", "could not determine a constructor"),
    "python-name": ("seed: !!python/name:os.system\n", ":1: YAML: ", "python/name:os.system"),
    "duplicate-top": (VALID + "seed: 8\n", f":{VALID.count(chr(10)) + 1}: seed: duplicate key",
                      "(first on line 1)"),
    "duplicate-nested": (VALID.replace("epochs: 2\n", "epochs: 2\n  epochs: 5\n"),
                         ": train.epochs: duplicate key", "first on line"),
    "duplicate-flow": (VALID + "runs2: {a: 1, a: 2}\n", ": runs2.a: duplicate key", ""),
    "shares": (yaml.safe_dump(SHARES, sort_keys=False),
               ": datasets.disaster.split: validation 0.6 + test 0.6 = 1.2 leaves no rows",
               "less than 1"),
    "top-level-list": ("- 1\n- 2\n", ": expected a mapping at the top level", "list"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_params_file_is_one_line(tmp_path: Path, capsys, case: str, monkeypatch) -> None:
    data, where, says = CASES[case]
    monkeypatch.chdir(tmp_path)
    path = params_file(tmp_path, data)
    before = snapshot(path)
    code, out, err = check(path, capsys)
    assert_one_error_text(code, err, path, where, says)
    assert out == "" and snapshot(path) == before
    assert not (tmp_path / "PWNED").exists()  # a !!python tag is never run


def test_valid_file_with_anchors_and_merge_keys_passes(tmp_path: Path, capsys) -> None:
    """`<<: *anchor` then a key of its own is an override, not a duplicate."""
    data = VALID.replace("train:\n  epochs: 2", "train: &base\n  epochs: 2", 1)
    data = data.replace("features: word2vec\n", "features: word2vec\n    train:\n      <<: *base\n"
                        "      epochs: 1\n", 1)
    path = params_file(tmp_path, data)
    code, out, err = check(path, capsys)
    assert (code, err) == (0, "") and "valid" in out
    assert load_params(path).train_for("tiny-gru").epochs == 1


def test_shares_with_their_own_test_file_only_count_validation(tmp_path: Path) -> None:
    data = yaml.safe_load(VALID)
    data["datasets"]["disaster"]["split"].update(validation=0.6, test=0.6)  # test: has a file
    path = params_file(tmp_path, yaml.safe_dump(data))
    assert load_params(path).datasets["disaster"].split.test == 0.6
    data["datasets"]["disaster"]["files"].pop("test")
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="datasets.disaster.split"):
        load_params(path)


def test_several_validation_errors_still_one_line(tmp_path: Path, capsys) -> None:
    data = yaml.safe_load(VALID)
    data["train"].update(epochz=1, batch_size=-1)
    path = params_file(tmp_path, yaml.safe_dump(data))
    code, _, err = check(path, capsys)
    assert_one_error_text(code, err, path, "train.epochz: unknown key", "train.batch_size")


def test_params_path_is_a_directory(tmp_path: Path, capsys) -> None:
    code, _, err = check(tmp_path, capsys)
    assert_one_error_text(code, err, tmp_path, "is a directory")


def _project(tmp_path: Path, params: str) -> Path:
    shutil.copytree(ROOT / "stages", tmp_path / "stages", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "params.yaml").write_text(params)
    return tmp_path


def _stage(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=project, env=cli_env(), capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize("case", ["syntax", "duplicate-nested", "shares"])
def test_stage_reports_bad_params_before_reading_data(tmp_path: Path, case: str) -> None:
    """prepare names the params key or line, never the raw file."""
    data, where, says = CASES[case]
    project = _project(tmp_path, data)
    proc = _stage(project, "stages/prepare.py", "disaster")
    assert proc.returncode == 1 and proc.stdout == "", proc
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: params.yaml"), proc.stderr
    assert where in proc.stderr and says in proc.stderr and "Traceback" not in proc.stderr
    assert "data/raw" not in proc.stderr


@pytest.mark.parametrize("content, line, says", [
    ("rain 1 2 3\nfire 4 5\nsun 1 2 3\n", 2, "2 numbers, expected 3"),
    ("rain 1 2 3\nfire 4 x 5\n", 2, "a value that is not a number"),
    ("2 3\nrain 1 2 3\nfire 4 5 6 7\n", 3, "4 numbers, expected 3"),
    (b"rain 1 2 3\nsun 1 2 3\nf\xffire 4 5 6\n", 3, "not valid UTF-8"),
], ids=["short-row", "not-a-number", "header-dim", "not-utf8"])
def test_malformed_vectors_file_stops_embed_with_one_line(tmp_path: Path, content, line: int,
                                                          says: str) -> None:
    params = yaml.safe_load(VALID)
    params["embeddings"]["glove"]["path"] = "vectors.txt"
    project = _project(tmp_path, yaml.safe_dump(params))
    vectors = project / "vectors.txt"
    vectors.write_bytes(content.encode() if isinstance(content, str) else content)
    (project / "data/clean").mkdir(parents=True)
    pd.DataFrame({"id": ["1", "2", "3"], "text": ["fire rain", "sun fire", "rain sun"],
                  "split": ["train"] * 3}).to_parquet(project / "data/clean/disaster.parquet")
    before = snapshot(vectors)
    proc = _stage(project, "stages/embed.py", "disaster")
    assert proc.returncode == 1, proc
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"error: vectors.txt:{line}: vectors: {says}"), proc.stderr
    assert snapshot(vectors) == before and not (project / "data/features/disaster/glove").exists()
