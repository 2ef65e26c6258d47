"""Profiles: `profile: full` overlays conf/profiles/full.yaml on params.yaml, validated, and DVC re-runs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from fixture_project import env
from tweetgeo.config import ConfigError, load_params

ROOT = Path(__file__).resolve().parents[1]


def _project(tmp_path: Path, profile: str = "full", overlay: dict | None = None) -> Path:
    """params.yaml (real, with `profile` set) and conf/profiles (real, or one overlay file)."""
    data = yaml.safe_load((ROOT / "params.yaml").read_text())
    data["profile"] = profile
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    if overlay is None:
        shutil.copytree(ROOT / "conf", tmp_path / "conf")
    else:
        (tmp_path / "conf/profiles").mkdir(parents=True)
        (tmp_path / "conf/profiles" / f"{profile}.yaml").write_text(yaml.safe_dump(overlay))
    return tmp_path / "params.yaml"


def test_default_profile_is_params_yaml_as_written():
    params = load_params(ROOT / "params.yaml")
    assert params.profile == "default"
    assert params.datasets["yachay"].max_rows == 120000  # the laptop-sized bound stays


def test_full_profile_resolves_to_the_source_systems_values(tmp_path):
    default = load_params(ROOT / "params.yaml")
    full = load_params(_project(tmp_path))
    assert full.profile == "full"
    assert full.datasets["yachay"].max_rows is None  # all 584,046 Yachay rows
    vocab, w2v = full.embeddings.vocab, full.embeddings.word2vec
    assert vocab.min_count == 5 and vocab.max_len_cap == 800 and vocab.max_len_quantile == 1.0  # S2
    assert (w2v.sg, w2v.vector_size, w2v.epochs, w2v.min_count) == (1, 512, 50, 5)  # S2 skip-gram
    assert (full.encoder.max_tokens, full.encoder.max_rows) == (155, None)  # S0
    assert (full.train.batch_size, full.train.epochs, full.train.patience) == (64, 30, 5)  # S3
    assert full.train_for("yachay-bigru-kdtree").batch_size == 64  # runs without their own batch
    assert full.train_for("geotext-att-mtl-kdtree").batch_size == 32  # a run's own value still wins
    assert full.train_for("disaster-bigru").patience == 5  # S3's patience through the tweets preset
    # what the overlay does not name stays as params.yaml has it
    assert full.train_for("yachay-att-mtl-kdtree").max_train_rows is None  # default: 48,000 rows
    assert default.train_for("yachay-att-mtl-kdtree").max_train_rows == 48000
    # S2: three runs per condition for the MTL/STL comparison; every other run is trained once
    repeated = {"yachay-att-stl-kdtree", "yachay-att-mtl-kdtree", "yachay-att-mtl-p2c", "geotext-att-mtl-kdtree"}
    assert {run for run in full.runs if full.train_for(run).repeats == 3} == repeated
    assert all(full.train_for(run).repeats == 1 for run in full.runs if run not in repeated)
    assert all(default.train_for(run).repeats == 1 for run in default.runs)
    geotext = full.train_for("geotext-att-mtl-kdtree")
    assert (geotext.batch_size, geotext.cv_folds) == (32, 5)  # its preset and CV survive the override
    assert (full.train_for("yachay-bigru-kdtree").epochs, default.train_for("yachay-bigru-kdtree").epochs) == (30, 6)
    assert full.clean == default.clean and full.models == default.models
    assert full.datasets["geotext"] == default.datasets["geotext"]
    assert full.datasets["yachay"].split == default.datasets["yachay"].split


def test_unknown_key_in_overlay_names_file_and_key(tmp_path):
    path = _project(tmp_path, "big", {"train": {"epochz": 3}})
    with pytest.raises(ConfigError) as err:
        load_params(path)
    assert "conf/profiles/big.yaml" in str(err.value) and "train.epochz: unknown key" in str(err.value)


def test_bad_value_in_overlay_names_file_and_key(tmp_path):
    path = _project(tmp_path, "big", {"encoder": {"max_tokens": 9999}})
    with pytest.raises(ConfigError, match=r"(?s)conf/profiles/big\.yaml.*encoder\.max_tokens"):
        load_params(path)


def test_unknown_profile_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match=r"profile: unknown profile 'huge' \(known: default, full"):
        load_params(_project(tmp_path, "huge"))


@pytest.mark.parametrize("overlay, key", [
    ({"runs": {"new-run": {"dataset": "disaster", "model": "bigru"}}}, "runs.new-run"),
    ({"runs": {"disaster-bigru": {"features": "glove"}}}, "runs.disaster-bigru.features"),
    ({"encoder": {"datasets": ["yachay"]}}, "encoder.datasets"),
    ({"datasets": {"extra": {"task": "geo"}}}, "datasets.extra"),
])
def test_overlay_may_not_change_what_dvc_yaml_expands(tmp_path, overlay, key):
    with pytest.raises(ConfigError, match=re.escape(f"conf/profiles/big.yaml: {key}")):
        load_params(_project(tmp_path, "big", overlay))


def test_check_params_cli_reports_overlay_errors_in_one_line(tmp_path):
    _project(tmp_path, "big", {"train": {"epochz": 3}})
    proc = subprocess.run(["tweetgeo", "check-params"], cwd=tmp_path, env=env(),
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "train.epochz: unknown key" in proc.stderr and "big.yaml" in proc.stderr


def test_every_stage_reads_its_params_through_check_params_with_the_profile():
    """check_params reads params.yaml and the overlays; every other stage that reads params depends
    on the values it wrote for it (data/params/<stage>@<item>.json), which hold `profile`."""
    from tweetgeo.stage_params import STAGE_PARAMS

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    check = stages["check_params"]
    assert {"params.yaml": None} in check["params"] and "conf/profiles" in check["deps"]
    assert set(stages) - set(STAGE_PARAMS) == {"check_params", "fingerprint"}
    for name, keys in STAGE_PARAMS.items():
        body = stages[name].get("do", stages[name])
        assert "params" not in body and "conf/profiles" not in body["deps"], name
        assert keys[0] == "profile" and [d for d in body["deps"] if d.startswith("data/params/")], name


def _dvc(project: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(["dvc", *args], cwd=project, env=env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"dvc {' '.join(args)}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


def _git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=project, check=True,
                   capture_output=True, timeout=60)


@pytest.mark.slow
def test_switching_to_full_profile_reruns_every_stage(tmp_path):
    """The real dvc.yaml: with the default run up to date, `profile: full` makes every stage that
    reads params due.

    Stage outputs are placeholders committed with `dvc commit` (the real pipeline takes an hour);
    `dvc status` and `dvc repro --dry` then list what `dvc exp run -S profile=full` would run.
    """
    from dvc.repo import Repo

    project = tmp_path / "p"
    project.mkdir()
    for name in ("dvc.yaml", "params.yaml", "conf", "stages", "src"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "data/raw", project / "data/raw")
    _git(project, "init", "-q")
    _dvc(project, "init", "-q")
    stages = []
    for stage in Repo(str(project)).index.stages:
        stages.append(stage.name)
        for out in stage.outs:
            path = project / out.def_path
            if stage.name in ("check_params", "fingerprint"):
                continue  # they run for real: their files are what the other stages depend on
            if path.suffix:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("placeholder\n")
            else:
                path.mkdir(parents=True, exist_ok=True)
                (path / "placeholder").write_text("placeholder\n")
    _dvc(project, "repro", "-q", "-s", "check_params", "fingerprint")
    _dvc(project, "commit", "-f", "-q")
    assert json.loads(_dvc(project, "status", "--json").stdout or "{}") == {}  # default: up to date

    params = project / "params.yaml"
    params.write_text(params.read_text().replace("\nprofile: default", "\nprofile: full", 1))
    assert sorted(json.loads(_dvc(project, "status", "--json").stdout)) == ["check_params"]
    _dvc(project, "repro", "-q", "-s", "check_params")  # writes every stage's values under `full`
    reading = sorted(set(stages) - {"check_params", "fingerprint"})  # fingerprint: source files only
    status = json.loads(_dvc(project, "status", "--json").stdout)
    assert sorted(status) == reading and len(reading) > 40
    dry = _dvc(project, "repro", "--dry").stdout
    assert sorted(line.split("'")[1] for line in dry.splitlines()
                  if line.startswith("Running stage")) == reading
