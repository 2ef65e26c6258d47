"""What refitting on train + validation could buy a neural binary run: its learning curve on VALIDATION (issue 10).

The neural counterpart of `refit_gain.py` (which fits the TF-IDF yardstick): the run, through the
pipeline's own `fit_model` and threshold choice (`_binary_seeds.validation_f1`), fitted on a random
n_train² / (n_train + n_validation) of the train rows (the ratio a refit on train + validation
would add) and on all train rows, for each seed; validation F1 at 0.5 and at the F1-best threshold
(optimistic, alike for both). Test is never read. Needs the run's features (`dvc repro
embed@<dataset>`). Usage:

    python experiments/rnn_refit_gain.py [--run disaster-bigru-finetune] [--seeds 42 43 44]
"""

from __future__ import annotations

import argparse

import numpy as np
from _binary_seeds import binary_run, mean_line, validation_f1

from tweetgeo.rundata import label_points, n_labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="disaster-bigru-finetune")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    args = parser.parse_args()
    _, spec, train, val = binary_run(args.run)
    n_classes = n_labels(spec, label_points(spec))
    n_sub = round(len(train) ** 2 / (len(train) + len(val)))
    print(f"{args.run}: {len(train)} train, {len(val)} validation rows; subsample {n_sub} "
          f"(the ratio train + validation would add: {(len(train) + len(val)) / len(train):.3f}x)")
    full, sub = [], []
    for seed in args.seeds:
        rows = np.random.default_rng(seed).choice(len(train), n_sub, replace=False)
        sub.append(validation_f1(spec, n_classes, train.subset(np.sort(rows)), val, seed))
        full.append(validation_f1(spec, n_classes, train, val, seed))
        print(f"  seed {seed}: all train F1 {full[-1][0]:.4f} / {full[-1][1]:.4f}, "
              f"subsample {sub[-1][0]:.4f} / {sub[-1][1]:.4f} (at 0.5 / at the F1-best threshold)", flush=True)
    print(mean_line("  all train", full))
    print(mean_line("  subsample", sub))


if __name__ == "__main__":
    main()
