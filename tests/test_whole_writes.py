"""Writes that are whole: a folder is swapped in whole (atomic_dir), a killed writer's temporary
files are swept on the next write, and training killed during its final save leaves the previous
complete model — then resumes from the finished fit (best weights, best_epoch agreeing with
history.csv), never from a mix of old and new files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fixture_project import env, project_copy, run_stage, write_params
from tweetgeo.io import atomic_dir, atomic_path, sweep_stale

FAST = {"epochs": 3, "batch_size": 64, "patience": 3}
# train@<run> whose family save dies half-way through the FINAL save (into models/…): the model
# file is written, then cut to half its size, then the process exits as a SIGKILL would leave it
DYING_SAVE = """
import os, runpy, sys
from pathlib import Path
sys.path.insert(0, "stages")
from tweetgeo.models import registry
from tweetgeo.runspec import resolve_run
from tweetgeo.config import load_params
family = resolve_run(load_params("params.yaml"), sys.argv[1]).family
cls = type(family)
save = cls.save
def dying_save(self, model, directory):
    save(self, model, directory)
    if Path(directory).parts[0] == "models":
        for path in self.model_files(Path(directory)):
            victim = path if path.is_file() else sorted(path.iterdir())[0]
            victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
        os._exit(9)
cls.save = dying_save
sys.argv = ["stages/train.py", sys.argv[1]]
runpy.run_path("stages/train.py", run_name="__main__")
"""


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _predictions(model_dir: Path) -> pd.DataFrame:
    from tweetgeo.predict import Predictor

    return Predictor(model_dir).predict(["forest fire near the town, evacuate", "lovely sunny day"])


@pytest.mark.parametrize("run", ["tiny-gru", "tiny-tfidf"])
def test_kill_during_final_save_keeps_previous_model_and_resumes(tmp_path: Path, run: str) -> None:
    project = project_copy(tmp_path / "project")
    write_params(project, **{run: FAST})
    run_stage(project, "train", run)
    model_dir = project / "models" / run
    before = _files(model_dir)
    first = _predictions(model_dir)

    proc = subprocess.run([sys.executable, "-c", DYING_SAVE, run], cwd=project, env=env(),
                          capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr[-3000:]
    assert _files(model_dir) == before  # the previous complete run, untouched: never a mix
    pd.testing.assert_frame_equal(_predictions(model_dir), first)
    assert _hidden(project / "models"), "the killed save should have left its temporary folder"
    backup = project / ".tweetgeo/backup" / run
    assert (backup / "fitted.json").exists()  # the finished fit, kept for the resume

    out = run_stage(project, "train", run).stdout
    assert "resumed — training had finished" in out, out[-2000:]
    assert "Epoch 1/" not in out  # not trained again
    assert _hidden(project / "models") == []  # the dead writer's temporary folder swept
    assert not backup.exists()
    summary = json.loads((model_dir / "train_summary.json").read_text())
    assert summary["resumed_after_fit"] is True
    if run == "tiny-gru":
        history = pd.read_csv(model_dir / "history.csv")
        assert history["epoch"].tolist() == [1, 2, 3]
        assert summary["best_epoch"] == int(history["val_loss"].idxmin()) + 1  # the best, not the last
        pd.testing.assert_frame_equal(history, pd.read_csv(io.BytesIO(before["history.csv"])))
    pd.testing.assert_frame_equal(_predictions(model_dir), first)  # the same model as before


def test_atomic_dir_swaps_whole_or_keeps_the_old(tmp_path: Path) -> None:
    target = tmp_path / "run"
    with atomic_dir(target) as folder:
        (folder / "a.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(target) as folder:
        (folder / "a.txt").write_text("new, half")
        raise RuntimeError("killed")
    assert _files(target) == {"a.txt": b"old"} and _hidden(tmp_path) == []
    with atomic_dir(target) as folder:
        (folder / "b.txt").write_text("new")
    assert _files(target) == {"b.txt": b"new"} and _hidden(tmp_path) == []  # no stale a.txt kept


def test_stale_temporaries_of_dead_writers_are_swept(tmp_path: Path) -> None:
    """A SIGKILLed writer leaves `.<name>.<pid>-*.tmp`: the next write of that target removes it;
    a live process's temporary file (another writer) is left alone."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale_file = tmp_path / f".out.csv.{dead}-abc.tmp"
    stale_dir = tmp_path / f".tfidf.{dead}-abc.tmp"
    live = tmp_path / f".out.csv.{os.getppid()}-abc.tmp"
    other = tmp_path / f".other.csv.{dead}-abc.tmp"
    stale_file.write_text("half")
    stale_dir.mkdir()
    (stale_dir / "vocabulary_word.json").write_text("{")
    live.write_text("being written")
    other.write_text("half")
    with atomic_path(tmp_path / "out.csv") as tmp:
        tmp.write_text("a\n")
    assert not stale_file.exists() and live.exists() and other.exists()
    assert sweep_stale(tmp_path / "tfidf") == [stale_dir] and not stale_dir.exists()
