"""What a no-op `dvc repro` costs per stage (issue 11: target ≤ 3 s), in scratch DVC projects.

Builds throw-away git + DVC projects under a temporary directory with N trivial `foreach` stages
(each: a params.yaml entry, D small files as dependencies, one output), runs `dvc repro` once to
build them, then times no-op `dvc repro` R times and prints the median, and `dvc repro -f -s` of one
trivial stage: what DVC adds to every stage that runs (it parses and rewrites the whole dvc.lock,
whose size grows with stages × deps). The no-op is timed in this repository (its real pipeline) for
comparison, only when `dvc status` says it is up to date; with --baseline, also in another checkout of
it (e.g. an earlier commit whose outputs are checked out from this cache), alternating the two, and
`dvc repro -f -s fingerprint` there and here (a quick stage with unchanged outputs).
Nothing here runs a model; all timings come from one run on one machine, so compare them with
each other, not with other machines. Usage:

    python benchmarks/noop_repro.py [--stages 10 40 80] [--deps 1 30] [--rounds 3] [--scratch-only]
                                    [--baseline DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DVC = str(Path(sys.executable).with_name("dvc"))
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x.invalid",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x.invalid"}


def sh(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, cwd=cwd, env=env or ENV, check=True, capture_output=True, text=True)


def scratch_project(where: Path, stages: int, deps: int) -> Path:
    """A git + DVC project with `stages` foreach stages of `deps` dependencies each."""
    where.mkdir(parents=True)
    sh(["git", "init", "-q"], where)
    sh([DVC, "init", "-q"], where)
    (where / "src").mkdir()
    for i in range(deps):
        (where / "src" / f"m{i}.py").write_text(f"X = {i}\n")
    items = "\n".join(f"  s{i}: {{size: {i}}}" for i in range(stages))
    (where / "params.yaml").write_text(f"seed: 1\nitems:\n{items}\n")
    dep_lines = "\n".join(f"        - src/m{i}.py" for i in range(deps))
    (where / "dvc.yaml").write_text(
        "stages:\n  work:\n    foreach: ${items}\n    do:\n"
        "      cmd: python -c \"open('out/${key}.txt', 'w').write('${item.size}')\"\n"
        f"      deps:\n{dep_lines}\n      params:\n        - seed\n        - items.${{key}}\n"
        "      outs:\n        - out/${key}.txt\n")
    (where / "out").mkdir()
    (where / "out" / ".gitkeep").write_text("")
    sh([DVC, "repro", "-q"], where)
    sh(["git", "add", "-A"], where)
    sh(["git", "commit", "-qm", "scratch"], where)
    return where


def noop_seconds(project: Path, rounds: int) -> float:
    """Median wall seconds of a no-op `dvc repro` (after one untimed warm-up)."""
    sh([DVC, "repro", "-q"], project)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        sh([DVC, "repro", "-q"], project)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def forced_stage_seconds(project: Path, rounds: int) -> float:
    """Median wall seconds of `dvc repro -f -s` of one trivial stage (it writes one small file)."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        sh([DVC, "repro", "-q", "-f", "-s", "work@s0"], project)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stage_count(project: Path) -> int:
    out = subprocess.run([DVC, "stage", "list", "--name-only"], cwd=project, env=ENV, check=True,
                         capture_output=True, text=True).stdout
    return len(out.split())


# a stage both trees have, quick, whose outputs do not change when forced: what DVC adds per stage run
FORCED_STAGE = "fingerprint"


def compare_with_baseline(baseline: Path, n: int, rounds: int) -> None:
    """No-op `dvc repro` here and in `baseline`, alternating round by round: medians and their ratio."""
    if subprocess.run([DVC, "status", "-q"], cwd=baseline, env=ENV).returncode != 0:
        print(f"  baseline {baseline}: not up to date (`dvc status`): not timed")
        return
    m = stage_count(baseline)
    # the baseline's stages import its own library (this venv's editable install points here)
    envs = {ROOT: ENV, baseline: {**ENV, "PYTHONPATH": str(baseline.resolve() / "src")}}
    forced = ["repro", "-q", "-f", "-s", FORCED_STAGE]
    for what, args in (("no-op dvc repro", ["repro", "-q"]), (f"dvc repro -f -s {FORCED_STAGE}", forced)):
        times: dict[Path, list[float]] = {ROOT: [], baseline: []}
        for project in times:
            sh([DVC, *args], project, envs[project])  # warm-up
        for _ in range(rounds):
            for project in times:
                start = time.perf_counter()
                sh([DVC, *args], project, envs[project])
                times[project].append(time.perf_counter() - start)
        here, base = (statistics.median(times[p]) for p in (ROOT, baseline))
        print(f"  {what}: this repository ({n} stages, dvc.lock {_kb(ROOT):.0f} KB) {here:5.2f} s; "
              f"baseline {baseline} ({m} stages, dvc.lock {_kb(baseline):.0f} KB) {base:5.2f} s; "
              f"ratio {base / here:.2f}x (rounds alternate; median of {rounds})")


def _kb(project: Path) -> float:
    return (project / "dvc.lock").stat().st_size / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, nargs="+", default=[10, 40, 80])
    parser.add_argument("--deps", type=int, nargs="+", default=[1, 30])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scratch-only", action="store_true", help="do not time this repository")
    parser.add_argument("--baseline", type=Path, help="another checkout of this project, up to date: its "
                        "no-op is timed alternately with this one's (side by side)")
    args = parser.parse_args()
    version = subprocess.run([DVC, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"# no-op dvc repro, DVC {version}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; median of {args.rounds}")
    tmp = Path(tempfile.mkdtemp(prefix="noop-repro-"))
    try:
        for stages in args.stages:
            for deps in args.deps:
                project = scratch_project(tmp / f"s{stages}-d{deps}", stages, deps)
                seconds = noop_seconds(project, args.rounds)
                forced = forced_stage_seconds(project, args.rounds)
                lock_kb = (project / "dvc.lock").stat().st_size / 1024
                print(f"  scratch: {stages:>3} stages x {deps:>2} deps  {seconds:5.2f} s  "
                      f"({1000 * seconds / stages:4.0f} ms per stage); one stage forced {forced:5.2f} s "
                      f"(dvc.lock {lock_kb:5.0f} KB)", flush=True)
        if args.scratch_only:
            return
        n = stage_count(ROOT)
        if subprocess.run([DVC, "status", "-q"], cwd=ROOT, env=ENV).returncode != 0:
            print(f"  this repository: {n} stages, not up to date (`dvc status`): not timed, since "
                  "`dvc repro` would run stages")
            return
        if args.baseline is None:
            seconds = noop_seconds(ROOT, args.rounds)
            print(f"  this repository: {n} stages  {seconds:5.2f} s  ({1000 * seconds / n:4.0f} ms per stage)")
            return
        compare_with_baseline(args.baseline, n, args.rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
