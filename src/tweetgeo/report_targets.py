"""The report's quality-bar and levers sections: each bar met or its measured gap, and every lever
the default run tried with its validation numbers, all read from files the pipeline wrote.

Best runs are chosen on validation (GeoText: on the 5-fold CV of the train split); test is only read
to report the chosen run. A data set or run that is not in params.yaml is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tweetgeo import paths
from tweetgeo.config import Params
from tweetgeo.io import read_json
from tweetgeo.metric_files import read_details
from tweetgeo.metrics import paired_bootstrap_pvalue
from tweetgeo.runspec import RunSpec, resolve_run

ALPHA = 0.05  # a neural run "loses" to the yardstick when the paired bootstrap p is below this


@dataclass(frozen=True)
class Row:
    """One line of the targets table."""

    target: str
    bar: str
    chosen: str
    measured: str
    met: bool
    gap: str


# ---------------------------------------------------------------- reading the pipeline's files
def _split(run: str, split: str, metric: str) -> dict | None:
    value = read_details(run).get(split, {}).get(metric)
    return value if isinstance(value, dict) and value.get("value") is not None else None


def _value(run: str, split: str, metric: str) -> float | None:
    found = _split(run, split, metric)
    return None if found is None else float(found["value"])


def _cv(run: str, metric: str) -> dict | None:
    return read_details(run).get("cv", {}).get("metrics", {}).get(metric)


def _with_ci(metric: dict | None, digits: int) -> str:
    if metric is None:
        return "–"
    text = f"{metric['value']:.{digits}f}"
    if metric.get("ci_low") is not None:
        text += f" [{metric['ci_low']:.{digits}f}, {metric['ci_high']:.{digits}f}]"
    return text


def _digits(metric: str) -> int:
    return 0 if "_km" in metric else 3


def _best(candidates: list[tuple[str, str]], score: Callable[[str, str], float | None],
          higher: bool) -> tuple[str, str] | None:
    """The (run, metric) with the best score; None when no candidate has one."""
    scored = [(s, c) for c in candidates if (s := score(*c)) is not None]
    if not scored:
        return None
    return (max if higher else min)(scored, key=lambda item: item[0])[1]


def _gap(value: float, bar: float, higher: bool, digits: int) -> tuple[bool, str]:
    met = value >= bar if higher else value <= bar
    delta = value - bar
    return met, "met" if met else f"{delta:+.{digits}f}"


# ---------------------------------------------------------------- the bars (issue 10)
def _test_bar(target: str, runs: list[str], metrics: list[str], bar: float, higher: bool) -> Row | None:
    """Best (run, metric) on validation; its test value with CI against the bar."""
    chosen = _best([(r, m) for r in runs for m in metrics], lambda r, m: _value(r, "validation", m), higher)
    if chosen is None:
        return None
    run, metric = chosen
    test, digits = _split(run, "test", metric), _digits(metric)
    if test is None:
        return None
    met, gap = _gap(float(test["value"]), bar, higher, digits)
    measured = (f"{_with_ci(test, digits)} ({metric}; validation "
                f"{_value(run, 'validation', metric):.{digits}f})")
    return Row(target, f"{'≥' if higher else '≤'} {bar:g}", run, measured, met, gap)


def _cv_bar(target: str, runs: list[str], metrics: list[str], bar: float, higher: bool) -> Row | None:
    """Best (run, metric) by k-fold CV mean; mean ± std against the bar, test beside it."""
    chosen = _best([(r, m) for r in runs for m in metrics],
                   lambda r, m: (_cv(r, m) or {}).get("mean"), higher)
    if chosen is None:
        return None
    run, metric = chosen
    cv, digits = _cv(run, metric), _digits(metric)
    met, gap = _gap(float(cv["mean"]), bar, higher, digits)
    measured = (f"CV {cv['mean']:.{digits}f} ± {cv['std']:.{digits}f} ({metric}); "
                f"test {_with_ci(_split(run, 'test', metric), digits)}")
    return Row(target, f"{'≥' if higher else '≤'} {bar:g}", run, measured, met, gap)


def _cv_tie(target: str, run: str, yardstick: str, metric: str) -> Row | None:
    """Tie: the run's CV mean plus one std reaches the yardstick's CV mean."""
    a, b = _cv(run, metric), _cv(yardstick, metric)
    if a is None or b is None:
        return None
    met = a["mean"] + a["std"] >= b["mean"]
    gap = "met" if met else f"{a['mean'] - b['mean']:+.3f}"
    measured = (f"CV {metric} {a['mean']:.3f} ± {a['std']:.3f} vs yardstick "
                f"{b['mean']:.3f} ± {b['std']:.3f}")
    return Row(target, "tie (mean + std ≥ yardstick mean)", run, measured, met, gap)


def _errors(run: str) -> pd.DataFrame | None:
    path = paths.predictions(run, "test")
    if not path.exists():
        return None
    table = pd.read_parquet(path)
    column = "error_km_expected" if "error_km_expected" in table else "error_km"
    return table[["id", column]].rename(columns={column: "km"})


def _median(_truth: np.ndarray, km: np.ndarray) -> np.ndarray:
    """Median km of each resample row (r, n) → (r,)."""
    return np.median(km, axis=-1)


def _ties(params: Params, target: str, runs: list[str], yardstick: str) -> Row | None:
    """Each neural run against the yardstick on test median km (paired bootstrap, one-sided)."""
    base = _errors(yardstick)
    if base is None:
        return None
    losers, compared = [], 0
    for run in runs:
        other = _errors(run)
        if other is None or not other["id"].equals(base["id"]):
            continue
        compared += 1
        p = paired_bootstrap_pvalue(_median, np.zeros(len(base)), base["km"].to_numpy(), other["km"].to_numpy(),
                                    resamples=max(params.evaluate.bootstrap, 1), seed=params.seed,
                                    higher_is_better=False, batched=True)
        if p < ALPHA:
            losers.append(f"{run} ({np.median(other['km']):,.0f} km)")
    if not compared:
        return None
    measured = (f"{compared - len(losers)} of {compared} tie or beat the yardstick "
                f"({np.median(base['km']):,.0f} km)" + ("; worse: " + ", ".join(losers) if losers else ""))
    return Row(target, f"tie (p ≥ {ALPHA})", "every neural run", measured, not losers,
               "met" if not losers else f"{len(losers)} worse")


def _specs(params: Params, runs: list[str], dataset: str) -> dict[str, RunSpec]:
    return {r: resolve_run(params, r) for r in runs if params.all_runs[r].dataset == dataset}


def target_rows(params: Params, runs: list[str]) -> list[Row]:
    """Issue 10's bars, for the data sets of params.yaml that have them."""
    rows: list[Row | None] = []
    disaster = _specs(params, runs, "disaster")
    if disaster:
        every = list(disaster)
        rnn = [r for r, s in disaster.items() if s.family.name == "rnn"]
        yard = [r for r, s in disaster.items() if s.family.yardstick]
        rows += [_test_bar("disaster: best model F1", every, ["f1"], 0.84, True),
                 _test_bar("disaster: best S3 RNN F1", rnn, ["f1"], 0.81, True),
                 _test_bar("disaster: TF-IDF yardstick F1", yard, ["f1"], 0.80, True)]
    geotext = _specs(params, runs, "geotext")
    if geotext:
        every = list(geotext)
        rows += [_cv_bar("GeoText: best Acc@161", every, ["acc_at_161", "acc_at_161_expected"], 0.40, True),
                 _cv_bar("GeoText: best median km", every, ["median_km", "median_km_expected"], 400, False)]
        yard = [r for r, s in geotext.items() if s.family.yardstick]
        s2 = [r for r, s in geotext.items() if s.family.ablation and getattr(s.options, s.family.ablation)]
        if yard and s2:
            rows.append(_cv_tie("GeoText: S2 attention CNN ties the yardstick", s2[0], yard[0], "acc_at_161"))
    yachay = _specs(params, runs, "yachay")
    if yachay:
        every = list(yachay)
        rows += [_test_bar("Yachay: best median km", every, ["median_km", "median_km_expected"], 1000, False),
                 _test_bar("Yachay: best Acc@161", every, ["acc_at_161", "acc_at_161_expected"], 0.20, True)]
        yard = [r for r, s in yachay.items() if s.family.yardstick]
        neural = [r for r, s in yachay.items() if not s.family.yardstick and s.family.neural]
        if yard and neural:
            rows.append(_ties(params, "Yachay: every neural run ties the yardstick (median km)", neural, yard[0]))
    return [row for row in rows if row is not None]


def targets_table(params: Params, runs: list[str]) -> str:
    rows = target_rows(params, runs)
    if not rows:
        return "_No run of the data sets these bars are set for._"
    lines = ["| bar | target | chosen run | measured | met? / gap |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row.target} | {row.bar} | {row.chosen} | {row.measured} | "
                     f"{'**met**' if row.met else row.gap} |")
    met = sum(row.met for row in rows)
    return "\n".join(lines) + f"\n\n{met} of {len(rows)} bars met."


# ---------------------------------------------------------------- levers tried (validation)
def _lever_metrics(task: str) -> list[tuple[str, bool]]:
    return [("f1", True)] if task == "binary" else [("acc_at_161", True), ("median_km_expected", False)]


def _difference(a: RunSpec, b: RunSpec) -> str | None:
    """What one setting tells run b from run a, or None when they differ in more than one."""
    if a.dataset != b.dataset or a.train.cv_folds != b.train.cv_folds:
        return None
    axes = [name for name in ("labels", "features") if getattr(a, name) != getattr(b, name)]
    if a.model != b.model:
        if a.options.family != b.options.family:
            return None
        left, right = a.options.model_dump(), b.options.model_dump()
        changed = [k for k in sorted(set(left) | set(right)) if left.get(k) != right.get(k)]
        if len(changed) != 1 or axes:
            return None
        key = changed[0]
        return f"{a.options.family} {key}: {left.get(key)} → {right.get(key)}"
    if len(axes) != 1:
        return None
    return f"{axes[0]}: {getattr(a, axes[0])} → {getattr(b, axes[0])}"


def _fmt(value: float | None, metric: str) -> str:
    return "–" if value is None else f"{value:.{_digits(metric)}f}"


def pair_levers(params: Params, runs: list[str]) -> list[str]:
    """Run pairs that differ in exactly one setting: validation metrics of each, and the change."""
    specs = {r: resolve_run(params, r) for r in runs}
    lines = []
    for a, sa in specs.items():
        for b, sb in specs.items():
            if a >= b:
                continue
            lever = _difference(sa, sb)
            if lever is None:
                continue
            for metric, higher in _lever_metrics(sa.task):
                va, vb = _value(a, "validation", metric), _value(b, "validation", metric)
                if va is None or vb is None:
                    continue
                better = (vb > va) if higher else (vb < va)
                lines.append(f"| {sa.dataset} | {lever} | {a} → {b} | {metric} | {_fmt(va, metric)} → "
                             f"{_fmt(vb, metric)} | {'helps' if better else 'does not help'} |")
    return lines


def decision_levers(params: Params, runs: list[str]) -> list[str]:
    """Per run: the F1 threshold chosen on validation (vs 0.5), expected-distance decoding (vs argmax)."""
    lines = []
    for run in runs:
        spec = resolve_run(params, run)
        if spec.task == "binary":
            summary = paths.train_summary(spec.model_dir)
            facts = read_json(summary) if summary.exists() else {}
            half, tuned = facts.get("validation_f1_at_0.5"), facts.get("validation_f1_at_threshold")
            if half is not None and tuned is not None:
                lines.append(f"| {spec.dataset} | threshold {facts.get('threshold', 0.5):.2f} (vs 0.5), chosen on "
                             f"validation | {run} | f1 | {half:.3f} → {tuned:.3f} | "
                             f"{'helps' if tuned > half else 'does not help'} (optimistic: same rows) |")
            continue
        argmax, expected = _value(run, "validation", "median_km"), _value(run, "validation", "median_km_expected")
        if argmax is not None and expected is not None:
            lines.append(f"| {spec.dataset} | expected-distance decoding (vs argmax) | {run} | median_km | "
                         f"{argmax:.0f} → {expected:.0f} | {'helps' if expected < argmax else 'does not help'} |")
    return lines


def cleaning_levers(params: Params) -> list[str]:
    """The `levers` stage's files: each cleaning variant scored by the yardstick on validation."""
    lines = []
    for dataset in params.levers.datasets:
        path = paths.levers_report(dataset)
        if not path.exists():
            continue
        found = read_json(path)
        for row in found["rows"]:
            scores = ", ".join(f"{k} {v:.0f}" if "_km" in k else f"{k} {v:.3f}" for k, v in row["metrics"].items())
            lines.append(f"| {dataset} | cleaning: {row['variant']} | {found['model']} | {scores} |")
    return lines


def levers_section(params: Params, runs: list[str]) -> str:
    """Markdown: the cleaning levers, then the run-pair and decision levers, all on validation."""
    parts = []
    cleaning = cleaning_levers(params)
    if cleaning:
        parts += ["Cleaning (stage `levers`, `reports/levers/<dataset>.json`: the yardstick retrained after each "
                  "variant; validation):", "", "| data set | lever | model | validation |", "|---|---|---|---|",
                  *cleaning, ""]
    pairs = pair_levers(params, runs)
    if pairs:
        parts += ["Run pairs of the default run that differ in one setting (validation):", "",
                  "| data set | lever | runs | metric | validation | |", "|---|---|---|---|---|---|", *pairs, ""]
    decisions = decision_levers(params, runs)
    if decisions:
        parts += ["Decisions (validation; `models/<run>/train_summary.json`, `reports/details/<run>.json`):", "",
                  "| data set | lever | run | metric | validation | |", "|---|---|---|---|---|---|", *decisions, ""]
    return "\n".join(parts) if parts else "_No lever measured yet._"
