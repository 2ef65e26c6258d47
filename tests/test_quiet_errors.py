"""The error is never alone: a failing `tweetgeo predict` prints exactly one `error:` line
and nothing before it (no TensorFlow/absl start-up lines). Failures that need no TensorFlow
are answered before it is imported; a bad model path is rejected in well under a second."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from cli_checks import assert_one_error, rewrite_keras_config, run_cli, tiny_binary_run

pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return tiny_binary_run(tmp_path_factory.mktemp("run") / "tiny")


@pytest.fixture
def run_dir(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "models" / "tiny"))


@pytest.fixture
def inp(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text("id,text\na,fire\n")
    return path


def predict(model: Path, inp: Path, out: Path, *extra: str, **kw):
    return run_cli("predict", "--model", model, "--input", inp, "--output", out, *extra, **kw)


def _break(case: str, run_dir: Path, inp: Path, tmp_path: Path) -> tuple[Path, Path, Path, str, tuple]:
    """(model, input, output, the file named, extra args) of one failure needing no TensorFlow."""
    out = tmp_path / "o.csv"
    if case == "model-missing":
        return tmp_path / "nope", inp, out, tmp_path / "nope", ()
    if case == "model-is-a-file":
        return inp, inp, out, inp, ()
    if case == "card-missing":
        (run_dir / "card.json").unlink()
    if case == "card-garbage":
        (run_dir / "card.json").write_text("{not json")
    if case == "card-wrong-version":
        card = json.loads((run_dir / "card.json").read_text())
        (run_dir / "card.json").write_text(json.dumps({**card, "format_version": 9}))
    if case.startswith("card"):
        return run_dir, inp, out, run_dir / "card.json", ()
    if case == "weights-missing":
        (run_dir / "model.keras").unlink()
        return run_dir, inp, out, run_dir / "model.keras", ()
    if case == "input-missing":
        return run_dir, tmp_path / "none.csv", out, tmp_path / "none.csv", ()
    if case == "input-no-text":
        inp.write_text("id,tweet\n1,x\n")
    if case == "input-ragged":
        inp.write_text("id,text\n1,x,y\n")
    if case == "keep-unknown-column":
        return run_dir, inp, out, inp, ("--keep-columns", "user")
    if case.startswith("input"):
        return run_dir, inp, out, inp, ()
    if case == "output-is-a-directory":
        out.mkdir()
        return run_dir, inp, out, out, ()
    raise AssertionError(case)


CASES = ["model-missing", "model-is-a-file", "card-missing", "card-garbage", "card-wrong-version",
         "weights-missing", "input-missing", "input-no-text", "input-ragged", "keep-unknown-column",
         "output-is-a-directory"]


@pytest.mark.parametrize("case", CASES)
def test_failure_before_tensorflow_is_one_line(case: str, run_dir: Path, inp: Path, tmp_path: Path) -> None:
    model, src, out, named, extra = _break(case, run_dir, inp, tmp_path)
    proc = predict(model, src, out, *extra)
    assert_one_error(proc, named)
    assert proc.tf is False, "TensorFlow was imported before the error"
    assert not out.is_file()


def test_bad_model_path_is_rejected_without_tensorflow(tmp_path: Path, inp: Path) -> None:
    """A fresh interpreter, start to exit, never imports TensorFlow (it took 10–17 s when TensorFlow
    came first). The wall time is printed for information only: speed is a benchmark's job."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        proc = predict(tmp_path / "nope", inp, tmp_path / "o.csv")
        times.append(time.perf_counter() - start)
        assert_one_error(proc, tmp_path / "nope", "not a directory")
        assert proc.tf is False
    print(f"bad model path rejected in {min(times):.2f} s (best of 3, whole process)")


@pytest.mark.parametrize("log_level", [None, "3"])
def test_failure_after_tensorflow_is_still_one_line(run_dir: Path, inp: Path, tmp_path: Path,
                                                    log_level: str | None, monkeypatch) -> None:
    """A whole archive Keras cannot build (an unknown layer class) is found by Keras: TensorFlow
    is loaded, and still says nothing."""
    if log_level:
        monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", log_level)
    path = run_dir / "model.keras"
    path.write_bytes(rewrite_keras_config(path.read_bytes(), lambda c: c.replace(b'"GRU"', b'"NoSuchLayer"')))
    proc = predict(run_dir, inp, tmp_path / "o.csv")
    assert_one_error(proc, run_dir / "model.keras", "not a loadable Keras model")
    assert proc.tf is True


def test_success_prints_only_its_summary(run_dir: Path, inp: Path, tmp_path: Path) -> None:
    proc = predict(run_dir, inp, tmp_path / "o.csv")
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr.decode()
    assert proc.stdout.decode() == f"wrote 1 predictions to {tmp_path / 'o.csv'}\n"
