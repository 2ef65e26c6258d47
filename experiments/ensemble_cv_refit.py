"""An ensemble's k-fold CV both ways, side by side on one machine: refitting its members on each
fold (the procedure before commit b73072c) against the mean of the members' own out-of-fold
scores (models/<run>/cv_scores.npz, what the ensemble stage does now). Train split only; needs a
finished `dvc repro` of the ensemble's members. Prints each procedure's CV mean ± std. Usage:

    python experiments/ensemble_cv_refit.py [--ensemble geotext-network-ensemble-kdtree]
"""

from __future__ import annotations

import argparse
import time

from tweetgeo import paths, runtime
from tweetgeo.config import load_params
from tweetgeo.cross_validation import cross_validate
from tweetgeo.io import read_json
from tweetgeo.rundata import label_points, load_run_splits, n_labels
from tweetgeo.runspec import resolve_run
from tweetgeo.schema import TRAIN, VALIDATION

SHOWN = ("acc_at_161", "acc_at_161_expected", "median_km", "median_km_expected")


def line(label: str, cv: dict) -> str:
    return f"{label:>34}: " + "  ".join(
        f"{name} {cv['metrics'][name]['mean']:.3f} ± {cv['metrics'][name]['std']:.3f}" for name in SHOWN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ensemble", default="geotext-network-ensemble-kdtree")
    args = parser.parse_args()
    spec = resolve_run(load_params(), args.ensemble)
    runtime.seed_everything(spec.seed)
    splits = load_run_splits(spec, spec.train.max_train_rows)
    train = splits[TRAIN].subset(splits[TRAIN].labelled)
    val = splits[VALIDATION].subset(splits[VALIDATION].labelled)
    points = label_points(spec)
    started = time.perf_counter()
    refit, _ = cross_validate(spec, points, n_labels(spec, points), train, val)  # fits members per fold
    seconds = time.perf_counter() - started
    print(line("members refitted on each fold", refit) + f"  ({seconds:.0f} s)")
    print(line("members' out-of-fold scores", read_json(paths.cv_summary(spec.model_dir))))


if __name__ == "__main__":
    main()
