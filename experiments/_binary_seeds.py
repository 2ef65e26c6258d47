"""Binary runs in experiments: loading one, and fitting it with one seed scored on validation only."""

from __future__ import annotations

import statistics

from tweetgeo.config import Params, load_params
from tweetgeo.rundata import SplitData, load_run_splits
from tweetgeo.runspec import RunSpec, resolve_run


def binary_run(name: str) -> tuple[Params, RunSpec, SplitData, SplitData]:
    """params.yaml, the binary run `name` resolved, and its train and validation splits; exits
    with a message when the run is not binary."""
    params = load_params()
    spec = resolve_run(params, name)
    if spec.task != "binary":
        raise SystemExit(f"{name}: a binary run is needed (its task is {spec.task})")
    splits = load_run_splits(spec)
    return params, spec, splits["train"], splits["validation"]


def validation_f1(spec: RunSpec, n_classes: int, train: SplitData, val: SplitData,
                  seed: int) -> tuple[float, float, int | None]:
    """Validation F1 at 0.5 and at the F1-best threshold, and the best epoch, of `spec` with `seed`."""
    from tweetgeo import runtime  # TensorFlow: only here, so that binary_run stays light
    from tweetgeo.train import decision_threshold, fit_model

    run = spec.model_copy(update={"seed": seed})
    runtime.seed_everything(seed)
    fitted = fit_model(run, n_classes, train, val)
    _, chosen = decision_threshold(run, fitted.model, val)
    return (chosen["validation_f1_at_0.5"], chosen["validation_f1_at_threshold"],
            fitted.summary.get("best_epoch"))


def mean_line(label: str, scores: list[tuple[float, float, int | None]]) -> str:
    """`label`: mean validation F1 (± std over seeds) at 0.5, and at the F1-best threshold."""
    at_half = [s[0] for s in scores]
    at_best = [s[1] for s in scores]
    spread = statistics.stdev(at_half) if len(at_half) > 1 else 0.0
    return (f"{label}: mean validation F1 {statistics.mean(at_half):.4f} ± {spread:.4f} at 0.5, "
            f"{statistics.mean(at_best):.4f} at the F1-best threshold ({len(scores)} seeds)")
