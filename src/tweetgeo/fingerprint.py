"""Files whose content changes exactly when one of a kind of stage's source files changes.

DVC checks every dependency path of every stage in each `dvc repro`, and rewrites the whole
dvc.lock after every stage it runs. Listed in each stage, the ~30 library paths of the ~70 train
and evaluate stages made half of dvc.lock (500 KB; about 4 s a stage on a 2-core machine,
benchmarks/RESULTS.md), and the ~15 of each data stage a quarter of a no-op's path checks. So
dvc.yaml lists them once per kind of stage (vars `sources`), the `fingerprint` stage hashes each
list into data/fingerprints/<kind>.sha256, and the stages depend on their kind's file: editing
one library file still re-runs exactly the stages that run it.
"""

# Hashed by hand: DVC's own hashes of a stage's deps are not exposed as a file a later stage can read.

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import yaml

from tweetgeo.io import atomic_path

SKIPPED_PARTS = ("__pycache__",)  # bytecode caches: .dvcignore hides them from DVC too
SKIPPED_SUFFIXES = (".pyc",)


def source_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files of each path (a folder: every file below it), sorted; bytecode skipped."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"{path}: listed in dvc.yaml but not found")
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        found += [p for p in candidates
                  if p.suffix not in SKIPPED_SUFFIXES and not set(SKIPPED_PARTS) & set(p.parts)]
    return sorted(set(found))


def digest_lines(paths: Iterable[str | Path]) -> list[str]:
    """`sha256  path` for each file (sha256sum's format), in path order."""
    return [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.as_posix()}" for p in source_files(paths)]


def stage_sources(dvc_yaml: Path) -> dict[str, list[str]]:
    """The library paths of each kind of stage: dvc.yaml's vars entry `sources`."""
    data = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8")) or {}
    for entry in data.get("vars") or []:
        if isinstance(entry, dict) and isinstance(entry.get("sources"), dict):
            return {kind: [str(path) for path in paths] for kind, paths in entry["sources"].items()}
    raise KeyError(f"{dvc_yaml}: no vars entry `sources` (the library files of each kind of stage)")


def write_fingerprint(deps: Iterable[str | Path], out: Path) -> Path:
    """Write the digests of every file of `deps` to `out` (whole or not at all)."""
    with atomic_path(Path(out)) as tmp:
        tmp.write_text("\n".join(digest_lines(deps)) + "\n", encoding="utf-8")
    return Path(out)


def write_fingerprints(sources: dict[str, list[str]], out_dir: Path) -> list[Path]:
    """One fingerprint per kind, out_dir/<kind>.sha256; files of kinds no longer listed are removed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = {out_dir / f"{kind}.sha256": paths for kind, paths in sources.items()}
    for old in out_dir.glob("*.sha256"):
        if old not in wanted:
            old.unlink()
    return [write_fingerprint(paths, out) for out, paths in wanted.items()]
