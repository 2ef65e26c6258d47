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
import statistics

from tweetgeo import runtime
from tweetgeo.config import load_params
from tweetgeo.rundata import label_points, load_run_splits, n_labels
from tweetgeo.runspec import resolve_run
from tweetgeo.schema import TRAIN, VALIDATION
from tweetgeo.train import decision_threshold, fit_model


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
            run = spec.model_copy(update={"seed": seed})
            runtime.seed_everything(seed)
            fitted = fit_model(run, n_classes, train, val)
            _, chosen = decision_threshold(run, fitted.model, val)
            scores.append((chosen["validation_f1_at_0.5"], chosen["validation_f1_at_threshold"]))
            print(f"  {args.run} with {model}, seed {seed}: validation F1 {scores[-1][0]:.4f} at 0.5, "
                  f"{scores[-1][1]:.4f} at its F1-best threshold (best epoch {fitted.summary.get('best_epoch')})",
                  flush=True)
        at_half, at_best = zip(*scores, strict=True)
        print(f"{args.run} with {model}: mean validation F1 {statistics.mean(at_half):.4f} at 0.5, "
              f"{statistics.mean(at_best):.4f} at the F1-best threshold ({len(scores)} seeds)")


if __name__ == "__main__":
    main()
