"""Throughput on this machine, measured side by side in one run (prints numbers; benchmarks/RESULTS.md).

Three tables, all on real Yachay tweets (data/raw/yachay, no pipeline output needed):

1. training samples/s of each registered family, at our defaults (the first Yachay run of params.yaml
   using it: its batch size; sequences padded to the data's 95th-percentile length, as the embed
   stage does) against the seed notebooks' settings (../shared/SEEDS.md: S3 batch 64 and padding
   to 100, S1 batch 512 and length 30, S2 length 400, S0 batch 2,000; timed on a quarter of the rows);
2. predict tweets/s per family through `Predictor.predict` (cleaning, model, decoding; the model
   loaded once before timing, its load time printed beside);
3. the S0 encoder's texts/s: padded to max_tokens in input order (before issue 11), length-sorted
   batches of 256 and of 32 in float32, and batches of 32 with bfloat16 products (`encoder.precision`),
   with the smallest cosine to the float32 vectors.

Models are untrained (random weights, a random embedding matrix over the real vocabulary, random
labels): throughput does not depend on the values. Each timing follows a warm-up on a few batches.
Wall seconds depend on what else runs on the machine; CPU seconds (this process, all threads) are
printed too. Sizes (defaults run in a few minutes on 2 cores):

    python benchmarks/throughput.py [--train-rows 4096] [--epochs 1] [--predict-rows 5000]
                                    [--encoder-rows 600] [--labels 300] [--families rnn,tfidf,…]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

import tweetgeo  # noqa: F401  (quiet TensorFlow)
from tweetgeo import paths
from tweetgeo.config import Params, load_params
from tweetgeo.rundata import SplitData
from tweetgeo.runspec import RunSpec, resolve_run

ROOT = Path(__file__).resolve().parents[1]
YACHAY = ROOT / "data/raw/yachay/yachay_regions.jsonl.gz"
# the seed notebooks' settings per family: (label, sequence length or None = ours, batch size)
SEEDS = {
    "rnn": ("S3: pad 100, batch 64", 100, 64),
    "cnn_bilstm": ("S1: pad 30, batch 512", 30, 512),
    "attention_cnn": ("S2: pad 400, batch 32 (not stated)", 400, 32),
    "encoder_regression": ("S0: batch 2,000", None, 2000),
}


def machine() -> str:
    """nproc and the CPU model (from /proc/cpuinfo where there is one)."""
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        model = names[0] if names else model
    return f"{os.cpu_count()} CPUs, {model}; load average {os.getloadavg()[0]:.1f}"


def yachay_texts(n: int, skip: int = 0) -> list[str]:
    """n raw tweets from the Yachay file, every 7th line from `skip` (spread over regions)."""
    with gzip.open(YACHAY, "rt", encoding="utf-8") as fh:
        lines = itertools.islice(fh, skip, None, 7)
        return [json.loads(line)["text"] for line in itertools.islice(lines, n)]


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def rate(n: int, seconds: tuple[float, float]) -> str:
    wall, cpu = seconds
    return f"{n / wall:9.0f}/s wall {n / max(cpu, 1e-9):9.0f}/CPU-s"


# --------------------------------------------------------------------------- inputs
class Corpus:
    """Cleaned real tweets, the vocabulary and padded length the embed stage would choose."""

    def __init__(self, params: Params, raw: list[str]) -> None:
        from tweetgeo.text import TextCleaner

        self.raw = raw
        self.clean = np.array(TextCleaner(params.clean_for("yachay")).clean_many(raw), dtype=object)
        vocab_cfg = params.embeddings_for("yachay").vocab
        counts = Counter(word for text in self.clean for word in text.split())
        self.vocabulary = [w for w, c in counts.most_common(vocab_cfg.max_size) if c >= vocab_cfg.min_count]
        lengths = [len(text.split()) for text in self.clean]
        self.length = int(min(vocab_cfg.max_len_cap, max(1, np.quantile(lengths, vocab_cfg.max_len_quantile))))
        dim = params.embeddings_for("yachay").word2vec.vector_size
        self.matrix = np.random.default_rng(0).normal(size=(len(self.vocabulary) + 2, dim)).astype("float32")


def first_run(params: Params, family: str) -> RunSpec:
    """The first run (or ensemble) of params.yaml with this family, Yachay runs first."""
    runs = params.all_runs
    for name in sorted(runs, key=lambda name: runs[name].dataset != "yachay"):
        if params.models[runs[name].model].family == family:
            return resolve_run(params, name)
    raise LookupError(f"no run in params.yaml uses family {family!r}")


# families timed through their own Family.fit (they featurise text their own way: n-gram bags read the
# embed stage's TF-IDF vectorisers, the fine-tuned transformer reads raw text), not a bare Keras fit
FIT_THROUGH_FAMILY = ("ngram_bag", "transformer", "mention_graph")  # mention_graph: a lookup table, no Keras


def split_of(texts: list[str], raw: list[str], n_labels: int, seed: int) -> SplitData:
    """Real texts with random labels and coordinates, as a run's split."""
    from tweetgeo.rundata import SplitData

    rng = np.random.default_rng(seed)
    latlon = np.column_stack([rng.uniform(-60, 70, len(texts)), rng.uniform(-180, 180, len(texts))])
    return SplitData(np.array([str(i) for i in range(len(texts))], dtype=object), np.array(raw, dtype=object),
                     np.array(texts, dtype=object), rng.integers(0, n_labels, len(texts)), latlon)


def fit_through_family(params: Params, spec: RunSpec, corpus: Corpus, args) -> tuple[float, float, object, int]:
    """Family.fit for `args.epochs` epochs on real tweets (the transformer on --encoder-rows of them,
    it is slow), validation on a tenth as many; returns (rows/s wall, rows/s CPU, model, rows)."""
    rows = args.encoder_rows if spec.family.name == "transformer" else args.train_rows
    texts = corpus.raw if spec.features == "raw" else list(corpus.clean)
    n_labels = 2 if spec.task == "binary" else args.labels
    held = max(1, rows // 10)
    train = split_of(texts[:rows], corpus.raw[:rows], n_labels, 0)
    val = split_of(texts[rows:rows + held], corpus.raw[rows:rows + held], n_labels, 1)  # Corpus holds 11/10 of the rows
    spec = spec.model_copy(update={"train": spec.train.model_copy(update={"epochs": args.epochs,
                                                                          "patience": args.epochs})})
    box = {}
    wall, cpu = timed(lambda: box.setdefault("fit", spec.family.fit(spec, n_labels, train, val, [])))
    epochs = int(box["fit"].summary.get("epochs_run", args.epochs))
    return rows * epochs / wall, rows * epochs / max(cpu, 1e-9), box["fit"].model, rows


def targets(model, n: int, n_labels: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random targets for each of the model's outputs (by the output-name contract)."""
    from tweetgeo.geo import normalise_coords

    latlon = np.column_stack([rng.uniform(-60, 70, n), rng.uniform(-180, 180, n)]).astype("float32")
    available = {"target": rng.integers(0, 2, n).astype("float32"), "label": rng.integers(0, n_labels, n),
                 "coords": normalise_coords(latlon).astype("float32"), "coords_deg": latlon}
    return {name: available[name] for name in model.output_names}


# --------------------------------------------------------------------------- training
def keras_samples_per_second(spec: RunSpec, inputs, x: np.ndarray, n_labels: int, length: int | None,
                             batch: int, epochs: int) -> tuple[float, float, object]:
    """Fit one freshly built model for `epochs` (after a warm-up on two batches)."""
    from tweetgeo import runtime
    from tweetgeo.keras_training import build_model
    from tweetgeo.models.keras_family import Head, TextInputs

    runtime.seed_everything(0)
    if length is not None and isinstance(inputs, TextInputs):
        inputs = TextInputs(inputs.vocabulary, length, inputs.embedding_matrix)
    head = Head(spec.task, 2 if spec.task == "binary" else n_labels)
    model = build_model(spec.options, inputs, head, spec.train.model_copy(update={"batch_size": batch}))
    y = targets(model, len(x), head.n_labels, np.random.default_rng(0))
    warm = min(len(x), 2 * batch)
    model.fit(x[:warm], {k: v[:warm] for k, v in y.items()}, batch_size=batch, epochs=1, verbose=0)
    wall, cpu = timed(lambda: model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0))
    return len(x) * epochs / wall, len(x) * epochs / max(cpu, 1e-9), model


def train_table(params: Params, families: list[str], corpus: Corpus, vectors: np.ndarray, args) -> dict:
    """Print training throughput per family, ours vs the seeds'; return the trained models."""
    from tweetgeo.models.keras_family import TextInputs, VectorInputs

    print(f"\n## Training samples/s ({args.train_rows} real tweets, {args.epochs} epoch(s), {args.labels} labels)")
    models = {}
    for family in families:
        spec = first_run(params, family)
        if family == "tfidf":
            models[family] = (spec, fit_tfidf(params, spec, corpus, args))
            continue
        if family == "ensemble":
            print(f"  {family:18s} ({spec.name}) trains nothing: it copies its members' trained runs")
            continue
        if family in FIT_THROUGH_FAMILY:
            wall, cpu, model, rows = fit_through_family(params, spec, corpus, args)
            print(f"  {family:18s} ours ({spec.name}: Family.fit on {rows} tweets, batch {spec.train.batch_size}; "
                  f"validation included) {wall:8.0f}/s wall {cpu:8.0f}/CPU-s")
            models[family] = (spec, model)
            continue
        x = vectors if spec.features == "encoder" else corpus.clean[:args.train_rows]
        inputs = (VectorInputs(x.shape[1]) if spec.features == "encoder"
                  else TextInputs(corpus.vocabulary, corpus.length, corpus.matrix))
        ours = keras_samples_per_second(spec, inputs, x, args.labels, None, spec.train.batch_size, args.epochs)
        pad = f"pad {corpus.length}, " if spec.features != "encoder" else ""
        print(f"  {family:18s} ours ({spec.name}: {pad}batch {spec.train.batch_size}) "
              f"{ours[0]:8.0f}/s wall {ours[1]:8.0f}/CPU-s")
        models[family] = (spec, ours[2])
        if family in SEEDS:
            label, length, batch = SEEDS[family]
            few = x[:max(batch, len(x) // 4)]  # the seeds' settings are slow: a quarter of the rows
            seed = keras_samples_per_second(spec, inputs, few, args.labels, length, batch, args.epochs)
            print(f"  {'':18s} seed ({label}) {seed[0]:8.0f}/s wall {seed[1]:8.0f}/CPU-s  "
                  f"→ ours {ours[0] / seed[0]:.2f}x wall, {ours[1] / seed[1]:.2f}x CPU")
    return models


def fit_tfidf(params: Params, spec: RunSpec, corpus: Corpus, args):
    """The yardstick: vectorisers and the linear model fitted, timed together."""
    from tweetgeo.models.tfidf import TfidfLinear, fit_vectorizers

    x = corpus.clean[:args.train_rows]
    y = np.random.default_rng(0).integers(0, args.labels, len(x))
    box = {}

    def fit() -> None:
        box["model"] = TfidfLinear(spec.options.C, fit_vectorizers(x, params.embeddings_for("yachay").tfidf),
                                   seed=spec.seed).fit(x, y)

    seconds = timed(fit)
    print(f"  {'tfidf':18s} ours ({spec.name}: vectorisers + fit)       {rate(len(x), seconds)}")
    return box["model"]


# --------------------------------------------------------------------------- prediction
def predict_table(params: Params, models: dict, raw: list[str], labels: int, encoder, encoder_rows: int) -> None:
    """Save each model as a run directory and time Predictor.predict on real raw tweets."""
    from tweetgeo.modelcard import ModelCard, save_card
    from tweetgeo.predict import Predictor

    print("\n## Predict tweets/s through Predictor.predict (raw tweets: cleaning, model, decoding; "
          "after a warm-up call on the same tweets)")
    rng = np.random.default_rng(1)
    points = pd.DataFrame({"label": range(labels), "lat": rng.uniform(-60, 70, labels),
                           "lon": rng.uniform(-180, 180, labels), "name": [f"city{i}" for i in range(labels)]})
    scratch = tempfile.TemporaryDirectory()
    folders = {}
    for family, (spec, model) in models.items():
        out = folders[family] = Path(scratch.name) / family
        out.mkdir()
        spec.family.save(model, out)
        n_labels = 2 if spec.task == "binary" else labels
        save_card(ModelCard(spec=spec, n_labels=n_labels), out)
        points.head(n_labels).to_csv(paths.model_label_points(out), index=False)
    ensemble = ensemble_of(params, folders, Path(scratch.name) / "ensemble", points)
    if ensemble:
        models, folders = {**models, "ensemble": ensemble[0]}, {**folders, "ensemble": ensemble[1]}
    for family, (spec, _model) in models.items():
        box = {}
        load = timed(lambda: box.setdefault("p", Predictor(folders[family])))  # noqa: B023
        predictor = box["p"]
        texts = raw
        if spec.features == "encoder":
            predictor._encoder = encoder  # the encoder is shared, loaded once for the whole run
        if spec.features in ("encoder", "raw"):
            texts = raw[:encoder_rows]  # a BERT forward pass per text is slow: fewer tweets
        predictor.predict(texts)  # warm-up (tracing the shapes of this input)
        seconds = timed(lambda: predictor.predict(texts))  # noqa: B023
        print(f"  {family:18s} {spec.name:24s} {rate(len(texts), seconds)}  "
              f"({len(texts)} tweets; load {load[0]:.1f} s)")
    scratch.cleanup()


def ensemble_of(params: Params, folders: dict, out: Path, points: pd.DataFrame):
    """The first ensemble of params.yaml, made of this benchmark's models of its members' families
    (each family once): (spec, None) and its folder, or None when fewer than two were benchmarked."""
    from tweetgeo.modelcard import ModelCard, save_card
    from tweetgeo.models.families.ensemble import EnsembleModel
    from tweetgeo.predict import Predictor

    try:
        spec = first_run(params, "ensemble")
    except LookupError:
        return None
    families = list(dict.fromkeys(m.family.name for m in spec.members if m.family.name in folders))
    if len(families) < 2:
        return None
    out.mkdir()
    spec.family.save(EnsembleModel(families, [Predictor(folders[f]) for f in families]), out)
    n_labels = 2 if spec.task == "binary" else len(points)
    save_card(ModelCard(spec=spec, n_labels=n_labels), out)
    points.head(n_labels).to_csv(paths.model_label_points(out), index=False)
    print(f"  (ensemble: the mean of this benchmark's {' + '.join(families)} models)")
    return (spec, None), out


# --------------------------------------------------------------------------- encoder
def encode_padded(encoder, texts: list[str], batch_size: int) -> np.ndarray:
    """The naive way: batches in input order, every text padded to max_tokens."""
    from tweetgeo.runtime import tf

    ids = encoder.token_ids(texts)
    width = max(len(seq) for seq in encoder.token_ids(["x " * 1000]))  # max_tokens
    out = np.zeros((len(ids), encoder.dim), dtype=np.float32)
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]
        arr = np.zeros((len(batch), width), dtype=np.int32)
        mask = np.zeros_like(arr)
        for row, seq in enumerate(batch):
            arr[row, :len(seq)], mask[row, :len(seq)] = seq, 1
        out[start:start + len(batch)] = encoder.bert(tf.constant(arr), tf.constant(mask)).numpy()
    return out


def encoder_table(max_tokens: int, texts: list[str]) -> None:
    """Texts/s of each way to run the S0 encoder: float32 variants against the padded baseline,
    then bfloat16 products (emulated, so slower, on a CPU without AMX)."""
    from tweetgeo.encoder import BATCH_SIZE, SentenceEncoder, cpu_multiplies_bfloat16

    encoder, half = SentenceEncoder(max_tokens, "float32"), SentenceEncoder(max_tokens, "bfloat16")
    lengths = [len(seq) for seq in encoder.token_ids(texts)]
    print(f"\n## S0 encoder texts/s ({len(texts)} raw tweets; word pieces median {np.median(lengths):.0f}, "
          f"mean {np.mean(lengths):.1f}, max_tokens {max_tokens}; CPU with AMX: {cpu_multiplies_bfloat16()})")
    variants = {
        f"input order, padded to {max_tokens}, batch 256": lambda: encode_padded(encoder, texts, 256),
        "length-sorted, batch 256": lambda: encoder.encode(texts, batch_size=256),
        f"length-sorted, batch {BATCH_SIZE}": lambda: encoder.encode(texts, batch_size=BATCH_SIZE),
        f"length-sorted, batch {BATCH_SIZE}, bfloat16": lambda: half.encode(texts, batch_size=BATCH_SIZE),
    }
    reference = encoder.encode(texts, batch_size=256)
    results = {}
    for name, run in variants.items():
        box = {}
        run()  # warm-up: traces every shape this variant uses
        results[name] = timed(lambda: box.setdefault("v", run()))  # noqa: B023
        cosine = np.sum(box["v"] * reference, axis=1).min()
        print(f"  {name:42s} {rate(len(texts), results[name])}  min cosine to batch 256 {cosine:.6f}")
    naive, _, float32, bfloat16 = results.values()
    print(f"  vs padded: float32 {naive[0] / float32[0]:.2f}x wall, {naive[1] / float32[1]:.2f}x CPU; "
          f"bfloat16 {naive[0] / bfloat16[0]:.2f}x wall, {naive[1] / bfloat16[1]:.2f}x CPU; "
          f"bfloat16 vs float32 {float32[0] / bfloat16[0]:.2f}x wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-rows", type=int, default=4096, help="tweets per training epoch")
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs per model")
    parser.add_argument("--predict-rows", type=int, default=5000, help="tweets predicted per family")
    parser.add_argument("--encoder-rows", type=int, default=600, help="tweets encoded per encoder variant")
    parser.add_argument("--labels", type=int, default=300, help="geo labels of the classifiers")
    parser.add_argument("--families", default="", help="comma-separated families (default: all registered)")
    parser.add_argument("--params", default=str(ROOT / "params.yaml"))
    args = parser.parse_args()
    from tweetgeo import runtime
    from tweetgeo.encoder import SentenceEncoder
    from tweetgeo.models import registry

    sys.stdout.reconfigure(line_buffering=True)  # each line as it is measured, also into a file
    runtime.tf.get_logger().setLevel("ERROR")  # retracing notes: each variant traces its own shapes
    warnings.filterwarnings("ignore", message="Maximum number of iteration")  # random labels never converge
    params = load_params(args.params)
    families = [f for f in args.families.split(",") if f] or registry.names()
    print(f"# tweetgeo throughput, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine()}; TensorFlow device: {runtime.device_name()}")
    start = time.perf_counter()
    corpus = Corpus(params, yachay_texts(max(args.train_rows, args.encoder_rows) * 11 // 10 + 1))
    workdir = tempfile.TemporaryDirectory()  # the n-gram bags read the embed stage's vectorisers from here
    from tweetgeo.models.tfidf import fit_vectorizers, save_vectorizers

    os.chdir(workdir.name)
    save_vectorizers(fit_vectorizers(corpus.clean[:args.train_rows], params.embeddings_for("yachay").tfidf),
                     paths.features_dir("yachay", "tfidf"))
    encoder = SentenceEncoder(params.encoder.max_tokens, params.encoder.precision)
    vectors = encoder.encode(corpus.raw[:args.train_rows]) if "encoder_regression" in families else None
    models = train_table(params, families, corpus, vectors, args)
    predict_table(params, models, yachay_texts(args.predict_rows, skip=3), args.labels, encoder, args.encoder_rows)
    encoder_table(params.encoder.max_tokens, corpus.raw[:args.encoder_rows])
    print(f"\nbenchmark wall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
