"""End to end: the real dvc.yaml on a tiny parameter set, in a temporary git+DVC copy."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

SKIP = {".venv", ".git", ".pytest_cache", ".tweetgeo", "__pycache__"}
SKIP_TOP = {"models", "ensembles", "reports"}  # pipeline outputs at the top of the repository
SKIP_DATA = {"prepared", "clean", "labels", "features"}


def tiny(params: dict) -> dict:
    """The shipped params, shrunk: a few thousand rows, one epoch, one run per kind."""
    params["datasets"]["yachay"]["max_rows"] = 2500
    params["datasets"]["geotext"]["max_rows"] = 300
    params["datasets"]["disaster"]["max_rows"] = 1500
    params["embeddings"]["word2vec"].update(epochs=1, vector_size=16)
    params["encoder"]["max_rows"] = 150
    params["labels"]["kdtree"]["bucket_size"] = 150
    params["train"].update(epochs=1, batch_size=128, max_train_rows=None)
    params["evaluate"]["bootstrap"] = 50
    seen, runs = set(), {}
    for name, run in params["runs"].items():  # one run per (family, features, labels)
        key = (params["models"][run["model"]]["family"], run.get("features"), run.get("labels"))
        if key not in seen:
            seen.add(key)
            runs[name] = {**run, "train": {}}
    params["runs"] = runs
    params["ensembles"] = {name: entry for name, entry in params.get("ensembles", {}).items()
                           if all(member in runs for member in entry["members"])}
    return params


def sh(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "TF_CPP_MIN_LOG_LEVEL": "3", "DVC_NO_ANALYTICS": "1"}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def _ignore(folder: str, names: list[str]) -> set[str]:
    skip = set(SKIP) & set(names)
    if Path(folder) == ROOT:
        skip |= SKIP_TOP & set(names)
    if Path(folder).name == "data":
        skip |= SKIP_DATA & set(names)
    if Path(folder).name == ".dvc":
        skip |= {"cache", "tmp"} & set(names)
    return skip


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("e2e") / "tweetgeo"
    shutil.copytree(ROOT, repo, ignore=_ignore)
    params = tiny(yaml.safe_load((repo / "params.yaml").read_text()))
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    sh(["git", "init", "-q"], repo)
    sh(["git", "config", "user.name", "e2e"], repo)
    sh(["git", "config", "user.email", "e2e@tweetgeo.invalid"], repo)
    sh(["git", "add", "-A"], repo)
    sh(["git", "commit", "-qm", "tiny"], repo)
    sh([str(BIN / "dvc"), "repro"], repo)
    return repo


def test_every_run_has_metrics(project):
    params = yaml.safe_load((project / "params.yaml").read_text())
    for run, cfg in {**params["runs"], **params["ensembles"]}.items():
        metrics = json.loads((project / "reports/metrics" / f"{run}.json").read_text())
        assert "validation" in metrics, run
        if cfg["labels"] == "target":
            assert 0.0 <= metrics["validation"]["f1"] <= 1.0  # headline values (details: CIs)
            assert (project / "reports/predictions" / run / "submission.csv").exists()
        else:
            assert metrics["test"]["median_km"] >= 0.0
    assert "| run |" in (project / "reports/README.md").read_text()


def test_second_repro_is_up_to_date(project):
    out = sh([str(BIN / "dvc"), "status"], project).stdout
    assert "up to date" in out.lower(), out


def test_predict_cli_on_new_texts(project, tmp_path):
    params = yaml.safe_load((project / "params.yaml").read_text())
    texts = pd.DataFrame({"id": [1, 2, 3],  # row 3: empty text still gets a prediction
                          "text": ["Forest fire near the highway, evacuate now",
                                   "lovely brunch in brooklyn today @friend", ""]})
    texts.to_csv(tmp_path / "in.csv", index=False)
    assert params["ensembles"], "the shipped ensembles' members survive the shrinking"
    for run, folder in [*((r, f"models/{r}") for r in params["runs"]),
                        *((e, f"ensembles/{e}") for e in params["ensembles"])]:
        out = tmp_path / f"{run}.csv"
        sh([str(BIN / "tweetgeo"), "predict", "--model", folder,
            "--input", str(tmp_path / "in.csv"), "--output", str(out)], project)
        result = pd.read_csv(out)
        assert len(result) == 3, run
        assert {"probability", "target"} <= set(result) or {"lat", "lon"} <= set(result), run


def test_experiment_variant_and_metrics_diff(project):
    run = next(iter(yaml.safe_load((project / "params.yaml").read_text())["runs"]))
    sh([str(BIN / "dvc"), "exp", "run", "-S", "evaluate.bootstrap=20", "-n", "tiny-variant"], project)
    shown = sh([str(BIN / "dvc"), "exp", "show", "--csv"], project).stdout
    assert "tiny-variant" in shown
    diff = sh([str(BIN / "dvc"), "metrics", "diff", "--json"], project).stdout
    assert diff.strip().startswith("{")
    assert run


def test_unknown_param_in_exp_run_fails_clearly(project):
    # DVC 3.6x refuses to override a key params.yaml lacks ...
    proc = sh([str(BIN / "dvc"), "exp", "run", "-S", "train.no_such_key=1"], project, check=False)
    assert proc.returncode != 0
    assert "train.no_such_key" in proc.stdout + proc.stderr
    # ... but `+key=value` appends it silently: then our validation stops the pipeline.
    proc = sh([str(BIN / "dvc"), "exp", "run", "-S", "+train.no_such_key=1"], project, check=False)
    assert proc.returncode != 0
    assert "train.no_such_key: unknown key" in proc.stdout + proc.stderr
