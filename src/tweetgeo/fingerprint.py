"""One file whose content changes exactly when one of a stage's source files changes.

The ~70 train and evaluate stages run the same 31 library paths. Listed in each stage, they made
half of dvc.lock (500 KB), which DVC parses and rewrites after every stage it runs: about 4 s a
stage on a 2-core machine (benchmarks/RESULTS.md). Those stages depend on the `fingerprint`
stage's output instead; it lists the paths once, so editing one still re-runs exactly them.
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


def stage_deps(dvc_yaml: Path, stage: str) -> list[str]:
    """The deps a (plain, not foreach) stage of dvc.yaml lists."""
    stages = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8")).get("stages", {})
    if stage not in stages or "deps" not in stages[stage]:
        raise KeyError(f"{dvc_yaml}: no stage {stage!r} with deps")
    return [str(dep) for dep in stages[stage]["deps"]]


def write_fingerprint(deps: Iterable[str | Path], out: Path) -> Path:
    """Write the digests of every file of `deps` to `out` (whole or not at all)."""
    with atomic_path(Path(out)) as tmp:
        tmp.write_text("\n".join(digest_lines(deps)) + "\n", encoding="utf-8")
    return Path(out)
