"""Profiles: named overlays of params.yaml (`profile: full` → conf/profiles/full.yaml).

params.yaml keeps the laptop-sized default (`profile: default`, no overlay). Another
profile is a YAML file under conf/profiles/ whose keys are deep-merged onto params.yaml
before validation, so `dvc exp run -S profile=full` switches every stage to the source
systems' scale. The overlay is validated like params.yaml: an unknown key fails, naming
the overlay file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tweetgeo.config import ConfigError, Params, parse_params

DEFAULT = "default"
PROFILES_DIR = Path("conf/profiles")  # relative to the folder of params.yaml


def profiles_dir(params_path: Path) -> Path:
    return params_path.parent / PROFILES_DIR


def available(params_path: Path) -> list[str]:
    """Profile names: 'default' and one per conf/profiles/<name>.yaml."""
    found = sorted(p.stem for p in profiles_dir(params_path).glob("*.yaml"))
    return [DEFAULT, *(name for name in found if name != DEFAULT)]


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """A copy of `base` with `overlay` merged in: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_overlay(path: Path) -> dict[str, Any]:
    """One overlay file: a mapping that may not switch profiles itself."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    if "profile" in data:
        raise ConfigError(f"{path}: profile: an overlay cannot choose a profile")
    return data


# dvc.yaml expands stages from these keys of params.yaml itself (`foreach: ${runs}`, `${item.dataset}`):
# an overlay that changed them would run other stages than DVC tracks, so it may not.
_REGISTRIES = ("datasets", "models", "runs", "ensembles")
_TEMPLATED_RUN_KEYS = ("dataset", "model", "features")


def check_templated_keys(base: dict[str, Any], overlay: dict[str, Any], path: Path) -> None:
    """Refuse an overlay that adds data sets/models/runs or changes what dvc.yaml expands."""
    for section in _REGISTRIES:
        for name, entry in (overlay.get(section) or {}).items():
            if name not in (base.get(section) or {}):
                raise ConfigError(f"{path}: {section}.{name}: unknown key (an overlay may change "
                                  f"entries of params.yaml, not add them)")
            if section in ("runs", "ensembles") and isinstance(entry, dict):
                for key in _TEMPLATED_RUN_KEYS:
                    if key in entry:
                        raise ConfigError(f"{path}: {section}.{name}.{key}: dvc.yaml expands stages from "
                                          f"it; set it in params.yaml, not in a profile")
    if "datasets" in (overlay.get("encoder") or {}):
        raise ConfigError(f"{path}: encoder.datasets: dvc.yaml expands stages from it; "
                          f"set it in params.yaml, not in a profile")


def _overlay_path(profile: str, params_path: Path) -> Path:
    path = profiles_dir(params_path) / f"{profile}.yaml"
    if not path.is_file():
        raise ConfigError(f"{params_path}: profile: unknown profile {profile!r} "
                          f"(known: {', '.join(available(params_path))}; "
                          f"a profile is a file {PROFILES_DIR}/<name>.yaml)")
    return path


def overlaid(data: dict[str, Any], params_path: str | Path) -> dict[str, Any]:
    """params.yaml's mapping with its profile's overlay merged in, unvalidated (check with `resolve`)."""
    profile = data.get("profile", DEFAULT)
    if profile == DEFAULT:
        return data
    return deep_merge(data, read_overlay(_overlay_path(profile, Path(params_path))))


def resolve(data: dict[str, Any], params_path: str | Path) -> Params:
    """Validate params.yaml's mapping, then apply and validate its profile's overlay."""
    params_path = Path(params_path)
    params = parse_params(data, str(params_path))  # errors of params.yaml itself name params.yaml
    if params.profile == DEFAULT:
        return params
    overlay_path = _overlay_path(params.profile, params_path)
    overlay = read_overlay(overlay_path)
    check_templated_keys(data, overlay, overlay_path)
    # params.yaml alone is valid, so any error now comes from the overlay: name it
    return parse_params(deep_merge(data, overlay),
                        f"{overlay_path} (profile {params.profile!r} over {params_path})")
