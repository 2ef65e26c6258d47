"""train.strategy on CPU: `mirrored` over two logical CPU devices, `multi_worker` with two local workers.

Both run the real `train` stage of the tiny fixture project (raw-text BiGRU) and the S0 head
(float encoder vectors); the chief's saved model answers `tweetgeo predict`. Keras 3's TF
trainer needs two small fixes for this (runtime._patch_keras_symbolic_build), which these tests
guard. Multi-worker processes bind free loopback ports only.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from fixture_project import env, project_copy, stage_cmd

TIMEOUT = 240  # seconds per process: two TensorFlow start-ups on a shared 2-core machine

# Trains the S0 head under train.strategy for 2 epochs on 256 seeded random rows; saves, reloads.
S0_SCRIPT = textwrap.dedent("""
    import sys, numpy as np, keras
    from tweetgeo import runtime
    from tweetgeo.config import TrainConfig
    from tweetgeo.keras_training import build_model
    from tweetgeo.models.families.encoder_regression import EncoderRegressionConfig
    from tweetgeo.models.keras_family import Head, VectorInputs
    strategy_name, out = sys.argv[1], sys.argv[2]
    strategy = runtime.distribution_strategy(strategy_name)
    runtime.seed_everything(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 16)).astype("float32")
    y = np.stack([x[:, 0] * 30, x[:, 1] * 60], axis=1).clip(-89, 179).astype("float32")
    with strategy.scope():
        model = build_model(EncoderRegressionConfig(family="encoder_regression", hidden=[8]),
                            VectorInputs(16), Head("geo", 2), TrainConfig(batch_size=32, epochs=2))
    history = model.fit(x, {"coords_deg": y}, batch_size=32, epochs=2, verbose=0)
    if runtime.is_chief():  # predict() of the distributed model would wait for the other workers
        model.save(out)
        coords = keras.models.load_model(out, compile=False).predict(x[:4], verbose=0)["coords_deg"]
        assert coords.shape == (4, 2) and np.isfinite(coords).all()
    print("replicas", strategy.num_replicas_in_sync, "device", runtime.device_name(),
          "chief", runtime.is_chief(), "loss", [round(v, 3) for v in history.history["loss"]])
""")

def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def _run_workers(cmds: list[tuple[list[str], Path, dict]]) -> list[subprocess.CompletedProcess]:
    """Start every process, wait for all (bounded), kill what is left; outputs in order."""
    procs = [subprocess.Popen(cmd, cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for cmd, cwd, e in cmds]
    done = []
    try:
        for (cmd, _, _), proc in zip(cmds, procs):
            out, _ = proc.communicate(timeout=TIMEOUT)
            done.append(subprocess.CompletedProcess(cmd, proc.returncode, out, ""))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return done


def test_mirrored_over_two_logical_cpus_trains_and_saves(tmp_path):
    e = {**env(), "TWEETGEO_LOGICAL_CPUS": "2"}
    (result,) = _run_workers([([sys.executable, "-c", S0_SCRIPT, "mirrored", str(tmp_path / "m.keras")],
                               tmp_path, e)])
    assert result.returncode == 0, result.stdout[-3000:]
    assert "replicas 2 device cpu:2 chief True" in result.stdout  # one batch split over two devices
    assert (tmp_path / "m.keras").exists()


@pytest.mark.slow
def test_multi_worker_two_local_workers_finish_and_chief_saves(tmp_path):
    ports = _free_ports(2)
    outs = [tmp_path / f"worker{i}.keras" for i in range(2)]
    results = _run_workers([([sys.executable, "-c", S0_SCRIPT, "multi_worker", str(outs[i])], tmp_path,
                             {**env(), "TF_CONFIG": _tf_config(ports, i)}) for i in range(2)])
    for i, result in enumerate(results):
        assert result.returncode == 0, f"worker {i}:\n{result.stdout[-3000:]}"
        assert "replicas 2 " in result.stdout and f"chief {i == 0}" in result.stdout
    assert outs[0].exists() and not outs[1].exists()  # only the chief (worker 0) writes
    losses = [r.stdout.rsplit("loss", 1)[1].strip() for r in results]
    assert losses[0] == losses[1]  # one model: both workers see the same all-reduced loss


def _text_run_project(tmp_path: Path, name: str, strategy: str) -> Path:
    project = project_copy(tmp_path / name)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["train"]["strategy"] = strategy
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return project


def _predicts(project: Path, tmp_path: Path) -> pd.DataFrame:
    """`tweetgeo predict` with the project's trained tiny-gru on three new texts."""
    (tmp_path / "new.csv").write_text("id,text\n1,forest fire near the town\n2,lovely day\n3,\n")
    proc = subprocess.run(["tweetgeo", "predict", "--model", str(project / "models/tiny-gru"),
                           "--input", str(tmp_path / "new.csv"), "--output", str(tmp_path / "out.csv")],
                          env=env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = pd.read_csv(tmp_path / "out.csv")
    assert len(out) == 3 and out["probability"].between(0, 1).all()
    return out


def test_mirrored_text_model_trains_and_predicts(tmp_path):
    project = _text_run_project(tmp_path, "p", "mirrored")
    (result,) = _run_workers([(stage_cmd("train", "tiny-gru"), project,
                               {**env(), "TWEETGEO_LOGICAL_CPUS": "2"})])
    assert result.returncode == 0, result.stdout[-3000:]
    summary = json.loads((project / "models/tiny-gru/train_summary.json").read_text())
    assert summary["device"] == "cpu:2" and summary["epochs_run"] == 2
    _predicts(project, tmp_path)


@pytest.mark.slow
def test_multi_worker_text_model_both_finish_and_chief_predicts(tmp_path):
    """Two workers, each in its own clone (as on two machines), train one model together."""
    ports = _free_ports(2)
    projects = [_text_run_project(tmp_path, f"machine{i}", "multi_worker") for i in range(2)]
    results = _run_workers([(stage_cmd("train", "tiny-gru"), projects[i],
                             {**env(), "TF_CONFIG": _tf_config(ports, i)}) for i in range(2)])
    for i, result in enumerate(results):
        assert result.returncode == 0, f"worker {i}:\n{result.stdout[-3000:]}"
    histories = [pd.read_csv(p / "models/tiny-gru/history.csv") for p in projects]
    assert len(histories[0]) == 2
    pd.testing.assert_frame_equal(histories[0], histories[1])  # one model: the same all-reduced losses
    _predicts(projects[0], tmp_path)


@pytest.mark.parametrize("tf_config, chief", [
    (None, True),
    ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}, True),
    ({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}, False),
    ({"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}, False),
    ({"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}, True),
])
def test_is_chief(monkeypatch, tf_config, chief):
    from tweetgeo import runtime

    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
    assert runtime.is_chief() is chief


def test_recurrent_dropout_says_once_it_forces_the_slow_kernel(caplog):
    from tweetgeo import runtime
    from tweetgeo.config import TrainConfig
    from tweetgeo.keras_training import build_model
    from tweetgeo.models.families.rnn import RNNConfig
    from tweetgeo.models.keras_family import Head, TextInputs

    runtime._logged.discard("rnn-lstm-slow")
    args = (TextInputs(["a", "b"], 4, None), Head("binary", 2), TrainConfig())
    with caplog.at_level(logging.WARNING, logger="tweetgeo"):
        build_model(RNNConfig(family="rnn", cell="lstm"), *args)
        assert not caplog.records  # the defaults are cuDNN-eligible: nothing to say
        for _ in range(2):
            build_model(RNNConfig(family="rnn", cell="lstm", recurrent_dropout=0.2), *args)
    notes = [r.getMessage() for r in caplog.records if "cuDNN" in r.getMessage()]
    assert len(notes) == 1 and "recurrent_dropout=0.2" in notes[0]
