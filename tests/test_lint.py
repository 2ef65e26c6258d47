"""The code base passes ruff (configured in pyproject.toml), as `make lint` checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_passes() -> None:
    folders = ["src", "stages", "tests", "benchmarks", "experiments"]
    result = subprocess.run([sys.executable, "-m", "ruff", "check", *folders], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
