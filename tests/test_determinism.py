"""Same params, same code, CPU: train + evaluate give byte-identical metrics files.

Each repetition runs in a fresh copy of the fixture project and a fresh Python process (its
own hash seed), as two `dvc repro` runs would. train_summary.json holds the wall time and is
expected to differ; it is not a metrics file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fixture_project import PARAMS, env, project_copy

RUNS = sorted(PARAMS["runs"])  # an rnn run on word2vec features and the TF-IDF yardstick

SCRIPT = """
from tweetgeo.config import load_params
from tweetgeo.evaluate import evaluate_run
from tweetgeo.runspec import resolve_run
from tweetgeo.train import train_run
params = load_params("params.yaml")
for run in {runs!r}:
    spec = resolve_run(params, run)
    train_run(spec)
    evaluate_run(spec, params.evaluate.bootstrap)
"""


def _train_and_evaluate(project: Path) -> dict[str, bytes]:
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(runs=RUNS)], cwd=project,
                          env=env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = {f"metrics/{run}.json": project / "reports/metrics" / f"{run}.json" for run in RUNS}
    files.update({f"history/{run}": project / "models" / run / "history.csv" for run in RUNS
                  if PARAMS["models"][PARAMS["runs"][run]["model"]]["family"] != "tfidf"})
    return {name: path.read_bytes() for name, path in files.items()}


def test_two_runs_give_identical_metrics(tmp_path: Path) -> None:
    first = _train_and_evaluate(project_copy(tmp_path / "first"))
    second = _train_and_evaluate(project_copy(tmp_path / "second"))
    assert first.keys() == second.keys() and len(first) == 3
    for name in first:
        assert first[name] == second[name], f"{name} differs between two identical runs"
