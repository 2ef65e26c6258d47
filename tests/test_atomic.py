"""Atomic writes: a writer that fails or is killed never leaves a half file or a temp file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tweetgeo.io import atomic_path, read_json, write_csv, write_json, write_parquet


class Boom(RuntimeError):
    pass


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_path_failure_keeps_old_content(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    with pytest.raises(Boom):
        with atomic_path(target) as tmp:
            tmp.write_text("new, half")
            raise Boom
    assert target.read_text() == "old\n"
    assert _only(tmp_path) == ["out.txt"]


def test_atomic_path_failure_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(Boom):
        with atomic_path(tmp_path / "sub" / "out.txt") as tmp:
            tmp.write_text("half")
            raise Boom
    assert _only(tmp_path / "sub") == []


def test_atomic_path_success_replaces_and_is_readable(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    with atomic_path(target) as tmp:
        tmp.write_text("new\n")
    assert target.read_text() == "new\n" and _only(tmp_path) == ["out.txt"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_write_json_unserialisable_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    write_json({"a": np.float32(1.5), "b": np.arange(2)}, target)
    assert read_json(target) == {"a": 1.5, "b": [0, 1]}
    with pytest.raises(TypeError):
        write_json({"a": object()}, target)
    assert read_json(target) == {"a": 1.5, "b": [0, 1]}
    assert _only(tmp_path) == ["m.json"]


def test_write_parquet_and_csv_failure_keep_old_file(tmp_path: Path) -> None:
    good = pd.DataFrame({"x": [1, 2]})
    bad = pd.DataFrame({"x": [object(), object()]})  # pyarrow cannot convert it
    write_parquet(good, tmp_path / "t.parquet")
    with pytest.raises(Exception):  # noqa: B017  (pyarrow's own error class varies by version)
        write_parquet(bad, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), good)

    class Exploding(pd.DataFrame):
        def to_csv(self, path, **kwargs):
            Path(path).write_text("x\n1\n")  # half written, then the disk is full
            raise OSError(28, "No space left on device")

    write_csv(good, tmp_path / "t.csv")
    with pytest.raises(OSError):
        write_csv(Exploding(good), tmp_path / "t.csv")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "t.csv"), good)
    assert _only(tmp_path) == ["t.csv", "t.parquet"]


CHILD = """
import sys
import numpy as np, pandas as pd
from tweetgeo.io import write_parquet
rng = np.random.default_rng(0)
frame = pd.DataFrame({"text": rng.integers(0, 10**12, 600_000).astype(str),
                      "x": rng.normal(size=600_000)})
print("ready", flush=True)
while True:
    write_parquet(frame, sys.argv[1])
"""


def test_sigkill_mid_write_leaves_old_or_complete_file(tmp_path: Path) -> None:
    """Kill a child rewriting a big parquet in a loop at random moments: the target is
    always absent or a complete file (600k rows), never a truncated one."""
    target = tmp_path / "big.parquet"
    rng = np.random.default_rng(1)
    mid_write = complete = 0
    for _attempt in range(12):  # until a kill has hit a write half-way (and one a whole file)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(target)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            time.sleep(float(rng.uniform(0.0, 0.5)))
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait()
        assert child.returncode == -signal.SIGKILL
        if target.exists():
            assert len(pd.read_parquet(target)) == 600_000
            complete += 1
        leftovers = [p for p in tmp_path.iterdir() if p != target]
        for p in leftovers:  # SIGKILL leaves the hidden temp file behind, never a bad target
            assert p.name.startswith(".big.parquet.") and p.name.endswith(".tmp")
            mid_write += p.stat().st_size > 0
            p.unlink()
        if mid_write and complete:
            break
    assert mid_write and complete, (mid_write, complete)


def test_json_reports_are_complete_json(tmp_path: Path) -> None:
    """What a later stage reads is valid JSON even right after a rewrite."""
    target = tmp_path / "r.json"
    for i in range(20):
        write_json({"i": i, "values": list(range(i))}, target)
        assert json.loads(target.read_text())["i"] == i
