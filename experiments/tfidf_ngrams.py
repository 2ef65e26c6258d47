"""The disaster yardstick's n-gram ranges (`embeddings.tfidf.word_ngrams` / `char_ngrams`), by
5-fold CV on the TRAIN split (issue 10: the yardstick's F1 bar), as experiments/yardstick_c.py
chose C: out-of-fold F1 at its own F1-best threshold, then the vectorisers and the classifier
fitted on all train rows and scored on VALIDATION at that CV-chosen threshold. Test is never read.
Needs `dvc repro clean@disaster`. Usage:

    python experiments/tfidf_ngrams.py [--word 1-1 1-2 1-3] [--char none 2-4 2-5 3-5 1-6]
"""

from __future__ import annotations

import argparse
import itertools

from yardstick_c import cv_then_validation

from tweetgeo.config import load_params
from tweetgeo.models.tfidf import fit_vectorizers
from tweetgeo.rundata import load_run_splits
from tweetgeo.runspec import resolve_run


def ngram_range(text: str) -> list[int] | None:
    """'2-4' → [2, 4]; 'none' → None."""
    return None if text == "none" else [int(n) for n in text.split("-")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="disaster-tfidf")
    parser.add_argument("--word", nargs="+", default=["1-1", "1-2", "1-3"])
    parser.add_argument("--char", nargs="+", default=["none", "2-4", "2-5", "3-5", "1-6"])
    args = parser.parse_args()
    params = load_params()
    spec = resolve_run(params, args.run)
    splits = load_run_splits(spec)
    train, val = splits["train"], splits["validation"]
    base = params.embeddings_for(spec.dataset).tfidf
    print(f"{args.run}: {len(train)} train rows (5-fold CV), {len(val)} validation rows; "
          f"max_features {base.max_features}, C {spec.options.C}")
    print(f"  {'word':>5} {'char':>5} {'features':>8}  {'CV F1 (OOF, best threshold)':>28}  {'threshold':>9}  "
          f"{'validation F1 at it':>19}")
    c = float(spec.options.C)
    for word, char in itertools.product(args.word, args.char):
        cfg = base.model_copy(update={"word_ngrams": ngram_range(word), "char_ngrams": ngram_range(char)})
        vectorizers = fit_vectorizers(train.inputs, cfg)
        features = sum(len(v.vocabulary_) for v in vectorizers.values())
        cv_f1, threshold, val_f1 = cv_then_validation(c, vectorizers, train, val, params.seed)
        print(f"  {word:>5} {char:>5} {features:>8}  {cv_f1:>28.4f}  {threshold:>9.3f}  {val_f1:>19.4f}", flush=True)


if __name__ == "__main__":
    main()
