"""`tweetgeo predict` end to end (a subprocess: start-up, reading, model, writing), per run kind.

Times the real command on N raw Yachay tweets (data/raw/yachay, every 19th line from line 3, over
all 123 regions, none of them a tweet stand-in models are fitted on) for three runs found under --models: a Yachay
TF-IDF run, a Yachay RNN (geo labels) run and a disaster RNN (binary) run, the first of each by
name.
With --baseline-src the same commands also run with PYTHONPATH=<that tree's src>, interleaved
with this tree's (baseline, ours, baseline, ours, …), and the table gives the ratio and how far
the two output CSVs are apart (identical, or the largest difference of a numeric column);
--baseline-models gives the baseline its own runs (stand-ins it built) when the trees save models
in different formats. Wall seconds depend on what else runs on the machine;
CPU seconds (the command and its children) are printed beside them.

When no trained runs exist (a fresh checkout: `dvc pull` or `dvc repro` fetch them),
--build-standins DIR writes three stand-in runs there from params.yaml's specs: the TF-IDF
yardstick fitted on real Yachay tweets with their region labels, and BiGRUs with random weights
over the real vocabulary (the time does not depend on the values):

    python benchmarks/predict_command.py [--models models] [--tweets 30000] [--rounds 1]
                                         [--baseline-src ../other/src] [--baseline-models DIR]
                                         [--build-standins DIR]
                                         [--skip-missing]
"""

from __future__ import annotations

import argparse
import filecmp
import gzip
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
YACHAY = ROOT / "data/raw/yachay/yachay_regions.jsonl.gz"
KINDS = ("yachay-tfidf", "yachay-rnn", "disaster-rnn")
STANDINS = {"yachay-tfidf": "yachay-tfidf-kdtree", "yachay-rnn": "yachay-bigru-kdtree",
            "disaster-rnn": "disaster-bigru"}
STANDIN_FIT_ROWS = 8000  # Yachay tweets the stand-in TF-IDF model is fitted on


INPUT_STEP, FIT_STEP = 19, 76  # lines 3, 22, 41, … are timed; 0, 76, 152, … fit stand-ins (disjoint)


def yachay_rows(n: int, skip: int, step: int) -> list[dict]:
    """n Yachay records, every `step`-th line from `skip` (the file is ordered by region: a wide
    step reaches all of them)."""
    with gzip.open(YACHAY, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in itertools.islice(itertools.islice(fh, skip, None, step), n)]


def find_runs(models: Path) -> dict[str, Path]:
    """The first run directory (by name) of each kind under `models`, from its card.json."""
    found: dict[str, Path] = {}
    for card_path in sorted(models.glob("*/card.json")):
        spec = json.loads(card_path.read_text(encoding="utf-8"))["spec"]
        family = spec["options"]["family"]
        kind = f"{spec['dataset']}-{family}"
        if kind in KINDS and kind not in found:
            found[kind] = card_path.parent
    return found


def build_standins(folder: Path) -> None:
    """Three stand-in runs in `folder` (see the module docstring)."""
    from collections import Counter

    import numpy as np
    import pandas as pd

    from tweetgeo import paths
    from tweetgeo.config import load_params
    from tweetgeo.keras_training import build_model
    from tweetgeo.modelcard import ModelCard, save_card
    from tweetgeo.models.keras_family import Head, TextInputs
    from tweetgeo.models.tfidf import TfidfLinear, fit_vectorizers
    from tweetgeo.runspec import resolve_run
    from tweetgeo.text import TextCleaner

    params = load_params(ROOT / "params.yaml")
    rows = yachay_rows(STANDIN_FIT_ROWS, skip=0, step=FIT_STEP)
    regions = sorted({r["region"] for r in rows})
    label_of = {region: i for i, region in enumerate(regions)}
    y = np.array([label_of[r["region"]] for r in rows])
    lonlat = np.array([[float(c) for c in r["coordinates"]] for r in rows])
    points = pd.DataFrame({"label": range(len(regions)),
                           "lat": [lonlat[y == i, 1].mean() for i in range(len(regions))],
                           "lon": [lonlat[y == i, 0].mean() for i in range(len(regions))],
                           "name": [f"region {r}" for r in regions]})
    clean = TextCleaner(params.clean_for("yachay")).clean_many([r["text"] for r in rows])
    counts = Counter(word for text in clean for word in text.split())
    vocabulary = [w for w, _ in counts.most_common(params.embeddings_for("yachay").vocab.max_size)]
    rng = np.random.default_rng(0)
    for kind, run in STANDINS.items():
        spec = resolve_run(params, run)
        out = folder / run
        out.mkdir(parents=True, exist_ok=True)
        n_labels = 2 if spec.task == "binary" else len(regions)
        if kind == "yachay-tfidf":
            model = TfidfLinear(spec.options.C, fit_vectorizers(clean, params.embeddings_for("yachay").tfidf),
                                seed=spec.seed).fit(clean, y)
        else:
            matrix = rng.normal(size=(len(vocabulary) + 2, params.embeddings_for("yachay").word2vec.vector_size))
            inputs = TextInputs(vocabulary, 25, matrix.astype("float32"))
            model = build_model(spec.options, inputs, Head(spec.task, n_labels), spec.train)
        spec.family.save(model, out)
        save_card(ModelCard(spec=spec, n_labels=n_labels), out)
        if spec.task == "geo":
            points.to_csv(paths.model_label_points(out), index=False)
        print(f"stand-in {run}: {out}", flush=True)


def run_once(src: Path, model: Path, inp: Path, out: Path) -> tuple[float, float]:
    """(wall s, CPU s) of one `tweetgeo predict` with PYTHONPATH=src."""
    env = {"TWEETGEO_NLTK_DATA": str(ROOT / "data/raw/nltk_data"),  # a bare src/ tree has none
           **os.environ, "PYTHONPATH": str(src), "TF_CPP_MIN_LOG_LEVEL": "3"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tweetgeo.cli", "predict", "--model", str(model),
                           "--input", str(inp), "--output", str(out)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{src}: predict --model {model} failed:\n{proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def output_difference(first: Path, second: Path) -> str:
    """'identical', the largest absolute difference of the numeric columns when only those
    differ (a NumPy pass against TensorFlow's rounds the last digits), else 'DIFFER'."""
    import pandas as pd

    if filecmp.cmp(first, second, shallow=False):
        return "identical"
    a, b = pd.read_csv(first, keep_default_na=False), pd.read_csv(second, keep_default_na=False)
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return "DIFFER (columns or rows)"
    numeric = [c for c in a.columns if a[c].dtype.kind == "f" and b[c].dtype.kind == "f"]
    other = [c for c in a.columns if c not in numeric and not a[c].equals(b[c])]
    largest = max(((a[c] - b[c]).abs().max() for c in numeric), default=0.0)
    return (f"max |difference| {largest:.1e}" if not other
            else f"DIFFER in {', '.join(other)} (max |difference| {largest:.1e} elsewhere)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=ROOT / "models", help="folder of trained runs")
    parser.add_argument("--tweets", type=int, default=30_000, help="tweets per command")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each command (medians shown)")
    parser.add_argument("--baseline-src", type=Path, help="another tree's src/, run interleaved with ours")
    parser.add_argument("--baseline-models", type=Path,
                        help="the baseline's runs (default: --models), e.g. stand-ins its own tree built")
    parser.add_argument("--build-standins", type=Path, metavar="DIR",
                        help="write stand-in runs into DIR first and time those")
    parser.add_argument("--skip-missing", action="store_true",
                        help="no trained runs under --models: say so and exit 0 (make bench)")
    args = parser.parse_args()
    if args.build_standins:
        build_standins(args.build_standins)
        args.models = args.build_standins
    runs = find_runs(args.models)
    if not runs and args.skip_missing:
        print(f"# tweetgeo predict: no trained runs under {args.models}, skipped")
        return
    if not runs:
        raise SystemExit(f"{args.models}: no trained runs (dvc pull, or --build-standins DIR)")
    trees = {"ours": ROOT / "src"}
    models = {"ours": runs}
    if args.baseline_src:
        trees = {"baseline": args.baseline_src.resolve(), **trees}
        models["baseline"] = find_runs(args.baseline_models) if args.baseline_models else runs
    with tempfile.TemporaryDirectory() as folder:
        import pandas as pd

        rows = yachay_rows(args.tweets, skip=3, step=INPUT_STEP)
        inp = Path(folder) / "tweets.csv"
        pd.DataFrame({"id": range(len(rows)), "text": [r["text"].replace("\r", " ") for r in rows]}
                     ).to_csv(inp, index=False)  # a lone CR would end a CSV row
        print(f"# tweetgeo predict, {len(rows)} Yachay tweets, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}; {args.rounds} round(s), trees: "
              + ", ".join(f"{k}={v}" for k, v in trees.items()), flush=True)
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.rounds):
            for kind in (k for k in KINDS if k in runs):
                for tree, src in trees.items():
                    out = Path(folder) / f"{kind}-{tree}.csv"
                    times.setdefault((kind, tree), []).append(run_once(src, models[tree][kind], inp, out))
        for kind in (k for k in KINDS if k in runs):
            line = f"{kind:13s} {runs[kind].name:24s}"
            for tree in trees:
                wall = statistics.median(t[0] for t in times[kind, tree])
                cpu = statistics.median(t[1] for t in times[kind, tree])
                line += f" | {tree} {wall:6.2f} s ({len(rows) / wall:6.0f} tweets/s) {cpu:6.2f} CPU-s"
            if len(trees) == 2:
                base = statistics.median(t[0] for t in times[kind, "baseline"])
                ours = statistics.median(t[0] for t in times[kind, "ours"])
                line += f" | {base / ours:.2f}x, outputs " + output_difference(
                    Path(folder) / f"{kind}-baseline.csv", Path(folder) / f"{kind}-ours.csv")
            print(line, flush=True)


if __name__ == "__main__":
    main()
