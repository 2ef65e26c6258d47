"""The fingerprint file changes exactly when one of its stage's source files does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tweetgeo.fingerprint import digest_lines, stage_deps, write_fingerprint


def _tree(root: Path) -> None:
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("A = 1\n")
    (root / "pkg" / "b.py").write_text("B = 2\n")
    (root / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\x00")
    (root / "one.py").write_text("print(1)\n")


def test_a_source_edit_changes_the_file_and_bytecode_does_not(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path)
    out = write_fingerprint(["pkg", "one.py"], Path("fp/library.sha256"))
    before = out.read_text()
    assert [line.split("  ")[1] for line in before.splitlines()] == ["one.py", "pkg/a.py", "pkg/b.py"]
    (tmp_path / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\x01")
    assert write_fingerprint(["pkg", "one.py"], out).read_text() == before
    (tmp_path / "pkg" / "b.py").write_text("B = 3\n")
    after = write_fingerprint(["pkg", "one.py"], out).read_text()
    assert after != before and after.splitlines()[:2] == before.splitlines()[:2]


def test_a_missing_path_is_named(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="gone.py"):
        digest_lines(["gone.py"])


def test_stage_deps_reads_the_stage_of_dvc_yaml(tmp_path) -> None:
    dvc_yaml = tmp_path / "dvc.yaml"
    dvc_yaml.write_text("stages:\n  fingerprint:\n    cmd: x\n    deps: [a.py, src]\n")
    assert stage_deps(dvc_yaml, "fingerprint") == ["a.py", "src"]
    with pytest.raises(KeyError, match="other"):
        stage_deps(dvc_yaml, "other")
