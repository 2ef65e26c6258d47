"""train.repeats: a run trained k times with seeds seed…seed+k-1, evaluated as a spread, compared in the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fixture_project import PARAMS, ROOT, chdir, project_copy, write_params
from tweetgeo import evaluate, paths
from tweetgeo.config import ConfigError, load_params, parse_params
from tweetgeo.io import read_json, write_json, write_parquet
from tweetgeo.report import repeats_section
from tweetgeo.runspec import resolve_run

MTL, STL = "yachay-att-mtl-kdtree", "yachay-att-stl-kdtree"


def _params(**run_train: dict) -> dict:
    params = yaml.safe_load(yaml.safe_dump(PARAMS))
    for run, train in run_train.items():
        params["runs"][run]["train"] = train
    return params


@pytest.mark.parametrize("where, value", [("run", 0), ("run", "2"), ("run", 1.5), ("section", 0)])
def test_bad_repeats_are_refused_naming_the_key(where, value):
    if where == "run":
        params = _params(**{"tiny-gru": {"repeats": value}})
    else:
        params = {**_params(), "train": {"repeats": value}}
    with pytest.raises(ConfigError) as err:
        parse_params(params)
    assert ("runs.tiny-gru.train.repeats" if where == "run" else "train.repeats") in str(err.value)


def test_repeats_of_a_non_keras_run_are_refused_naming_the_run():
    with pytest.raises(ConfigError, match=r"runs\.tiny-tfidf\.train\.repeats: 2, but family 'tfidf'"):
        parse_params(_params(**{"tiny-tfidf": {"repeats": 2}}))


def test_repeats_work_like_any_train_key_and_one_changes_nothing():
    params = _params(**{"tiny-gru": {"preset": "twice"}})
    params["train_presets"] = {"twice": {"repeats": 2}}
    assert parse_params(params).train_for("tiny-gru").repeats == 2  # through a preset
    with pytest.raises(ConfigError, match=r"runs\.tiny-tfidf\.train\.repeats: 3.*give runs\.tiny-tfidf\.train "
                       "repeats: 1"):
        parse_params({**_params(), "train": {"repeats": 3}})  # the section's value reaches the TF-IDF run too
    section = parse_params({**_params(**{"tiny-tfidf": {"repeats": 1}}), "train": {"repeats": 3}})
    assert (section.train_for("tiny-gru").repeats, section.train_for("tiny-tfidf").repeats) == (3, 1)
    once = parse_params(_params())
    assert once.train_for("tiny-gru").repeats == 1
    # repeats: 1 is not written: model cards and resume stamps are those of before the key existed
    assert "repeats" not in resolve_run(once, "tiny-gru").model_dump_json()


def test_a_run_trained_twice_is_saved_evaluated_and_spread(tmp_path: Path) -> None:
    from tweetgeo.train import train_run

    project = project_copy(tmp_path / "p")
    write_params(project, **{"tiny-gru": {"repeats": 2, "epochs": 1}})
    with chdir(project):
        spec = resolve_run(load_params("params.yaml"), "tiny-gru")
        out = train_run(spec)
        first, second = read_json(paths.card(out)), read_json(paths.card(paths.repeat_model_dir(out, 1)))
        assert (first["spec"]["seed"], second["spec"]["seed"]) == (7, 8)
        assert paths.keras_model(paths.repeat_model_dir(out, 1)).is_file()
        assert not paths.repeat_model_dir(out, 2).exists()
        assert read_json(paths.train_summary(paths.repeat_model_dir(out, 1)))["seed"] == 8
        assert not paths.backup_dir("tiny-gru").exists()  # removed once every output is written

        result = evaluate.evaluate_run(spec, bootstrap=0)
        block = result["repeats"]
        assert block["n"] == 2 and block["seeds"] == [7, 8]
        for metric in ("f1", "accuracy"):
            stats = block["validation"][metric]
            assert len(stats["values"]) == 2 and stats["std"] >= 0
            assert stats["values"][0] == result["validation"][metric]["value"]  # repeat 0 is the run
            assert np.isclose(stats["mean"], np.mean(stats["values"]))
        assert paths.repeat_predictions("tiny-gru", 1, "validation").is_file()
        headline = read_json(paths.metrics_file("tiny-gru"))
        assert headline["repeats"]["n"] == 2 and "validation.f1_std" in headline["repeats"]
        assert headline["validation"]["f1"] == result["validation"]["f1"]["value"]

        once = resolve_run(load_params("params.yaml"), "tiny-tfidf")  # repeats 1: nothing new
        train_run(once)
        plain = evaluate.evaluate_run(once, bootstrap=0)
        assert "repeats" not in plain and "repeats" not in read_json(paths.metrics_file("tiny-tfidf"))
        assert not paths.repeats_dir(paths.model_dir("tiny-tfidf")).exists()
        assert not (paths.predictions_dir("tiny-tfidf") / "repeats").exists()


def _geo_repeats(run: str, shift_km: float, n: int, rng: np.random.Generator) -> None:
    """Details and per-row predictions (test) of a geo run trained n times, errors around shift_km."""
    ids = [f"t{i}" for i in range(200)]
    values = []
    for i in range(n):
        errors = rng.gamma(2.0, shift_km / 2, len(ids))
        table = pd.DataFrame({"id": ids, "error_km": errors})
        write_parquet(table, paths.predictions(run, "test") if i == 0 else paths.repeat_predictions(run, i, "test"))
        values.append(float(np.median(errors)))
    stats = {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)), "values": values}
    write_json({"run": run, "test": {"median_km": {"value": values[0]}},
                "repeats": {"n": n, "seeds": list(range(42, 42 + n)),
                            "test": {"median_km": stats, "acc_at_161": stats, "mean_km": stats}}},
               paths.details_file(run))


def test_report_compares_mtl_with_stl_on_repeat_averaged_errors(tmp_path: Path) -> None:
    params = load_params(ROOT / "params.yaml")
    with chdir(tmp_path):
        assert repeats_section(params, [MTL, STL], [], "validation").startswith("_No run is trained several")
        rng = np.random.default_rng(0)
        _geo_repeats(MTL, 100.0, 3, rng)
        _geo_repeats(STL, 400.0, 3, rng)
        text = repeats_section(params, [MTL, STL], [], "validation")
    assert f"| {MTL} | test | 3 (42, 43, 44) |" in text and f"| {STL} | test | 3 (42, 43, 44) |" in text
    rows = [line for line in text.splitlines() if line.startswith(f"| {MTL} | {STL} | test | 3 / 3 |")]
    assert len(rows) == 2  # median km and Acc@161
    median = next(r for r in rows if "| median km |" in r)
    assert median.split("|")[6].strip().startswith("-")  # MTL's errors are smaller
    assert median.split("|")[7].strip() == "0.000"  # and in every resample
    assert not any(line.startswith(f"| {STL} | {MTL} |") for line in text.splitlines())
