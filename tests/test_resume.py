"""A training run killed with SIGKILL resumes from its last finished epoch when rerun, and ends
exactly as an uninterrupted run would (same history, best epoch, metrics).

train.py keeps Keras BackupAndRestore state, the early-stopping state (best weights, random
generator states), a per-epoch log and a parameter stamp in .tweetgeo/backup/<run> (outside
the DVC outputs) until the run's outputs are all written. A kill during the final save is in
tests/test_whole_writes.py.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from fixture_project import env, project_copy, run_stage, stage_cmd, write_params

RUN, EPOCHS = "tiny-gru", 6
# batch of 2 rows: ~80 steps an epoch, long enough to kill the process between epochs
SLOW = {"epochs": EPOCHS, "batch_size": 2, "patience": EPOCHS}


def _kill_after_epochs(project: Path, at_least: int, timeout: float = 120.0) -> int:
    """Start train, SIGKILL it once the backup holds `at_least` epochs; the epochs it holds."""
    meta = project / ".tweetgeo/backup" / RUN / "training_metadata.json"
    proc = subprocess.Popen(stage_cmd("train", RUN), cwd=project, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if json.loads(meta.read_text())["epoch"] >= at_least:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.02)
        assert proc.poll() is None, "training finished (or failed) before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return json.loads(meta.read_text())["epoch"]


def test_killed_training_resumes_exactly(tmp_path: Path) -> None:
    """Killed between epochs and rerun: it continues after its last finished epoch and ends with
    the same history, best epoch and model as a run that was never interrupted."""
    whole = project_copy(tmp_path / "whole")
    write_params(whole, **{RUN: SLOW})
    run_stage(whole, "train", RUN)

    project = project_copy(tmp_path / "project")
    write_params(project, **{RUN: SLOW})
    done = _kill_after_epochs(project, at_least=2)
    assert 2 <= done < EPOCHS
    assert not (project / "models" / RUN / "model.keras").exists()

    out = run_stage(project, "train", RUN).stdout
    printed = [int(n) for n in re.findall(rf"Epoch (\d+)/{EPOCHS}", out)]
    assert printed == list(range(done + 1, EPOCHS + 1)), out[-2000:]  # not from epoch 1 again
    assert f"resumed after epoch {done} — same data order" in out, out[-2000:]

    model_dir = project / "models" / RUN
    history = pd.read_csv(model_dir / "history.csv")
    assert history["epoch"].tolist() == list(range(1, EPOCHS + 1))  # epochs before the kill kept
    summary = json.loads((model_dir / "train_summary.json").read_text())
    assert summary["epochs_run"] == EPOCHS and summary["resumed_after_epoch"] == done
    assert summary["resumed_exactly"] is True
    assert summary["best_epoch"] == int(history["val_loss"].idxmin()) + 1  # agrees with history.csv

    uninterrupted = pd.read_csv(whole / "models" / RUN / "history.csv")
    pd.testing.assert_frame_equal(history, uninterrupted, check_exact=True)
    assert summary["best_epoch"] == json.loads((whole / "models" / RUN / "train_summary.json").read_text())[
        "best_epoch"]

    steps = pd.read_csv(project / "reports/training" / RUN / "plots/metrics/train/loss.tsv",
                        sep="\t")["step"]
    assert sorted(set(steps)) == list(range(EPOCHS))  # dvclive: one step per epoch, no restart
    assert steps.iloc[-1] == EPOCHS - 1  # the curve ends at the last epoch
    assert not (project / ".tweetgeo/backup" / RUN).exists()  # removed once outputs are written


def test_resume_without_early_stopping_state_says_it_may_differ(tmp_path: Path) -> None:
    """A backup without the early-stopping/random state (an older tweetgeo's, or torn): the run
    still resumes, and says clearly that it may differ from an uninterrupted one."""
    project = project_copy(tmp_path / "project")
    write_params(project, **{RUN: SLOW})
    done = _kill_after_epochs(project, at_least=1)
    (project / ".tweetgeo/backup" / RUN / "early_stopping.json").unlink()
    out = run_stage(project, "train", RUN).stdout
    assert f"resumed after epoch {done} — WARNING" in out and "may differ" in out, out[-2000:]
    summary = json.loads((project / "models" / RUN / "train_summary.json").read_text())
    assert summary["resumed_exactly"] is False and summary["resumed_after_epoch"] == done


def test_backup_of_other_parameters_is_discarded(tmp_path: Path) -> None:
    """A changed params.yaml (as `dvc exp run -S` makes) starts training over at epoch 1."""
    project = project_copy(tmp_path / "project")
    write_params(project, **{RUN: SLOW})
    _kill_after_epochs(project, at_least=1)
    write_params(project, **{RUN: {**SLOW, "epochs": 2, "batch_size": 64}})
    out = run_stage(project, "train", RUN).stdout
    assert re.findall(r"Epoch (\d+)/2", out) == ["1", "2"], out[-2000:]
    assert pd.read_csv(project / "models" / RUN / "history.csv")["epoch"].tolist() == [1, 2]


@pytest.fixture(autouse=True)
def _quiet_tf(monkeypatch) -> None:
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
