"""An ESTIMATE of the `full` profile's wall time on CPU, from the default run's measured timings.

Not a measurement: the full profile was never run. Each stage's measured seconds
(`reports/timing/*.json`, written by every stage of the default run on 2 CPU cores) are scaled by
how much more work the full profile gives it (rows, epochs, batch size, vector size, repeats,
read from params.yaml and conf/profiles/full.yaml), and by assumed ranges where the cost of a
change was not measured. Every factor is commented below; the result is a low–high range.

    python experiments/full_profile_cost.py      # from the repository root, after the default `dvc repro`
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tweetgeo.config import Params, load_params
from tweetgeo.profiles import resolve
from tweetgeo.runspec import resolve_run

TIMING = Path("reports/timing")
Range = tuple[float, float]

# --- assumed factors (not measured here) ----------------------------------------------------
# Per-epoch cost of batch 64 instead of 512 on CPU: the default's own note (params.yaml, train.batch_size)
# says S3's 32–64 are 3–7x slower per epoch on CPU; the full profile makes exactly this change.
SMALL_BATCH: Range = (3.0, 7.0)
# word2vec time grows with vector size (dot products of 512 instead of 100 numbers) but not quite
# linearly (reading and sampling the corpus does not grow): 60–100% of the linear growth.
W2V_DIM_SHARE: Range = (0.6, 1.0)
# Neural runs on word vectors: 512-d inputs instead of 100-d widen the first layer (×5.1) and the
# fine-tuned embedding's updates; the layers above keep their size. Assumed ×1.5–×3 per row.
VECTOR_WIDTH: Range = (1.5, 3.0)
# Sequence length: the full vocabulary pads every document to the longest one (cap 800 words)
# instead of the 95th percentile of train lengths (cap 200). Tweets stay short; GeoText users
# (a user's tweets joined) were cut at 200 words and grow up to 4x.
SEQUENCE: dict[str, Range] = {"yachay": (1.0, 1.5), "disaster": (1.0, 1.5), "geotext": (2.0, 4.0)}
# Geo labels: the k-d tree keeps 300 training points per label, so 4.9x the Yachay rows give about
# 4.9x the labels; P2C labels are cities and saturate. A softmax over more labels costs more per row
# (neural: the output layer, part of the network: ×1–×1.5), a one-vs-rest linear model one fit per
# label (×labels/2–×labels).
LABEL_COST_NEURAL: Range = (1.0, 1.5)
# The encoder's 155 word pieces instead of 64: batches are padded to their longest text (sorted by
# length) and few tweets reach 64 word pieces, so most batches barely grow.
ENCODER_TOKENS: Range = (1.0, 1.5)


def _mul(*ranges: Range | float) -> Range:
    low, high = 1.0, 1.0
    for r in ranges:
        lo, hi = (r, r) if isinstance(r, (int, float)) else r
        low, high = low * lo, high * hi
    return low, high


def full_params() -> Params:
    """params.yaml with `profile: full` (conf/profiles/full.yaml merged over it and validated)."""
    data = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8"))
    return resolve({**data, "profile": "full"}, Path("params.yaml"))


def split_rows(dataset: str, full: Params) -> tuple[dict[str, int], dict[str, float]]:
    """Rows per split of the default run (reports/data) and, scaled to every valid row, of the full one."""
    quality = json.loads(Path(f"reports/data/{dataset}.json").read_text())
    default = quality["rows_by_split"]
    scale = quality["rows_valid"] / quality["rows"] if full.datasets[dataset].max_rows is None else 1.0
    return default, {split: n * scale for split, n in default.items()}


def timing() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(TIMING.glob("*.json"))}


def data_factor(dataset: str, full: Params) -> float:
    default, scaled = split_rows(dataset, full)
    return sum(scaled.values()) / sum(default.values())


def embed_factor(dataset: str, default: Params, full: Params) -> Range:
    """word2vec: corpus rows (its own train text + word2vec_corpus data sets') × epochs × vector size."""
    corpus = [dataset, *default.datasets[dataset].word2vec_corpus]
    rows = sum(split_rows(d, full)[1]["train"] for d in corpus) / sum(split_rows(d, full)[0]["train"] for d in corpus)
    w_d, w_f = default.embeddings.word2vec, full.embeddings.word2vec
    growth = w_f.vector_size / w_d.vector_size
    dims = (1 + (growth - 1) * W2V_DIM_SHARE[0], 1 + (growth - 1) * W2V_DIM_SHARE[1])
    return _mul(rows, w_f.epochs / w_d.epochs, dims)


def encode_factor(dataset: str, default: Params, full: Params) -> Range:
    """Rows encoded: at most encoder.max_rows per split by default, every row in the full profile."""
    rows_d, rows_f = split_rows(dataset, full)
    cap_d, cap_f = default.encoder.max_rows, full.encoder.max_rows
    done_d = sum(min(n, cap_d or n) for n in rows_d.values())
    done_f = sum(min(n, cap_f or n) for n in rows_f.values())
    return _mul(done_f / done_d, ENCODER_TOKENS if full.encoder.max_tokens > default.encoder.max_tokens else 1.0)


def train_factor(run: str, measured: dict, default: Params, full: Params) -> Range:
    """One run's training: rows × per-row cost × epochs × number of fits (repeats, CV folds)."""
    spec = resolve_run(default, run)
    t_d, t_f = default.train_for(run), full.train_for(run)
    ds, family = spec.dataset, spec.family.name
    _, rows_f = split_rows(ds, full)
    full_rows = rows_f["train"] if t_f.max_train_rows is None else min(t_f.max_train_rows, rows_f["train"])
    if spec.features == "encoder":  # vectors exist for encoder.max_rows rows per split only
        full_rows = min(full_rows, full.encoder.max_rows or full_rows)
    rows = full_rows / measured["rows"]
    fits_d = 1 + t_d.cv_folds  # the measured seconds cover the run and its CV fold models
    fits_f = t_f.repeats + t_f.cv_folds
    more_labels = data_factor(ds, full) if spec.labels == "kdtree" else 1.0
    if family == "tfidf":  # one-vs-rest logistic regression: one fit per label, no epochs
        return _mul(rows, (max(1.0, more_labels / 2), more_labels), fits_f / fits_d)
    epochs_d, best = measured["epochs_run"], measured["best_epoch"]
    # early stopping: the best epoch as measured (low) or twice as late (high), then `patience` more
    # epochs; never more than train.epochs (the high end assumes more data does not stop training sooner)
    epochs_low = min(t_f.epochs, max(epochs_d, best + t_f.patience))
    epochs_high = min(t_f.epochs, max(epochs_d, 2 * best + t_f.patience))
    epochs = (epochs_low / epochs_d, epochs_high / epochs_d)
    batch = SMALL_BATCH if t_f.batch_size < t_d.batch_size else 1.0
    text = spec.features in ("word2vec", "glove")
    width = VECTOR_WIDTH if text and spec.features == "word2vec" else 1.0  # GloVe stays 50-d
    seq = SEQUENCE[ds] if text else 1.0
    labels = LABEL_COST_NEURAL if more_labels > 1 else 1.0
    return _mul(rows, epochs, batch, width, seq, labels, fits_f / fits_d)


def evaluate_factor(run: str, default: Params, full: Params) -> Range:
    """Predicting validation and test (and each repeat): rows × per-row cost of the model."""
    spec = resolve_run(default, run)
    text = spec.features in ("word2vec", "glove") and spec.family.name != "tfidf"
    per_row = _mul(VECTOR_WIDTH if spec.features == "word2vec" and text else 1.0,
                   SEQUENCE[spec.dataset] if text else 1.0)
    return _mul(data_factor(spec.dataset, full), per_row, full.train_for(run).repeats)


def estimate() -> dict[str, tuple[float, Range]]:
    """{stage family: (measured seconds, (low, high) estimated seconds)}."""
    default, full = load_params(), full_params()
    yachay = data_factor("yachay", full)
    families: dict[str, tuple[float, Range]] = {}
    for key, entry in timing().items():
        stage, _, item = key.partition("@")
        if stage in ("prepare", "clean", "labels", "levers"):
            # prepare reads every valid row either way and samples; clean, labels and levers grow with the rows
            factor = (1.0, data_factor(item, full)) if stage == "prepare" else data_factor(item, full)
        elif stage == "embed":
            factor = embed_factor(item, default, full)
        elif stage == "encode":
            factor = encode_factor(item, default, full)
        elif stage == "train":
            factor = train_factor(item, entry, default, full)
        elif stage == "evaluate":
            factor = evaluate_factor(item, default, full)
        else:  # report: bootstraps every run's test rows (mostly Yachay's)
            factor = (1.0, yachay)
        low, high = _mul(entry["seconds"], factor)
        name = f"{stage} ({item.split('-')[0]})" if stage in ("train", "evaluate") else stage
        seconds, (lo, hi) = families.get(name, (0.0, (0.0, 0.0)))
        families[name] = (seconds + entry["seconds"], (lo + low, hi + high))
    return families


def main() -> None:
    families = estimate()
    print("ESTIMATE (not a measurement) of the `full` profile's wall time on the CPU the default run "
          "was timed on (2 cores), stage by stage:\n")
    print(f"{'stage family':<24}{'default, measured':>20}{'full, estimated':>24}")
    for name, (seconds, (low, high)) in sorted(families.items(), key=lambda kv: -kv[1][1][1]):
        print(f"{name:<24}{seconds / 60:>16.1f} min{low / 3600:>12.1f} – {high / 3600:.1f} h")
    measured = sum(s for s, _ in families.values())
    low, high = sum(r[0] for _, r in families.values()), sum(r[1] for _, r in families.values())
    print(f"{'total':<24}{measured / 60:>16.1f} min{low / 3600:>12.0f} – {high / 3600:.0f} h")
    print(f"\nThe full profile on 2 CPU cores: an estimated {low / 3600:.0f}–{high / 3600:.0f} h "
          f"({low / 86400:.1f}–{high / 86400:.1f} days), run one stage at a time. An estimate from the "
          "default run's timings and the assumed factors in this script, not a measurement.")


if __name__ == "__main__":
    main()
