"""`make bench` runs: the throughput benchmark on a few real tweets prints a training and a predict
line for each family asked for (it once crashed on families without a bare Keras build)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_throughput_benchmark_prints_each_family() -> None:
    families = ["tfidf", "ngram_bag", "rnn", "mention_graph", "ensemble"]
    proc = subprocess.run([sys.executable, "benchmarks/throughput.py", "--train-rows", "128", "--predict-rows",
                           "100", "--encoder-rows", "8", "--labels", "10", "--families", ",".join(families)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    training, predict = proc.stdout.split("## Predict", 1)
    for family in families:
        line = r"/s wall +\d+/CPU-s" if family != "ensemble" else "trains nothing"
        assert re.search(rf"^  {family} .*({line})", training, re.M), (family, training)
        assert re.search(rf"^  {family} +\S+ +\d+/s wall", predict, re.M), (family, predict)
    assert "bfloat16 vs float32" in predict  # the encoder table


def test_noop_repro_benchmark_times_scratch_projects() -> None:
    proc = subprocess.run([sys.executable, "benchmarks/noop_repro.py", "--stages", "2", "4", "--deps", "1",
                           "--rounds", "1", "--scratch-only"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = re.findall(r"^  scratch: +(\d+) stages x +1 deps +([\d.]+) s", proc.stdout, re.M)
    assert [int(n) for n, _ in lines] == [2, 4], proc.stdout
    assert all(float(s) > 0 for _, s in lines)
