"""check_params writes the params.yaml values each stage reads; the stage depends on that file."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import yaml

from tweetgeo.cli import main
from tweetgeo.paths import stage_params_file
from tweetgeo.stage_params import stage_items, write_stage_params

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = yaml.safe_load((ROOT / "params.yaml").read_text())


def _files(data: dict, where: Path) -> dict[str, dict]:
    write_stage_params(data, where)
    return {p.name: json.loads(p.read_text()) for p in sorted(where.iterdir())}


def test_each_stage_dvc_expands_depends_on_its_own_file():
    """The stage names of dvc.yaml as DVC expands them, and each one's file among its deps."""
    from dvc.repo import Repo

    expected = {(f"{stage}@{item}" if item is not None else stage): str(stage_params_file(stage, item))
                for stage, item, _ in stage_items(SHIPPED)}
    with Repo(str(ROOT)) as repo:
        found = {stage.addressing: [dep.def_path for dep in stage.deps] for stage in repo.index.stages}
    assert set(found) - set(expected) == {"check_params", "fingerprint"}
    for name, path in expected.items():
        assert path in found[name], name


def test_a_value_changes_the_files_of_the_stages_that_read_it_only(tmp_path):
    before = _files(SHIPPED, tmp_path / "before")
    changed = copy.deepcopy(SHIPPED)
    changed["runs"]["disaster-bigru"]["train"]["epochs"] = 3
    after = _files(changed, tmp_path / "after")
    assert set(before) == set(after) and len(before) > 40
    moved = sorted(name for name in before if before[name] != after[name])
    # the run's train stage and the report (it reads every run's entry); no ensemble has it as member
    assert not any("disaster-bigru" in entry["members"] for entry in SHIPPED["ensembles"].values())
    assert moved == ["report.json", "train@disaster-bigru.json"]
    assert after["train@disaster-bigru.json"]["runs.disaster-bigru"]["train"]["epochs"] == 3
    member = SHIPPED["ensembles"]["disaster-ensemble"]["members"][0]
    changed["runs"][member].setdefault("train", {})["epochs"] = 3
    again = _files(changed, tmp_path / "again")
    assert "ensemble@disaster-ensemble.json" in {name for name in after if after[name] != again[name]}


def test_the_files_hold_the_values_after_the_profile_overlay(tmp_path):
    (tmp_path / "conf").mkdir()
    shutil.copytree(ROOT / "conf/profiles", tmp_path / "conf/profiles")
    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text().replace("\nprofile: default", "\nprofile: full", 1))
    assert SHIPPED["datasets"]["yachay"]["max_rows"] is not None
    out = tmp_path / "data/params"
    assert main(["check-params", "--params", str(params), "--stage-params", str(out)]) == 0
    prepare = json.loads((out / "prepare@yachay.json").read_text())
    assert prepare["profile"] == "full" and prepare["datasets.yachay"]["max_rows"] is None


def test_check_params_replaces_the_files_of_stages_that_are_gone(tmp_path):
    out = tmp_path / "data/params"
    smaller = copy.deepcopy(SHIPPED)
    del smaller["runs"]["disaster-bilstm"]
    for data in (SHIPPED, smaller):
        params = tmp_path / "params.yaml"
        params.write_text(yaml.safe_dump(data))
        assert main(["check-params", "--params", str(params), "--stage-params", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert "train@disaster-bigru.json" in names and "train@disaster-bilstm.json" not in names
