"""A training run killed with SIGKILL resumes from its last finished epoch when rerun.

train.py keeps Keras BackupAndRestore state, a per-epoch log and a parameter stamp in
.tweetgeo/backup/<run> (outside the DVC outputs) until the run's outputs are all written.
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


def test_killed_training_resumes_from_last_epoch(tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    write_params(project, **{RUN: SLOW})
    done = _kill_after_epochs(project, at_least=2)
    assert 2 <= done < EPOCHS
    assert not (project / "models" / RUN / "model.keras").exists()

    out = run_stage(project, "train", RUN).stdout
    printed = [int(n) for n in re.findall(rf"Epoch (\d+)/{EPOCHS}", out)]
    assert printed == list(range(done + 1, EPOCHS + 1)), out[-2000:]  # not from epoch 1 again

    model_dir = project / "models" / RUN
    history = pd.read_csv(model_dir / "history.csv")
    assert history["epoch"].tolist() == list(range(1, EPOCHS + 1))  # epochs before the kill kept
    summary = json.loads((model_dir / "train_summary.json").read_text())
    assert summary["epochs_run"] == EPOCHS and summary["resumed_after_epoch"] == done
    assert done < summary["best_epoch"] <= EPOCHS  # the weights kept are from this process's epochs
    steps = pd.read_csv(project / "reports/training" / RUN / "plots/metrics/train/loss.tsv",
                        sep="\t")["step"]
    assert sorted(set(steps)) == list(range(EPOCHS))  # dvclive: one step per epoch, no restart
    assert steps.iloc[-1] == EPOCHS - 1  # the curve ends at the last epoch
    assert not (project / ".tweetgeo/backup" / RUN).exists()  # removed once outputs are written


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
