"""The ensemble family: params checks, its members' trained runs copied in (checked against their
entries; fitted again only for other rows), and predict on raw text giving the mean of its members'
probabilities (each member a run directory of its own)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fixture_project import PARAMS, env, project_copy, run_stage
from tweetgeo.config import ConfigError, parse_params

pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")

ENSEMBLE = {"dataset": "disaster", "model": "mean_of_runs", "labels": "target", "features": "members",
            "members": ["tiny-gru", "tiny-tfidf"]}


def _params(**ensemble) -> dict:
    data = copy.deepcopy(PARAMS)
    data["models"]["mean_of_runs"] = {"family": "ensemble"}
    data["ensembles"] = {"tiny-ensemble": {**ENSEMBLE, **ensemble}}
    return data


def test_params_accept_an_ensemble_and_resolve_its_members() -> None:
    from tweetgeo.runspec import resolve_run

    spec = resolve_run(parse_params(_params()), "tiny-ensemble")
    assert [m.name for m in spec.members] == ["tiny-gru", "tiny-tfidf"]
    assert [m.features for m in spec.members] == ["word2vec", "tfidf"]
    assert spec.members[0].options.family == "rnn"


@pytest.mark.parametrize("change, message", [
    ({"members": ["tiny-gru"]}, "ensembles.tiny-ensemble.members: an ensemble needs at least two"),
    ({"members": ["tiny-gru", "tiny-gru"]}, "at least two different member runs"),
    ({"members": ["tiny-gru", "no-such-run"]}, "ensembles.tiny-ensemble.members: 'no-such-run' is unknown"),
    ({"members": ["tiny-gru", "tiny-ensemble"]}, "is an ensemble itself"),
    ({"features": "tfidf"}, "takes features members"),
    ({"model": "tiny_gru"}, "ensembles.tiny-ensemble.model: 'tiny_gru' is family 'rnn'"),
])
def test_bad_members_are_named(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_params(_params(**change))


def test_members_only_on_an_ensemble_and_on_its_data_set() -> None:
    data = _params()
    data["runs"]["tiny-tfidf"]["members"] = ["tiny-gru", "tiny-ensemble"]
    with pytest.raises(ConfigError, match="runs.tiny-tfidf.members: only an entry of `ensembles`"):
        parse_params(data)
    data = _params()
    data["runs"]["tiny-mean"] = {**ENSEMBLE}
    with pytest.raises(ConfigError, match="runs.tiny-mean.model: 'mean_of_runs' is an ensemble"):
        parse_params(data)
    data = _params()
    data["ensembles"]["tiny-gru"] = data["ensembles"].pop("tiny-ensemble")
    with pytest.raises(ConfigError, match="ensembles.tiny-gru: a run of that name exists"):
        parse_params(data)
    data = _params()
    data["datasets"]["other"] = copy.deepcopy(data["datasets"]["disaster"])
    data["runs"]["tiny-tfidf"]["dataset"] = "other"
    with pytest.raises(ConfigError, match="'tiny-tfidf' is on other/target, the ensemble on disaster/target"):
        parse_params(data)


def _predict(project: Path, model: str, inp: Path, out: Path) -> pd.DataFrame:
    proc = subprocess.run([sys.executable, "-m", "tweetgeo.cli", "predict", "--model", model,
                           "--input", str(inp), "--output", str(out)],
                          cwd=project, env=env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return pd.read_csv(out)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project with tiny-gru and tiny-tfidf trained, then tiny-ensemble built from them
    (dvc.yaml's order: train@<member>, ensemble@<name>, evaluate_ensemble@<name>) and evaluated."""
    project = project_copy(tmp_path_factory.mktemp("ensemble") / "project")
    (project / "params.yaml").write_text(yaml.safe_dump(_params(), sort_keys=False))
    for member in ENSEMBLE["members"]:
        run_stage(project, "train", member)
    run_stage(project, "train", "tiny-ensemble")
    run_stage(project, "evaluate", "tiny-ensemble")
    return project


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_members_are_the_trained_runs_copied_not_retrained(trained: Path) -> None:
    model = trained / "ensembles/tiny-ensemble"
    assert not (trained / "models/tiny-ensemble").exists()
    listing = json.loads((model / "members.json").read_text())
    for name, folder in zip(listing["members"], listing["folders"]):
        assert _files(model / folder) == _files(trained / "models" / name), name
    summary = json.loads((model / "train_summary.json").read_text())
    assert [summary["members"][m]["from"] for m in ENSEMBLE["members"]] == ["models/tiny-gru", "models/tiny-tfidf"]


def test_a_member_trained_with_other_settings_is_named(trained: Path, tmp_path: Path) -> None:
    """A member's entry changed after its training (its train stage not rerun): the ensemble refuses
    to copy the stale folder, naming it and the stage to rerun."""
    project = tmp_path / "project"
    shutil.copytree(trained, project)
    data = _params()
    data["runs"]["tiny-gru"]["train"] = {"epochs": 1}
    (project / "params.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    proc = subprocess.run([sys.executable, "stages/train.py", "tiny-ensemble"], cwd=project, env=env(),
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert ("models/tiny-gru: trained with other settings than runs.tiny-gru gives now; "
            "retrain it first (dvc repro train@tiny-gru)") in proc.stderr
    assert "Traceback" not in proc.stderr


def test_members_are_saved_as_runs_and_predict_averages_them(trained: Path, tmp_path: Path) -> None:
    model = trained / "ensembles/tiny-ensemble"
    listing = json.loads((model / "members.json").read_text())
    assert listing["members"] == ["tiny-gru", "tiny-tfidf"]
    card = json.loads((model / "card.json").read_text())
    assert [m["name"] for m in card["spec"]["members"]] == ["tiny-gru", "tiny-tfidf"]
    summary = json.loads((model / "train_summary.json").read_text())
    assert set(summary["members"]) == {"tiny-gru", "tiny-tfidf"}
    assert summary["parameters"] > 0
    assert summary["parameters"] == sum(m["parameters"] for m in summary["members"].values())

    texts = ["Forest fire near La Ronge Sask. Canada", "I love fruits", "Flood warning for the river",
             "What a goooooooaaaaaal!!!!!!", "🔥🔥 http://t.co/x"]
    inp = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(inp, index=False)
    whole = _predict(trained, "ensembles/tiny-ensemble", inp, tmp_path / "ensemble.csv")
    members = [_predict(trained, f"ensembles/tiny-ensemble/{folder}", inp, tmp_path / f"{i}.csv")
               for i, folder in enumerate(listing["folders"])]
    mean = np.mean([m["probability"].to_numpy() for m in members], axis=0)
    np.testing.assert_allclose(whole["probability"].to_numpy(), mean, rtol=1e-5, atol=1e-6)
    assert whole["target"].tolist() == (whole["probability"] >= card["threshold"]).astype(int).tolist()
    assert whole["empty_after_cleaning"].tolist()[-1] == 1


def test_evaluate_scores_the_same_as_predict(trained: Path, tmp_path: Path) -> None:
    """evaluate's validation predictions are those of `tweetgeo predict` on the raw texts."""
    table = pd.read_parquet(trained / "reports/predictions/tiny-ensemble/validation.parquet")
    clean = pd.read_parquet(trained / "data/clean/disaster.parquet").set_index("id")
    inp = tmp_path / "val.csv"
    pd.DataFrame({"id": table["id"], "text": clean.loc[table["id"], "raw_text"].to_numpy()}).to_csv(inp, index=False)
    again = _predict(trained, "ensembles/tiny-ensemble", inp, tmp_path / "out.csv")
    np.testing.assert_allclose(again["probability"].to_numpy(), table["probability"].to_numpy(), rtol=1e-5)
    details = json.loads((trained / "reports/details/tiny-ensemble.json").read_text())
    assert 0.0 <= details["validation"]["f1"]["value"] <= 1.0


def test_a_missing_member_is_named(trained: Path, tmp_path: Path) -> None:
    from tweetgeo.errors import ModelDirError
    from tweetgeo.modelfiles import check_run

    broken = tmp_path / "broken"
    shutil.copytree(trained / "ensembles/tiny-ensemble", broken)
    folder = json.loads((broken / "members.json").read_text())["folders"][1]
    (broken / folder / "card.json").unlink()
    with pytest.raises(ModelDirError, match=r"members/1-tiny-tfidf/card.json: missing"):
        check_run(broken)
    (broken / "members.json").write_text("{not json")
    with pytest.raises(ModelDirError, match=r"members.json: unreadable"):
        check_run(broken)


def test_cross_validation_averages_the_members_out_of_fold_scores(trained: Path, tmp_path: Path) -> None:
    """An ensemble's CV refits nothing: its out-of-fold scores are the mean of its members' (each
    from the member's own CV, with the same folds), and the ensemble itself copies the trained runs."""
    from tweetgeo.cross_validation import FoldScores

    project = tmp_path / "project"
    shutil.copytree(trained, project)
    data = _params(train={"cv_folds": 2})
    for member in ENSEMBLE["members"]:
        data["runs"][member]["train"] = {**data["runs"][member].get("train", {}), "cv_folds": 2}
    (project / "params.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    for member in ENSEMBLE["members"]:
        run_stage(project, "train", member)
    proc = run_stage(project, "train", "tiny-ensemble")
    cv = json.loads((project / "ensembles/tiny-ensemble/cv.json").read_text())
    assert cv["folds"] == 2 and 0.0 <= cv["metrics"]["f1"]["mean"] <= 1.0
    assert cv["scored_from"] == "the members' out-of-fold scores"
    assert proc.stdout.count("member 1/2 tiny-gru") == 1  # the ensemble's own fit only: no refit per fold
    ours = FoldScores.load(project / "ensembles/tiny-ensemble/cv_scores.npz")
    members = [FoldScores.load(project / "models" / m / "cv_scores.npz").aligned(ours.ids, m)
               for m in ENSEMBLE["members"]]
    assert sorted(np.unique(ours.fold)) == [0, 1]
    for member in members:
        assert np.array_equal(member.fold, ours.fold)
    mean = (members[0].scores["target"].astype("float64").reshape(-1)
            + members[1].scores["target"].astype("float64").reshape(-1)) / 2
    np.testing.assert_allclose(ours.scores["target"], mean, rtol=1e-6)

    # a member without out-of-fold scores (trained before, or by hand) is named, not refitted
    (project / "models/tiny-tfidf/cv_scores.npz").unlink()
    proc = subprocess.run([sys.executable, "stages/train.py", "tiny-ensemble"], cwd=project, env=env(),
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "member 'tiny-tfidf' of 'tiny-ensemble'): no out-of-fold scores" in proc.stderr


def test_an_ensembles_cv_needs_the_same_cv_of_its_members() -> None:
    with pytest.raises(ConfigError, match="ensembles.tiny-ensemble.train.cv_folds: 2, but 'tiny-gru' runs 0: "
                                          "an ensemble's k-fold CV averages its members' out-of-fold scores"):
        parse_params(_params(train={"cv_folds": 2}))
