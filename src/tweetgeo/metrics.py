"""The numbers every run reports: geo and classification metrics, bootstrap CIs, decoders."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from tweetgeo.geo import haversine_km

ACC_KM = 161.0  # Acc@161: 100 miles, the usual "right city region" threshold
MAX_CELLS = 2_000_000  # entries per chunk of a vectorised computation (bounds memory)

BatchedMetrics = Callable[..., dict[str, np.ndarray]]


# --- point metrics -----------------------------------------------------------------


def _geo_rows(
    true_latlon: np.ndarray,
    pred_latlon: np.ndarray,
    true_label: np.ndarray | None = None,
    pred_label: np.ndarray | None = None,
    top5: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per-row ingredients of the geo metrics: error km, exact-label hit, top-5 hit."""
    true_latlon, pred_latlon = np.asarray(true_latlon, float), np.asarray(pred_latlon, float)
    rows = {"km": haversine_km(true_latlon[:, 0], true_latlon[:, 1], pred_latlon[:, 0], pred_latlon[:, 1])}
    if true_label is not None and pred_label is not None:
        rows["hit"] = np.asarray(true_label) == np.asarray(pred_label)
    if true_label is not None and top5 is not None:
        rows["hit5"] = (np.asarray(top5) == np.asarray(true_label)[:, None]).any(axis=1)
    return rows


def _geo_reduce(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Reduce per-row values over the last axis: (n,) gives scalars, (r, n) gives r values."""
    km = rows["km"]
    out = {"mean_km": km.mean(-1), "median_km": np.median(km, -1), "acc_at_161": (km <= ACC_KM).mean(-1)}
    if "hit" in rows:
        out["accuracy"] = rows["hit"].mean(-1)
    if "hit5" in rows:
        out["accuracy_top5"] = rows["hit5"].mean(-1)
    return out


def geo_metrics(
    true_latlon: np.ndarray,
    pred_latlon: np.ndarray,
    true_label: np.ndarray | None = None,
    pred_label: np.ndarray | None = None,
    top5: np.ndarray | None = None,
) -> dict[str, float]:
    """Mean/median error km and Acc@161; accuracy (and top-5 accuracy) when labels are given."""
    rows = _geo_rows(true_latlon, pred_latlon, true_label, pred_label, top5)
    return {name: float(value) for name, value in _geo_reduce(rows).items()}


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy, positive-class precision/recall/F1 (the Kaggle metric) and macro F1."""
    from sklearn import metrics as skm  # imported when used: predicting needs no scikit-learn

    precision, recall, f1, _ = skm.precision_recall_fscore_support(
        y_true, y_pred, average="binary", zero_division=0
    )
    return {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "macro_f1": float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0)),
    }


def f1_threshold(y_true: np.ndarray, prob: np.ndarray) -> float:
    """The decision threshold on `prob` that maximises positive-class F1 (ties: the lowest).

    Candidates are midpoints between consecutive distinct scores, so the threshold does not sit
    exactly on a validation row's score."""
    from sklearn import metrics as skm  # imported when used: predicting needs no scikit-learn

    y_true, prob = np.asarray(y_true, int), np.asarray(prob, float)
    precision, recall, thresholds = skm.precision_recall_curve(y_true, prob)
    f1 = _ratio(2 * precision * recall, precision + recall)[:-1]
    if len(thresholds) == 0 or not f1.any():
        return 0.5
    scores = np.unique(prob)
    i = int(np.argmax(f1))
    below = scores[scores < thresholds[i]]
    cut = float((thresholds[i] + below.max()) / 2 if len(below) else thresholds[i])
    return float(np.clip(cut, 1e-6, 1 - 1e-6))


# --- bootstrap ---------------------------------------------------------------------


def resample_indices(n: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Bootstrap row indices as (r, n) chunks of at most MAX_CELLS entries, `resamples` rows in all."""
    rng = np.random.default_rng(seed)
    per_chunk = max(1, MAX_CELLS // max(n, 1))
    for start in range(0, resamples, per_chunk):
        yield rng.integers(0, n, size=(min(per_chunk, resamples - start), n), dtype=np.int32)


def _interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    """Percentile interval holding 1 - alpha of the bootstrap values."""
    low, high = np.percentile(values, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(low), float(high)


def _bootstrap_values(
    metric: Callable[[np.ndarray], float], n: int, resamples: int, seed: int, batched: bool
) -> np.ndarray:
    """The metric on each resample; batched metrics take an (r, n) index matrix and return r values."""
    chunks = resample_indices(n, resamples, seed)
    if batched:
        return np.concatenate([np.asarray(metric(idx), float) for idx in chunks])
    return np.array([metric(row) for idx in chunks for row in idx], float)


def bootstrap_ci(
    metric: Callable[[np.ndarray], float],
    n: int,
    *,
    resamples: int,
    seed: int,
    alpha: float = 0.05,
    batched: bool = False,
) -> tuple[float, float]:
    """Percentile bootstrap CI of metric(row indices) over n rows; batched=True passes (r, n) index matrices."""
    return _interval(_bootstrap_values(metric, n, resamples, seed, batched), alpha)


def _geo_batched(idx: np.ndarray, **arrays: np.ndarray) -> dict[str, np.ndarray]:
    """geo_metrics on every resample of an (r, n) index matrix at once."""
    rows = _geo_rows(**arrays)
    return _geo_reduce({name: values[idx] for name, values in rows.items()})


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0 where den is 0 (sklearn's zero_division=0)."""
    return np.divide(num, den, out=np.zeros(num.shape, float), where=den > 0)


def _classification_batched(idx: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, np.ndarray]:
    """classification_metrics (binary 0/1) on every resample of an (r, n) index matrix, from cell counts."""
    cells = (2 * np.asarray(y_true, np.int8) + np.asarray(y_pred, np.int8))[idx]  # 0 TN, 1 FP, 2 FN, 3 TP
    tn, fp, fn, tp = ((cells == k).sum(-1) for k in range(4))
    f1_neg = _ratio(2 * tn, 2 * tn + fn + fp)
    f1_pos = _ratio(2 * tp, 2 * tp + fp + fn)
    return {
        "accuracy": (tp + tn) / idx.shape[-1],
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": f1_pos,
        "macro_f1": (f1_neg + f1_pos) / 2,
    }


_BATCHED: dict[Callable[..., dict[str, float]], BatchedMetrics] = {
    geo_metrics: _geo_batched,
    classification_metrics: _classification_batched,
}


def _looped(metrics_fn: Callable[..., dict[str, float]]) -> BatchedMetrics:
    """Batch any metrics function by calling it once per resample."""

    def batched(idx: np.ndarray, **arrays: np.ndarray) -> dict[str, np.ndarray]:
        results = [metrics_fn(**{k: a[row] for k, a in arrays.items()}) for row in idx]
        return {name: np.array([r[name] for r in results]) for name in results[0]}

    return batched


def with_confidence(
    metrics_fn: Callable[..., dict[str, float]],
    arrays: dict[str, np.ndarray],
    resamples: int,
    seed: int,
    alpha: float = 0.05,
) -> dict[str, dict[str, float]]:
    """metrics_fn(**arrays) with a percentile bootstrap CI per metric: {name: {value, ci_low, ci_high}}."""
    arrays = {k: np.asarray(a) for k, a in arrays.items() if a is not None}
    n = len(next(iter(arrays.values())))
    batched = _BATCHED.get(metrics_fn) or _looped(metrics_fn)
    draws = [batched(idx, **arrays) for idx in resample_indices(n, resamples, seed)]
    out = {}
    for name, value in metrics_fn(**arrays).items():
        low, high = _interval(np.concatenate([d[name] for d in draws]), alpha)
        out[name] = {"value": value, "ci_low": low, "ci_high": high}
    return out


def paired_bootstrap_pvalue(
    metric: Callable[[np.ndarray, np.ndarray], float],
    truth: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    *,
    resamples: int,
    seed: int,
    higher_is_better: bool = True,
    batched: bool = False,
) -> float:
    """One-sided p-value of H0 "run A is not better than run B": the share of paired resamples where it isn't.

    Koehn (2004): both runs are scored on the same resampled rows; a tie counts as
    "not better". metric(truth, pred) is higher-is-better (accuracy, Acc@161) unless
    higher_is_better=False (mean/median km). batched=True passes arrays with a
    leading resample axis, (r, n, ...), and expects r values back.
    """
    truth, pred_a, pred_b = np.asarray(truth), np.asarray(pred_a), np.asarray(pred_b)
    sign = 1.0 if higher_is_better else -1.0

    def a_minus_b(idx: np.ndarray) -> np.ndarray:
        """A's advantage on the resample(s) idx, in the higher-is-better direction."""
        return sign * (np.asarray(metric(truth[idx], pred_a[idx])) - np.asarray(metric(truth[idx], pred_b[idx])))

    deltas = _bootstrap_values(a_minus_b, len(truth), resamples, seed, batched)
    return float(np.mean(deltas <= 0))


# --- decoding ----------------------------------------------------------------------


def argmax_decode(probs: np.ndarray, label_latlon: np.ndarray) -> np.ndarray:
    """The (lat, lon) of each row's most probable label: (N, 2)."""
    return np.asarray(label_latlon, float)[np.argmax(probs, axis=1)]


def top_k_stable(probs: np.ndarray, k: int) -> np.ndarray:
    """The k most probable labels per row, most probable first: exactly
    ``np.argsort(-probs, axis=1, kind="stable")[:, :k]`` (equal scores: the lower label first),
    without sorting whole rows — one partition picks the k + 1 best labels, the k best are sorted,
    and the rows whose (k + 1)-th score ties the k-th (the partition had to choose between tied
    labels) are sorted whole."""
    neg = -np.asarray(probs)
    n, width = neg.shape
    k = min(k, width)
    if n == 0 or k == 0 or k == width:
        return np.argsort(neg, axis=1, kind="stable")[:, :k]
    part = np.argpartition(neg, k, axis=1)[:, : k + 1]  # the k + 1 best; the (k + 1)-th in place k
    nxt = np.take_along_axis(neg, part[:, k:], axis=1)[:, 0]
    top = np.sort(part[:, :k], axis=1)  # the k, in label order
    values = np.take_along_axis(neg, top, axis=1)
    tied = values.max(axis=1) == nxt  # a label outside the k scores the k-th score
    if tied.any():
        top[tied] = np.argsort(neg[tied], axis=1, kind="stable")[:, :k]
        values[tied] = np.take_along_axis(neg[tied], top[tied], axis=1)
    return np.take_along_axis(top, np.argsort(values, axis=1, kind="stable"), axis=1)


LABEL_DISTANCE_CELLS = 4_000_000  # label pairs in a precomputed distance table (32 MB), at most


def label_distances(label_latlon: np.ndarray) -> np.ndarray | None:
    """Haversine km between every two label points, (L, L), for expected_distance_decode; None when
    the table would exceed LABEL_DISTANCE_CELLS (the decoder then computes distances per row)."""
    latlon = np.asarray(label_latlon, float)
    if len(latlon) ** 2 > LABEL_DISTANCE_CELLS:
        return None
    lat, lon = latlon[:, 0], latlon[:, 1]
    return haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])


def _medoid_choice(probs: np.ndarray, label_latlon: np.ndarray, top_k: int,
                   distances: np.ndarray | None = None) -> np.ndarray:
    """Label index minimising expected distance under the renormalised top-k distribution, per row."""
    top = np.argpartition(-probs, top_k - 1, axis=1)[:, :top_k]  # (N, k) most probable, unordered
    order = np.argsort(-np.take_along_axis(probs, top, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)  # most probable first: ties go to the likelier label
    weights = np.take_along_axis(probs, top, axis=1)
    weights = weights / weights.sum(axis=1, keepdims=True)
    if distances is not None:  # looked up: the same numbers as the formula below
        dist = distances[top[:, :, None], top[:, None, :]]  # (N, k, k)
    else:
        points = label_latlon[top]  # (N, k, 2)
        lat, lon = points[..., 0], points[..., 1]
        dist = haversine_km(lat[:, :, None], lon[:, :, None], lat[:, None, :], lon[:, None, :])  # (N, k, k)
    expected = np.einsum("nij,nj->ni", dist, weights)
    return np.take_along_axis(top, expected.argmin(axis=1)[:, None], axis=1)[:, 0]


def expected_distance_decode(probs: np.ndarray, label_latlon: np.ndarray, top_k: int,
                             distances: np.ndarray | None = None) -> np.ndarray:
    """Per row, the top-k label point with the least expected haversine distance (weighted medoid): (N, 2).
    `distances`: label_distances(label_latlon), when decoding many rows with the same labels."""
    probs, label_latlon = np.asarray(probs, float), np.asarray(label_latlon, float)
    top_k = min(top_k, probs.shape[1])
    rows = max(1, MAX_CELLS // (top_k * top_k))
    choice = np.concatenate(
        [_medoid_choice(probs[s : s + rows], label_latlon, top_k, distances) for s in range(0, len(probs), rows)]
    )
    return label_latlon[choice]


# --- reports -----------------------------------------------------------------------


def per_label_report(
    true_label: np.ndarray, pred_label: np.ndarray, names: dict[int, str] | None = None
) -> pd.DataFrame:
    """Per-label precision, recall, F1, support and correct/incorrect counts, most frequent label first."""
    from sklearn import metrics as skm  # imported when used: predicting needs no scikit-learn

    true_label, pred_label = np.asarray(true_label), np.asarray(pred_label)
    labels = np.union1d(true_label, pred_label)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        true_label, pred_label, labels=labels, zero_division=0
    )
    hits = pd.Series(true_label[true_label == pred_label]).value_counts()
    report = pd.DataFrame(
        {
            "label": labels,
            "name": [(names or {}).get(int(label), str(label)) for label in labels],
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": support,
            "correct": hits.reindex(labels, fill_value=0).to_numpy(),
        }
    )
    report["incorrect"] = report["support"] - report["correct"]
    return report.sort_values(["support", "label"], ascending=[False, True], ignore_index=True)


def kfold_summary(fold_metrics: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean and (population, like sklearn's cv examples) std of each metric across folds."""
    names = fold_metrics[0].keys()
    if any(fold.keys() != names for fold in fold_metrics):
        raise ValueError(f"folds report different metrics: {[sorted(f) for f in fold_metrics]}")
    table = pd.DataFrame(fold_metrics)
    return {
        name: {"mean": float(table[name].mean()), "std": float(table[name].std(ddof=0)), "folds": len(table)}
        for name in names
    }


def coverage_curve(confidence: np.ndarray, errors_km: np.ndarray, points: int = 20) -> pd.DataFrame:
    """Answer only the most confident rows: for each share kept (1/points … 1), the median error km
    and Acc@161 of the rows kept (ties in confidence broken by row order, most confident first)."""
    confidence, errors_km = np.asarray(confidence, float), np.asarray(errors_km, float)
    order = np.argsort(-confidence, kind="stable")
    rows = []
    for share in np.linspace(1 / points, 1, points):
        kept = errors_km[order[: max(1, int(round(share * len(order))))]]
        rows.append({"coverage": float(share), "rows": len(kept), "median_km": float(np.median(kept)),
                     "acc_at_161": float((kept <= ACC_KM).mean())})
    return pd.DataFrame(rows)
