"""Evaluate one trained run on validation and test: metrics with CIs, predictions, plots."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from tweetgeo import metrics, paths, plots, repeats, webmap
from tweetgeo.geo import haversine_km
from tweetgeo.io import read_json, write_csv, write_parquet
from tweetgeo.metric_files import write_metrics
from tweetgeo.predict import Predictor
from tweetgeo.repeats import repeat_dirs
from tweetgeo.rundata import SplitData, load_run_splits
from tweetgeo.runspec import RunSpec
from tweetgeo.schema import TEST, VALIDATION

EVAL_SPLITS = (VALIDATION, TEST)


def prediction_table(split: SplitData, predicted: pd.DataFrame) -> pd.DataFrame:
    """Truth beside prediction, one row per text, plus the error in km (geo)."""
    table = predicted.copy()
    table.insert(0, "id", split.ids)
    table.insert(1, "true_label", split.labels)
    if split.latlon is not None:
        table.insert(2, "true_lat", split.latlon[:, 0])
        table.insert(3, "true_lon", split.latlon[:, 1])
        table["error_km"] = haversine_km(split.latlon[:, 0], split.latlon[:, 1],
                                                 table["lat"].to_numpy(), table["lon"].to_numpy())
        if "lat_expected" in table:
            table["error_km_expected"] = haversine_km(
                split.latlon[:, 0], split.latlon[:, 1],
                table["lat_expected"].to_numpy(), table["lon_expected"].to_numpy())
    return table


def _with_ci(fn, arrays: dict[str, np.ndarray | None], resamples: int, seed: int) -> dict:
    """{metric: {value, ci_low, ci_high}}; CI bounds are None when bootstrap is off."""
    if resamples == 0:
        return {k: {"value": v, "ci_low": None, "ci_high": None}
                for k, v in fn(**{k: a for k, a in arrays.items() if a is not None}).items()}
    return metrics.with_confidence(fn, arrays, resamples, seed)


def split_metrics(table: pd.DataFrame, task: str, resamples: int, seed: int) -> dict:
    """Headline metrics of one split, each with a 95% bootstrap CI (both decodings for geo)."""
    if task == "binary":
        return _with_ci(metrics.classification_metrics,
                        {"y_true": table["true_label"].to_numpy(), "y_pred": table["target"].to_numpy()},
                        resamples, seed)
    true = table[["true_lat", "true_lon"]].to_numpy()
    has_labels = "label" in table
    arrays = {"true_latlon": true, "pred_latlon": table[["lat", "lon"]].to_numpy(),
              "true_label": table["true_label"].to_numpy() if has_labels else None,
              "pred_label": table["label"].to_numpy() if has_labels else None,
              "top5": (np.stack(table["top5"].str.split().map(lambda r: np.array(r, dtype="int64")))
                       if has_labels else None)}
    result = _with_ci(metrics.geo_metrics, arrays, resamples, seed)
    if "lat_expected" in table:  # distance-aware decoding, same rows and resamples
        decoded = {**arrays, "pred_latlon": table[["lat_expected", "lon_expected"]].to_numpy()}
        for name, value in _with_ci(metrics.geo_metrics, decoded, resamples, seed).items():
            if name.endswith("_km") or name == "acc_at_161":
                result[f"{name}_expected"] = value
    return result


def evaluate_run(spec: RunSpec, bootstrap: int) -> dict:
    """Predict every labelled validation/test row with the trained model; write metrics, predictions
    and plots. `bootstrap`: resamples for the 95% CIs (0: none)."""
    run = spec.name
    predictor = Predictor(spec.model_dir)
    task = spec.task
    splits = load_run_splits(spec)
    result: dict = {"run": run, "dataset": spec.dataset, "model": spec.model,
                    "labels": spec.labels, "features": spec.features}
    tables = {}
    for name in EVAL_SPLITS:
        if name not in splits:
            continue
        split = splits[name]
        predicted = predictor.predict(inputs=split.inputs)
        if task == "binary" and not split.labelled.all():  # Kaggle's test.csv: a submission
            unlabelled = ~split.labelled
            _write_submission(run, split.subset(unlabelled), predicted[unlabelled])
        if task == "binary" and not split.labelled.any():
            continue
        labelled = split.subset(split.labelled) if task == "binary" else split
        table = prediction_table(labelled, predicted[split.labelled] if task == "binary"
                                 else predicted)
        write_parquet(table, paths.predictions(run, name))
        result[name] = split_metrics(table, task, bootstrap, spec.seed)
        result[name]["rows"] = len(table)
        tables[name] = table
    cv = paths.cv_summary(spec.model_dir)
    if cv.exists():  # k-fold cross-validation on the train split (train.cv_folds)
        result["cv"] = read_json(cv)
    again = repeat_dirs(spec.model_dir)
    shutil.rmtree(paths.predictions_dir(run) / "repeats", ignore_errors=True)  # a previous k's leftovers
    if again:  # train.repeats > 1: the spread over every repeat; the metrics above stay repeat 0's
        result["repeats"] = evaluate_repeats(spec, again, splits, result)
    write_metrics(result, run)  # headline values (DVC metrics) + details with CIs
    _write_plots(run, task, predictor, tables)
    return result


def evaluate_repeats(spec: RunSpec, folders: list[Path], splits: dict[str, SplitData], result: dict) -> dict:
    """Repeats 1…k-1 (models/<run>/repeats/<i>/) on the rows repeat 0 was scored on: their per-row
    predictions (paths.repeat_predictions) and the mean ± std of the headline metrics over all k."""
    per_split = {name: [result[name]] for name in EVAL_SPLITS if isinstance(result.get(name), dict)}
    seeds = [spec.seed]
    for i, folder in enumerate(folders, start=1):
        predictor = Predictor(folder)
        seeds.append(predictor.spec.seed)
        for name in per_split:
            split = splits[name]
            if spec.task == "binary":
                split = split.subset(split.labelled)
            table = prediction_table(split, predictor.predict(inputs=split.inputs))
            write_parquet(table, paths.repeat_predictions(spec.name, i, name))
            per_split[name].append(split_metrics(table, spec.task, 0, spec.seed))
    return repeats.summary(per_split, spec.task, seeds)


def _write_submission(run: str, split: SplitData, predicted: pd.DataFrame) -> None:
    """Kaggle format: id,target for the unlabelled test.csv rows."""
    ids = pd.to_numeric(pd.Series(split.ids), errors="coerce")
    sub = pd.DataFrame({"id": ids.astype("Int64"), "target": predicted["target"].to_numpy()})
    write_csv(sub.sort_values("id"), paths.submission_file(run))


def _write_plots(run: str, task: str, predictor: Predictor, tables: dict[str, pd.DataFrame]) -> None:
    """Per-run figures in reports/plots/<run>/ (headline ones first in the plots page), the per-label
    table beside the predictions and, for geo runs, the interactive map (paths.web_map)."""
    out = paths.plots_dir(run)
    history = paths.history(predictor.model_dir)
    if history.exists():  # train and validation on one DVC chart per metric
        plots.write_curve_tables(pd.read_csv(history), out)
    table = tables.get(TEST, tables.get(VALIDATION))
    if table is None:
        return
    split_name = TEST if TEST in tables else VALIDATION
    title = f"{run} ({split_name})"
    if task == "binary":
        truth, probability = table["true_label"].to_numpy(), table["probability"].to_numpy()
        plots.precision_recall_plot({run: (truth, probability, table["target"].to_numpy())},
                                    out / "precision_recall.png", title)
        plots.calibration_plot(truth, probability, out / "calibration.png", title)
        plots.confusion_matrix_plot(truth, table["target"].to_numpy(),
                                    ["not disaster", "disaster"], out / "confusion_matrix.png", title)
        return
    true = table[["true_lat", "true_lon"]].to_numpy()
    plots.error_map(true, table[["lat", "lon"]].to_numpy(), out / "error_map.png", title)
    webmap.write_error_map_html(table, paths.web_map(run), f"{run}: predictions and errors ({split_name})")
    if "confidence" in table:
        curve = metrics.coverage_curve(table["confidence"].to_numpy(), table["error_km"].to_numpy())
        plots.coverage_plot({run: curve}, out / "coverage.png", f"{title}: answering only the most confident")
    if "label" in table:
        names = predictor.points["name"].astype(str).to_numpy()
        seen = table["true_label"].to_numpy() >= 0  # -1: a label never seen in training
        plots.confusion_matrix_plot(table["true_label"].to_numpy()[seen], table["label"].to_numpy()[seen],
                                    list(names), out / "confusion_matrix.png", title)
        report = metrics.per_label_report(table["true_label"].to_numpy(), table["label"].to_numpy(),
                                          dict(enumerate(names)))
        write_csv(report, paths.per_label_table(run))  # a table, not a chart: outside reports/plots
        plots.per_label_bars(report, out / "per_label_bars.png", title)
