"""The params.yaml values each stage reads, one small file per stage, written by `check_params`.

DVC parses params.yaml again for every stage that declares `params:` and walks it once per
key: with ~85 stages that was half of a no-op `dvc repro`, and the values filled 40% of
dvc.lock (which DVC rewrites after every stage). So `check_params` validates params.yaml,
applies the profile's overlay and writes, for each stage, the values of the keys below to
data/params/<stage>@<item>.json; the stage depends on that file instead. DVC then compares
one hash per stage, and a stage re-runs exactly when a value it reads changed (also through
`dvc exp run -S` or a profile, since the files hold the values after the overlay).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tweetgeo.paths import STAGE_PARAMS_DIR, stage_params_name

# The keys of params.yaml each stage template of dvc.yaml reads ({key}: the foreach item's name;
# {dataset} and {model}: the run's entries; {members} and {member_models}: an ensemble's member runs
# and their models, one key each). `profile` is in each: switching it re-runs every stage.
STAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "prepare": ("profile", "seed", "datasets.{key}"),
    "clean": ("profile", "clean", "datasets.{key}"),
    "labels": ("profile", "labels", "datasets.{key}"),
    "embed": ("profile", "seed", "embeddings", "datasets.{key}"),
    "encode": ("profile", "seed", "encoder"),
    "levers": ("profile", "seed", "clean", "datasets", "labels", "embeddings.tfidf", "levers"),
    # everything resolve_run reads into the run's spec, which its model card keeps for predict
    "train": ("profile", "seed", "train", "train_presets", "runs.{key}", "models.{model}", "clean",
              "datasets.{dataset}", "evaluate.decoding_top_k", "encoder.max_tokens", "encoder.precision"),
    "evaluate": ("profile", "seed", "evaluate"),
    # which trained folders an ensemble's members are
    "members": ("profile", "ensembles.{key}"),
    # as train's, and its members' entries (checked against their models/<run>/card.json)
    "ensemble": ("profile", "seed", "train", "train_presets", "ensembles.{key}", "runs.{members}",
                 "models.{member_models}", "clean", "datasets.{dataset}", "evaluate.decoding_top_k",
                 "encoder.max_tokens", "encoder.precision"),
    "evaluate_ensemble": ("profile", "seed", "evaluate"),
    "report": ("profile", "runs", "ensembles"),
}
SINGLE_STAGES = ("report",)  # not expanded with foreach: the file is data/params/<stage>.json


def stage_items(data: dict[str, Any]) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
    """(stage, item, names for the key templates) for every stage dvc.yaml expands from `data`."""
    datasets = data.get("datasets") or {}
    for stage in ("prepare", "clean", "labels", "embed"):
        for name in datasets:
            yield stage, name, {"key": name}
    for name in (data.get("encoder") or {}).get("datasets") or []:
        yield "encode", name, {"key": name}
    for name in (data.get("levers") or {}).get("datasets") or []:
        yield "levers", name, {"key": name}
    runs = data.get("runs") or {}
    for name, entry in runs.items():
        for stage in ("train", "evaluate"):
            yield stage, name, {"key": name, "dataset": entry["dataset"], "model": entry["model"]}
    for name, entry in (data.get("ensembles") or {}).items():
        members = list(entry.get("members") or [])
        names = {"key": name, "dataset": entry["dataset"], "model": entry["model"], "members": members,
                 "member_models": sorted({runs[m]["model"] for m in members if m in runs})}
        for stage in ("members", "ensemble", "evaluate_ensemble"):
            yield stage, name, names
    for stage in SINGLE_STAGES:
        yield stage, None, {}


def _value(data: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted key; None where a key is absent (its default applies)."""
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _filled(template: str, names: dict[str, Any]) -> list[str]:
    """`template` with its names filled in; a list-valued name gives one key per element."""
    listed = [name for name, value in names.items() if isinstance(value, list) and f"{{{name}}}" in template]
    if not listed:
        return [template.format(**names)]
    return [template.format(**{**names, listed[0]: value}) for value in names[listed[0]]]


def stage_keys(stage: str, names: dict[str, Any]) -> list[str]:
    """The dotted keys `stage` reads, its templates filled in."""
    return [key for template in STAGE_PARAMS[stage] for key in _filled(template, names)]


def stage_values(data: dict[str, Any], stage: str, names: dict[str, Any]) -> dict[str, Any]:
    """The values of params.yaml (overlay applied) that `stage` reads, by dotted key."""
    return {key: _value(data, key) for key in stage_keys(stage, names)}


def write_stage_params(data: dict[str, Any], out_dir: Path = STAGE_PARAMS_DIR) -> int:
    """Replace `out_dir` with one JSON file per stage of `data`; returns how many were written."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    count = 0
    for stage, item, names in stage_items(data):
        text = json.dumps(stage_values(data, stage, names), indent=1, sort_keys=True, default=str)
        (out_dir / stage_params_name(stage, item)).write_text(text + "\n", encoding="utf-8")
        count += 1
    return count
