"""Training throughput on this machine, measured side by side in one run (prints numbers).

Compares, for the S3 BiGRU on real cleaned disaster tweets: the seed notebooks' habit
(pad to 100 tokens, batch 64) against padding to the data's length (the embed stage's
sequence_length) at batch 512, and frozen against fine-tuned embeddings; plus the
MiniLM encoder's texts/s. Needs `dvc repro embed@disaster` (or `make repro`) first.

    .venv/bin/python benchmarks/throughput.py [--rows 3000] [--epochs 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import tweetgeo  # noqa: F401  (quiet TensorFlow)
from tweetgeo import paths, runtime
from tweetgeo.config import TrainConfig
from tweetgeo.embeddings import load_features
from tweetgeo.keras_training import build_model
from tweetgeo.models.families.rnn import RNNConfig
from tweetgeo.models.keras_family import Head, TextInputs


def tweets_per_second(texts: np.ndarray, y: np.ndarray, seq_len: int, batch: int,
                      trainable: bool, vocab: list[str], matrix: np.ndarray, epochs: int) -> float:
    """Fit the BiGRU for `epochs` (after one warm-up epoch) and return training tweets/s."""
    runtime.seed_everything(0)
    cfg = RNNConfig(family="rnn", cell="gru", trainable_embedding=trainable)
    model = build_model(cfg, TextInputs(vocab, seq_len, matrix), Head("binary", 2), TrainConfig(batch_size=batch))
    model.fit(texts, {"target": y}, batch_size=batch, epochs=1, verbose=0)  # warm-up / tracing
    start = time.perf_counter()
    model.fit(texts, {"target": y}, batch_size=batch, epochs=epochs, verbose=0)
    return len(texts) * epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    frame = pd.read_parquet(paths.clean("disaster"))
    frame = frame[(frame["split"] == "train")].head(args.rows)
    texts = frame["text"].to_numpy(dtype=object)
    y = frame["target"].astype("float32").to_numpy()
    vocab, seq_len, matrix = load_features(paths.features_dir("disaster", "word2vec"), "word2vec")
    print(f"device: {runtime.device_name()}; {len(texts)} tweets; data sequence length {seq_len}")
    rows = []
    for label, length, batch, trainable in [
        (f"pad {seq_len}, batch 512, frozen", seq_len, 512, False),
        (f"pad {seq_len}, batch 512, fine-tuned", seq_len, 512, True),
        ("pad 100, batch 64, frozen (seed notebooks)", 100, 64, False),
    ]:
        rate = tweets_per_second(texts, y, length, batch, trainable, vocab, matrix, args.epochs)
        rows.append((label, rate))
        print(f"  BiGRU-64 {label:45s} {rate:8.0f} tweets/s")
    base = rows[0][1]
    for label, rate in rows[1:]:
        print(f"  ratio  [{rows[0][0]}] / [{label}] = {base / rate:.2f}x")
    from tweetgeo.encoder import SentenceEncoder

    raw = frame["raw_text"].tolist()[:500]
    encoder = SentenceEncoder(max_tokens=64)
    encoder.encode(raw[:32])
    start = time.perf_counter()
    encoder.encode(raw)
    print(f"  MiniLM encoder (max_tokens 64): {len(raw) / (time.perf_counter() - start):.0f} texts/s")


if __name__ == "__main__":
    main()
