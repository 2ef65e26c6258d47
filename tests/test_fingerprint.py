"""The fingerprint file changes exactly when one of its stage's source files does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tweetgeo.fingerprint import digest_lines, stage_sources, write_fingerprint, write_fingerprints


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


def test_stage_sources_reads_the_vars_of_dvc_yaml(tmp_path) -> None:
    dvc_yaml = tmp_path / "dvc.yaml"
    dvc_yaml.write_text("vars:\n  - other: 1\n  - sources:\n      library: [a.py, src]\n      prepare: [a.py]\n"
                        "stages: {}\n")
    assert stage_sources(dvc_yaml) == {"library": ["a.py", "src"], "prepare": ["a.py"]}
    dvc_yaml.write_text("stages: {}\n")
    with pytest.raises(KeyError, match="sources"):
        stage_sources(dvc_yaml)


def test_one_file_per_kind_and_a_kind_no_longer_listed_is_removed(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path)
    out = Path("fp")
    write_fingerprints({"library": ["pkg"], "prepare": ["one.py"], "gone": ["one.py"]}, out)
    written = write_fingerprints({"library": ["pkg"], "prepare": ["one.py"]}, out)
    names = ["library.sha256", "prepare.sha256"]
    assert sorted(p.name for p in out.iterdir()) == names == sorted(p.name for p in written)
    (tmp_path / "one.py").write_text("print(2)\n")
    before = (out / "library.sha256").read_text()
    write_fingerprints({"library": ["pkg"], "prepare": ["one.py"]}, out)
    assert (out / "library.sha256").read_text() == before  # only the kinds that run one.py change
