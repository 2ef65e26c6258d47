"""Length-grouped batches for fine-tuning MiniLM: time and VALIDATION F1 against shuffled batches (issue 11).

`fine_tune` draws each batch at random and pads it to its longest text: on the disaster tweets
(max_tokens 64) a batch of 32 then holds about 1.7x the real tokens (the script prints it). Grouping
by length (as Hugging Face's `group_by_length` does: shuffle, cut into pools of 50 batches, sort each
pool by length, cut into batches, shuffle the batches) pads almost nothing. This script trains the
run (`disaster-minilm-finetune` by default: its epochs, batch size, learning rate and dropout) both
ways for each seed and prints the padded-token ratio, the training wall time and validation F1 at 0.5
and at the F1-best threshold (optimistic, alike for both). Test is never read. Nothing in the
pipeline changes. Usage:

    python experiments/finetune_batching.py [--run disaster-minilm-finetune] [--seeds 42 43]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _binary_seeds import binary_run

from tweetgeo.encoder import _pad
from tweetgeo.metrics import classification_metrics, f1_threshold
from tweetgeo.models import transformer
from tweetgeo.runtime import tf

POOL_BATCHES = 50  # batches per pool sorted by length (Hugging Face's LengthGroupedSampler: 50)
SHUFFLED = transformer._batches


def grouped_batches(ids: list[list[int]], labels: np.ndarray, batch_size: int, rng: np.random.Generator | None):
    """Training batches of similar length, in random order; scoring (rng None) as before."""
    if rng is None:
        yield from SHUFFLED(ids, labels, batch_size, None)
        return
    order = rng.permutation(len(ids))
    pool = batch_size * POOL_BATCHES
    batches = []
    for start in range(0, len(order), pool):
        rows = order[start:start + pool]
        rows = rows[np.argsort([-len(ids[i]) for i in rows], kind="stable")]
        batches += [rows[i:i + batch_size] for i in range(0, len(rows), batch_size)]
    for b in rng.permutation(len(batches)):
        rows = batches[b]
        batch, mask = _pad([ids[i] for i in rows])
        yield tf.constant(batch), tf.constant(mask), tf.constant(labels[rows].astype("int32"))


def padded_ratio(batches) -> float:
    """Padded tokens / real tokens over one epoch's batches."""
    padded = real = 0
    for _, mask, _ in batches:
        padded += int(tf.size(mask))
        real += int(tf.reduce_sum(mask))
    return padded / real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="disaster-minilm-finetune")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43])
    args = parser.parse_args()
    _, spec, train, val = binary_run(args.run)
    cfg, tr = spec.options, spec.train
    print(f"{args.run}: {len(train)} train, {len(val)} validation texts; batch {tr.batch_size}, "
          f"{tr.epochs} epoch(s), lr {cfg.learning_rate:g}, max_tokens {spec.encoder_max_tokens}")
    try:
        for name, batches in (("shuffled", SHUFFLED), ("grouped", grouped_batches)):
            for seed in args.seeds:
                transformer._batches = batches
                model = transformer.FineTunedEncoder.create(1, spec.encoder_max_tokens, cfg.dropout, seed)
                ratio = padded_ratio(batches(model.token_ids(list(train.inputs)), train.labels, tr.batch_size,
                                             np.random.default_rng(seed)))
                started = time.perf_counter()
                transformer.fine_tune(model, list(train.inputs), train.labels, list(val.inputs), val.labels,
                                      epochs=tr.epochs, batch_size=tr.batch_size, learning_rate=cfg.learning_rate,
                                      weight_decay=cfg.weight_decay, patience=tr.patience, seed=seed)
                seconds = time.perf_counter() - started
                prob = model.probabilities(list(val.inputs))
                at_half = classification_metrics(val.labels, prob >= 0.5)["f1"]
                best = classification_metrics(val.labels, prob >= f1_threshold(val.labels, prob))["f1"]
                print(f"  {name:<8} seed {seed}: padded/real tokens {ratio:.2f}, fine-tune {seconds:6.1f} s, "
                      f"validation F1 {at_half:.4f} at 0.5, {best:.4f} at the F1-best threshold", flush=True)
    finally:  # the module's own batching back, whatever happened
        transformer._batches = SHUFFLED


if __name__ == "__main__":
    main()
