"""A run is resolved once: presets and overrides merge in order, the spec's stamp is the run's own."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tweetgeo.config import ConfigError, parse_params
from tweetgeo.modelcard import ModelCard, load_card, save_card
from tweetgeo.runspec import resolve_run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def test_train_settings_merge_section_preset_then_run(raw: dict) -> None:
    raw["train_presets"]["tweets"]["epochs"] = 7
    raw["runs"]["disaster-bigru"]["train"]["patience"] = 1
    params = parse_params(raw)
    spec = resolve_run(params, "disaster-bigru")
    assert (spec.train.epochs, spec.train.patience, spec.train.batch_size) == (7, 1, 64)
    assert spec.train.learning_rate == raw["train"]["learning_rate"]  # from the section
    assert resolve_run(params, "disaster-bilstm").train.patience == raw["train_presets"]["tweets"]["patience"]


def test_bad_preset_and_bad_override_name_their_key(raw: dict) -> None:
    bad = copy.deepcopy(raw)
    bad["runs"]["disaster-bigru"]["train"]["preset"] = "nope"
    with pytest.raises(ConfigError, match=r"runs\.disaster-bigru\.train\.preset: unknown preset 'nope'"):
        parse_params(bad)
    bad = copy.deepcopy(raw)
    bad["runs"]["disaster-bigru"]["train"]["epochz"] = 3
    with pytest.raises(ConfigError, match=r"runs\.disaster-bigru\.train\.epochz: unknown key"):
        parse_params(bad)
    bad = copy.deepcopy(raw)
    bad["train_presets"]["users"]["batch_size"] = -1
    with pytest.raises(ConfigError, match=r"train_presets\.users\.batch_size"):
        parse_params(bad)


def test_stamp_changes_with_the_run_only(raw: dict) -> None:
    before = resolve_run(parse_params(raw), "disaster-bigru").stamp()
    other = copy.deepcopy(raw)
    other["runs"]["yachay-bigru-kdtree"]["train"] = {"epochs": 1}
    other["models"]["att_cnn_mtl"]["dropout"] = 0.1
    assert resolve_run(parse_params(other), "disaster-bigru").stamp() == before
    mine = copy.deepcopy(raw)
    mine["models"]["bigru"]["units"] = 32
    assert resolve_run(parse_params(mine), "disaster-bigru").stamp() != before


def test_card_round_trip_keeps_decoding_and_cleaning(raw: dict, tmp_path: Path) -> None:
    raw["evaluate"]["decoding_top_k"] = 7
    spec = resolve_run(parse_params(raw), "yachay-att-mtl-kdtree")
    save_card(ModelCard(spec=spec, n_labels=256), tmp_path)
    card = load_card(tmp_path)
    assert card.spec == spec and card.spec.decoding_top_k == 7 and card.spec.clean.numbers == "zero"
    assert card.spec.family.name == "attention_cnn" and card.spec.options.multitask
