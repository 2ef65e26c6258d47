"""params.yaml validation: unknown keys, wrong types and unknown names fail, naming the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tweetgeo.config import ConfigError, load_params, parse_params

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_shipped_params_are_valid():
    params = load_params(ROOT / "params.yaml")
    assert params.runs, "params.yaml declares runs"
    for run in params.runs:
        assert params.train_for(run).epochs >= 1


@pytest.mark.parametrize("path, value, expected", [
    (("train", "no_such_key"), 1, "train.no_such_key: unknown key"),
    (("no_such_section",), 1, "no_such_section: unknown key"),
    (("train", "epochs"), "many", "train.epochs"),
    (("train", "batch_size"), -5, "train.batch_size"),
    (("clean", "urls"), "delete", "clean.urls"),
    (("labels", "kdtree", "bucket_size"), 0, "labels.kdtree.bucket_size"),
])
def test_bad_key_is_named(raw, path, value, expected):
    data = copy.deepcopy(raw)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=expected.replace(".", r"\.")):
        parse_params(data)


def test_unknown_model_dataset_and_scheme_are_named(raw):
    run = next(iter(raw["runs"]))
    for field, value, word in [("model", "nope", "unknown model 'nope'"),
                               ("dataset", "nope", "unknown data set 'nope'"),
                               ("labels", "region", "not a label scheme")]:
        data = copy.deepcopy(raw)
        data["runs"][run][field] = value
        with pytest.raises(ConfigError, match=word):
            parse_params(data)


def test_unknown_key_in_model_and_run_overrides(raw):
    data = copy.deepcopy(raw)
    name = next(iter(data["models"]))
    data["models"][name]["unitz"] = 3
    with pytest.raises(ConfigError, match=rf"models\.{name}\..*unitz: unknown key"):
        parse_params(data)
    data = copy.deepcopy(raw)
    run = next(iter(data["runs"]))
    data["runs"][run]["train"] = {"epochz": 3}
    with pytest.raises(ConfigError, match="epochz"):
        parse_params(data)


def test_dataset_clean_override_must_be_a_clean_key(raw):
    data = copy.deepcopy(raw)
    data["datasets"]["disaster"]["clean"] = {"emojis": "remove"}
    with pytest.raises(ConfigError, match="emojis"):
        parse_params(data)


def test_overrides_resolve(raw):
    params = parse_params(raw)
    assert params.clean_for("yachay").numbers == "zero"
    assert params.clean_for("disaster").numbers == raw["datasets"]["disaster"]["clean"]["numbers"]
    assert params.clean_for("disaster").urls == raw["clean"]["urls"]  # not overridden: the section's


def test_dataset_embeddings_override_merges_per_section(raw):
    data = copy.deepcopy(raw)
    data["datasets"]["geotext"]["embeddings"] = {"tfidf": {"max_features": 1234}, "oov": "random"}
    params = parse_params(data)
    tfidf = params.embeddings_for("geotext").tfidf
    assert tfidf.max_features == 1234 and tfidf.word_ngrams == params.embeddings.tfidf.word_ngrams
    assert params.embeddings_for("geotext").oov == "random"
    assert params.embeddings_for("disaster").tfidf == params.embeddings.tfidf  # not overridden: the section's
    data["datasets"]["geotext"]["embeddings"] = {"tfidf": {"max_featurez": 10}}
    with pytest.raises(ConfigError, match="max_featurez"):
        parse_params(data)
    data["datasets"]["geotext"]["embeddings"] = {"tfidff": {}}
    with pytest.raises(ConfigError, match="tfidff"):
        parse_params(data)


def test_missing_file_is_clear(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_params(tmp_path / "params.yaml")
