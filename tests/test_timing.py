"""Every stage run through stages/_common.main writes its timing file, a summary line and the table."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAKE = '''from _common import main
def stage(params, argv):
    return {"rows": 1234, "best_epoch": 3, "epochs_run": 5}
if __name__ == "__main__":
    main(stage)
'''


def test_stage_writes_timing_file_summary_and_table(tmp_path: Path) -> None:
    (tmp_path / "stages").mkdir()
    shutil.copy(ROOT / "stages" / "_common.py", tmp_path / "stages")
    shutil.copy(ROOT / "params.yaml", tmp_path)
    (tmp_path / "stages" / "fake.py").write_text(FAKE)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run([sys.executable, "stages/fake.py", "ds1"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True)
    entry = json.loads((tmp_path / "reports/timing/fake@ds1.json").read_text())
    assert entry["stage"] == "fake" and entry["item"] == "ds1" and entry["rows"] == 1234
    assert entry["device"] == "cpu" and entry["seconds"] >= 0 and entry["best_epoch"] == 3
    assert "fake@ds1: done in" in proc.stdout and "1234 rows" in proc.stdout and "best epoch 3 of 5" in proc.stdout
    table = (tmp_path / "reports/timing.md").read_text()
    assert "| fake | ds1 |" in table


def test_headline_reads_ci_values() -> None:
    from tweetgeo.timing import headline

    line = headline({"accuracy": {"value": 0.77675, "ci_low": 0.7, "ci_high": 0.8}, "f1": 0.5, "rows": 10})
    assert line == "accuracy 0.7768, f1 0.5 (10 rows)"
