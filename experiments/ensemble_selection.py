"""Which disaster runs to average: greedy forward selection (Caruana et al. 2004) on VALIDATION only.

Reads each binary run's saved validation predictions (`reports/predictions/<run>/validation.parquet`,
written by `evaluate`), so it needs a finished `dvc repro` and trains nothing. Starting from the
single best run, it adds the run (without replacement) whose equal-weight mean of probabilities
raises validation F1 at the F1-best threshold the most, and stops when none does. Because the
same rows choose the members and score them, the procedure is also run inside a 5-fold split of
the validation rows (choose on four fifths, score the fifth) to show how much of its gain is
selection optimism. Test predictions are never read. Usage:

    python experiments/ensemble_selection.py [--dataset disaster] [--max-members 5]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from tweetgeo import paths
from tweetgeo.config import load_params
from tweetgeo.metrics import classification_metrics, f1_threshold


def validation_probabilities(runs: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The true labels and each run's positive probability, rows aligned by id."""
    tables = {run: pd.read_parquet(paths.predictions(run, "validation")).set_index("id").sort_index()
              for run in runs}
    ids = next(iter(tables.values())).index
    for run, table in tables.items():
        if not table.index.equals(ids):
            raise SystemExit(f"{paths.predictions(run, 'validation')}: other rows than {runs[0]}'s")
    truth = next(iter(tables.values()))["true_label"].to_numpy()
    return truth, {run: table["probability"].to_numpy() for run, table in tables.items()}


def f1_at_best(truth: np.ndarray, probability: np.ndarray) -> float:
    return classification_metrics(truth, probability >= f1_threshold(truth, probability))["f1"]


def greedy(truth: np.ndarray, probs: dict[str, np.ndarray], max_members: int) -> list[str]:
    """Forward selection without replacement; stops when no run raises F1."""
    chosen = [max(probs, key=lambda run: f1_at_best(truth, probs[run]))]
    best = f1_at_best(truth, probs[chosen[0]])
    while len(chosen) < max_members:
        scores = {run: f1_at_best(truth, np.mean([probs[r] for r in [*chosen, run]], axis=0))
                  for run in probs if run not in chosen}
        if not scores:
            break
        run, score = max(scores.items(), key=lambda item: item[1])
        if score <= best:
            break
        chosen.append(run)
        best = score
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="disaster")
    parser.add_argument("--max-members", type=int, default=5)
    args = parser.parse_args()
    params = load_params()
    runs = [name for name, run in params.runs.items() if run.dataset == args.dataset and run.labels == "target"]
    truth, probs = validation_probabilities(runs)
    for run in sorted(runs, key=lambda r: -f1_at_best(truth, probs[r])):
        print(f"  {run:28s} validation F1 {f1_at_best(truth, probs[run]):.3f}")
    chosen = greedy(truth, probs, args.max_members)
    mean = np.mean([probs[r] for r in chosen], axis=0)
    print(f"greedy on all validation rows: {' + '.join(chosen)} → F1 {f1_at_best(truth, mean):.3f} (optimistic)")
    for name, entry in params.ensembles.items():
        if entry.dataset == args.dataset:
            fixed = f1_at_best(truth, np.mean([probs[m] for m in entry.members], axis=0))
            print(f"{name} (params.yaml): {' + '.join(entry.members)} → F1 {fixed:.3f} (optimistic)")
    held, single = [], []
    for fit, score in StratifiedKFold(5, shuffle=True, random_state=params.seed).split(truth, truth):
        picked = greedy(truth[fit], {r: p[fit] for r, p in probs.items()}, args.max_members)
        mean = np.mean([probs[r][fit] for r in picked], axis=0)
        threshold = f1_threshold(truth[fit], mean)  # chosen on the four fifths, applied to the fifth
        held.append(classification_metrics(truth[score], np.mean([probs[r][score] for r in picked], axis=0)
                                           >= threshold)["f1"])
        best = picked[0]
        single.append(classification_metrics(truth[score], probs[best][score]
                                             >= f1_threshold(truth[fit], probs[best][fit]))["f1"])
        print(f"  fold: {' + '.join(picked)} → held-out fifth F1 {held[-1]:.3f} (its best single run {single[-1]:.3f})")
    print(f"greedy selection, 5-fold within validation: F1 {np.mean(held):.3f} ± {np.std(held):.3f} "
          f"(best single run chosen the same way: {np.mean(single):.3f} ± {np.std(single):.3f})")


if __name__ == "__main__":
    main()
