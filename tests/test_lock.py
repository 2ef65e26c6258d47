"""requirements.lock pins what the results depend on, and `make install` uses it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)$")


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    lines = [line.strip() for line in (ROOT / "requirements.lock").read_text().splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    pins = {}
    for line in lines:
        match = PIN.match(line)
        assert match, f"requirements.lock: not a name==version pin: {line!r}"
        pins[_canon(match[1])] = match[2]
    return pins


def test_lock_pins_every_dependency_but_not_tweetgeo() -> None:
    pins = _pins()
    assert "tweetgeo" not in pins
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    for requirement in wanted:
        name = _canon(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])
        assert name in pins, f"{name} (pyproject.toml) is not pinned in requirements.lock"
    for heavy in ("tensorflow", "keras", "numpy", "scikit-learn", "gensim", "dvc"):
        assert heavy in pins


def test_make_install_uses_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    stamp = makefile.split("$(STAMP):", 1)[1].split("\n\n", 1)[0]
    assert "requirements.lock" in stamp.splitlines()[0]  # editing the lock reinstalls
    installs = [line for line in stamp.splitlines() if "pip install" in line and "--upgrade pip" not in line]
    assert installs and all("-c requirements.lock" in line for line in installs)


def test_dvc_reads_yaml_with_the_c_parser() -> None:
    """ruamel.yaml.clib is installed, so DVC's params/lock reads are not pure-Python YAML
    (a no-op `dvc repro` of the default pipeline: about half its time without it)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.main import CParser

    assert CParser is not None
    assert YAML(typ="safe").Parser is CParser
