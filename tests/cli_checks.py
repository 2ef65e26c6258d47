"""Shared by the command-line reliability tests: a tiny run directory, the CLI run in a
subprocess, and the check that a failure is exactly one `error: <file>: …` line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

VOCAB = ["fire", "flood", "evacuate", "sunny", "brunch", "today"]
ROOT = Path(__file__).resolve().parents[1]
# run the CLI; write to $CLI_MARK whether TensorFlow was imported
CLI = ("import os, sys\nfrom tweetgeo.cli import main\ntry:\n    rc = main(sys.argv[1:])\nfinally:\n"
       "    with open(os.environ['CLI_MARK'], 'w') as fh:\n"
       "        fh.write('TF' if 'tensorflow' in sys.modules else 'noTF')\nsys.exit(rc)\n")


def tiny_binary_run(folder: Path) -> Path:
    """A real (untrained) binary GRU run directory: model.keras + card.json."""
    import keras

    from specs import tiny_card
    from tweetgeo.config import TrainConfig
    from tweetgeo.keras_training import build_model
    from tweetgeo.modelcard import save_card
    from tweetgeo.models.families.rnn import RNNConfig
    from tweetgeo.models.keras_family import Head, TextInputs

    keras.utils.set_random_seed(0)
    folder.mkdir(parents=True)
    matrix = np.random.default_rng(0).normal(size=(len(VOCAB) + 2, 4)).astype("float32")
    model = build_model(RNNConfig(family="rnn", cell="gru", units=2, dense_units=2),
                        TextInputs(VOCAB, 6, matrix), Head("binary", 2), TrainConfig())
    model.save(folder / "model.keras")
    save_card(tiny_card(), folder)
    return folder


def rewrite_keras_config(data: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """A .keras archive (bytes) with its config.json edited: a whole archive Keras may refuse."""
    src, buf = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for name in src.namelist():
            member = src.read(name)
            dst.writestr(name, edit(member) if name == "config.json" else member)
    return buf.getvalue()


def cli_env() -> dict[str, str]:
    """The test's environment without the knobs that would hide TensorFlow's start-up noise."""
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "TWEETGEO_TF_LOGS")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_cli(*args: str, stdin: bytes | None = None, stdout=None, **popen) -> subprocess.CompletedProcess:
    """`tweetgeo ARGS` in a fresh interpreter; proc.tf: whether it imported TensorFlow."""
    with tempfile.TemporaryDirectory() as folder:
        mark = Path(folder) / "mark"
        proc = subprocess.run([sys.executable, "-c", CLI, *map(str, args)], input=stdin,
                              stdout=stdout if stdout is not None else subprocess.PIPE,
                              stderr=subprocess.PIPE, env={**cli_env(), "CLI_MARK": str(mark)},
                              timeout=600, **popen)
        proc.tf = mark.read_text() == "TF" if mark.exists() else None
    return proc


def output_of(proc: subprocess.CompletedProcess) -> str:
    """What the CLI printed on stdout."""
    return (proc.stdout or b"").decode()


def assert_one_error(proc: subprocess.CompletedProcess, name: str | Path, *says: str) -> str:
    """Exit 1; stderr is exactly one line `error: <name>…`; nothing on stdout; no traceback."""
    err = proc.stderr.decode()
    assert proc.returncode == 1, (proc.returncode, err)
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"error: {name}"), err
    assert "Traceback" not in err
    for word in says:
        assert word in err, err
    assert output_of(proc) == "", proc.stdout
    return err


def assert_one_error_text(code: int, err: str, name: str | Path, *says: str) -> None:
    """The same check for main() run in-process (capsys)."""
    assert code == 1, err
    assert err.endswith("\n") and err.count("\n") == 1 and err.startswith(f"error: {name}"), err
    assert "Traceback" not in err
    for word in says:
        assert word in err, err


def snapshot(*paths: Path) -> dict[Path, tuple]:
    """What must not change: each path's type, bytes (files) or listing (folders)."""
    state = {}
    for path in paths:
        if path.is_dir():
            state[path] = ("dir", sorted(p.name for p in path.iterdir()))
        elif path.is_file():
            state[path] = ("file", path.read_bytes())
        else:
            state[path] = ("other", path.exists() and path.stat().st_mode)
    return state
