"""A binary run trained with another registered model, a few seeds: validation F1 only (issue 10).

For trying a model entry of params.yaml (`models:`) on a run's data and features before adding a
run: e.g. the GloVe BiGRU with its embedding fine-tuned (`bigru_finetune`) instead of frozen. The
run's own model is trained too, with the same seeds, so the two are compared side by side. Prints
validation F1 at 0.5 and at the F1-best threshold on validation (what the run uses; optimistic on
the rows that choose it). Test is never read. Needs the run's embed stage. Usage:

    python experiments/model_variant.py --run disaster-bigru-glove --model bigru_finetune [--seeds 42 43 44]
"""

from __future__ import annotations

import argparse

from _binary_seeds import mean_line, validation_f1

from tweetgeo.config import load_params
from tweetgeo.rundata import label_points, load_run_splits, n_labels
from tweetgeo.runspec import resolve_run
from tweetgeo.schema import TRAIN, VALIDATION


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True)
    parser.add_argument("--model", required=True, help="a key of params.yaml `models:`")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    args = parser.parse_args()
    params = load_params()
    own = params.runs[args.run].model
    for model in (own, args.model):
        params.runs[args.run] = params.runs[args.run].model_copy(update={"model": model})
        spec = resolve_run(params, args.run)
        if spec.task != "binary":
            raise SystemExit(f"{args.run}: a binary run is needed")
        splits = load_run_splits(spec, spec.train.max_train_rows)
        train = splits[TRAIN].subset(splits[TRAIN].labelled)
        val = splits[VALIDATION].subset(splits[VALIDATION].labelled)
        n_classes = n_labels(spec, label_points(spec))
        scores = []
        for seed in args.seeds:
            scores.append(validation_f1(spec, n_classes, train, val, seed))
            print(f"  {args.run} with {model}, seed {seed}: validation F1 {scores[-1][0]:.4f} at 0.5, "
                  f"{scores[-1][1]:.4f} at its F1-best threshold (best epoch {scores[-1][2]})", flush=True)
        print(mean_line(f"{args.run} with {model}", scores))


if __name__ == "__main__":
    main()
