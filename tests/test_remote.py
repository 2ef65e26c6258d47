"""Shared models: `dvc push` from one clone, `dvc pull` in a fresh clone, `tweetgeo predict` works.

A tiny DVC project (the fixture's inputs, one `train` stage for the tiny BiGRU) is reproduced
once; each test adds a remote, pushes, clones with git, pulls and predicts, with no training in
the clone. Remotes: a local directory, and an S3 bucket on a moto server this test starts on a
free loopback port (and stops).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from fixture_project import env, project_copy

RUN = "tiny-gru"
TIMEOUT = 300  # seconds for any one command
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
       "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

DVC_YAML = {"stages": {"train": {
    "cmd": f"python stages/train.py {RUN}",
    "deps": ["stages/train.py", "data/clean/disaster.parquet", "data/labels/disaster",
             "data/features/disaster/word2vec"],
    "params": ["seed", "train", f"runs.{RUN}"],
    "outs": [f"models/{RUN}"]}}}


def _env() -> dict[str, str]:
    return {**env(), **AWS}


def _run(cwd: Path, *cmd: str) -> str:
    proc = subprocess.run(list(cmd), cwd=cwd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, f"{' '.join(cmd)}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc.stdout


def _git(cwd: Path, *args: str) -> str:
    return _run(cwd, "git", "-c", "user.email=t@t", "-c", "user.name=t", "-c", "init.defaultBranch=main",
                *args)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A git + DVC project whose `train` stage has run (dvc.lock committed, model in the cache)."""
    project = project_copy(tmp_path_factory.mktemp("remote") / "origin")
    (project / "dvc.yaml").write_text(yaml.safe_dump(DVC_YAML, sort_keys=False))
    _git(project, "init", "-q")
    _run(project, "dvc", "init", "-q")
    _run(project, "dvc", "config", "core.analytics", "false")
    (project / ".gitignore").write_text(".tweetgeo/\nreports/\n")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "project")  # dvclive (in train) needs a commit to exist
    _run(project, "dvc", "repro", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "trained")
    assert (project / "models" / RUN / "model.keras").exists()
    return project


def _push(origin: Path, *remote_cmds: list[str]) -> None:
    """Configure the default remote (`dvc remote ...` commands), commit the config, push."""
    for args in remote_cmds:
        _run(origin, "dvc", "remote", *args)
    _git(origin, "commit", "-qam", "remote")
    _run(origin, "dvc", "push")


def _pull_and_predict(origin: Path, tmp_path: Path) -> None:
    """A fresh git clone pulls the model and predicts; the pulled model is the pushed one."""
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(origin), str(clone))
    assert not (clone / "models" / RUN).exists()  # only git files: no model before the pull
    _run(clone, "dvc", "pull")
    assert "up to date" in _run(clone, "dvc", "status").lower()
    pulled = clone / "models" / RUN
    for name in ("model.keras", "card.json"):
        assert filecmp.cmp(pulled / name, origin / "models" / RUN / name, shallow=False)
    (tmp_path / "new.csv").write_text("id,text\n1,forest fire near the town\n2,lovely day\n")
    _run(tmp_path, "tweetgeo", "predict", "--model", str(pulled), "--input", "new.csv", "--output", "out.csv")
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["id"].tolist() == [1, 2] and out["probability"].between(0, 1).all()


def test_local_directory_remote_round_trip(trained, tmp_path):
    origin = tmp_path / "origin"
    shutil.copytree(trained, origin)
    _push(origin, ["add", "-d", "store", str(tmp_path / "dvc-store")])
    assert any(p.is_file() for p in (tmp_path / "dvc-store").rglob("*"))  # the remote holds the files
    _pull_and_predict(origin, tmp_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3_server(tmp_path) -> Iterator[str]:
    """A moto S3 server on a free loopback port; its endpoint URL. Stopped afterwards."""
    port = _free_port()
    log = (tmp_path / "moto.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              env={**os.environ, **AWS}, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "moto.log").read_text()[-2000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto server did not start within 60 s"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_s3_remote_round_trip(trained, tmp_path, s3_server):
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server, aws_access_key_id="testing",
                      aws_secret_access_key="testing", region_name="us-east-1")
    s3.create_bucket(Bucket="tweetgeo-models")
    origin = tmp_path / "origin"
    shutil.copytree(trained, origin)
    _push(origin, ["add", "-d", "s3store", "s3://tweetgeo-models/dvc"],
          ["modify", "s3store", "endpointurl", s3_server])
    assert s3.list_objects_v2(Bucket="tweetgeo-models", Prefix="dvc/").get("KeyCount", 0) > 0
    _pull_and_predict(origin, tmp_path)
