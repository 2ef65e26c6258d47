"""dvc.yaml spells the same artifact paths as src/tweetgeo/paths.py."""

from __future__ import annotations

from pathlib import Path

import yaml

from tweetgeo import paths

ROOT = Path(__file__).resolve().parents[1]


def _stage(name: str) -> dict:
    stage = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"][name]
    return stage.get("do", stage)


def _paths(entries: list) -> set[str]:
    return {next(iter(e)) if isinstance(e, dict) else e for e in entries}


def test_paths_agree():
    key, run = "${key}", "${key}"
    assert str(paths.prepared(key)) in _paths(_stage("prepare")["outs"])
    assert str(paths.quality_report(key)) in _paths(_stage("prepare")["outs"])
    assert str(paths.clean(key)) in _paths(_stage("clean")["outs"])
    assert str(paths.eda_dir(key)) in _paths(_stage("clean")["outs"])
    assert str(paths.labels_dir(key)) in _paths(_stage("labels")["outs"])
    for kind in ("word2vec", "glove", "tfidf"):
        assert str(paths.features_dir(key, kind)) in _paths(_stage("embed")["outs"])
    assert str(paths.features_dir("${item}", "encoder")) in _paths(_stage("encode")["outs"])
    assert str(paths.model_dir(run)) in _paths(_stage("train")["outs"])
    assert str(paths.training_log_dir(run)) in _paths(_stage("train")["outs"])
    assert str(paths.metrics_file(run)) in _paths(_stage("evaluate")["metrics"])
    assert str(paths.details_file(run)) in _paths(_stage("evaluate")["outs"])
    assert str(paths.predictions_dir(run)) in _paths(_stage("evaluate")["outs"])
    assert str(paths.plots_dir(run)) in _paths(_stage("evaluate")["outs"])
    assert str(paths.report_file()) in _paths(_stage("report")["outs"])


def test_every_stage_script_is_a_dependency():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        body = stage.get("do", stage)
        script = body["cmd"].split()[1]
        if script.startswith("stages/"):
            assert script in body["deps"], f"{name}: {script} not in deps"
            assert (ROOT / script).exists()
