"""GloVe rows for the disaster words the packaged GloVe 6B lacks: does filling them help the S3 RNN?

The disaster cleaning keeps hashtags, mentions and contractions (chosen on validation), so
`#news`, `@youtube` or `don't` miss GloVe 6B, whose own tokens are `news`, `do` + `n't`: about 17%
of the training tokens reach the model as zero rows. The fallback gives a hashtag or mention its
word's vector and a contraction the mean of GloVe's pieces (`do` + `n't`, `i` + `'m`). The run
(default disaster-bigru-glove) is trained with the embed stage's matrix and with the filled one,
a few seeds each, and validation F1 is printed at 0.5 and at the F1-best threshold on validation
(optimistic: the same rows choose it). Test is never read. Needs `dvc repro embed@disaster`. Usage:

    python experiments/glove_fallback.py [--run disaster-bigru-glove] [--seeds 42 43 44]
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from unittest import mock

import numpy as np
from _binary_seeds import mean_line, validation_f1
from gensim.models import KeyedVectors

from tweetgeo import paths
from tweetgeo.config import load_params
from tweetgeo.embeddings import load_features, load_pretrained
from tweetgeo.rundata import label_points, load_run_splits, n_labels
from tweetgeo.runspec import resolve_run
from tweetgeo.schema import TRAIN, VALIDATION

_CLITIC = re.compile(r"^(.+?)(n't|'[a-z]+)$")  # don't → do + n't, i'm → i + 'm, we're → we + 're


def fallback_vector(word: str, vectors: KeyedVectors) -> np.ndarray | None:
    """A vector for a word GloVe lacks: its hashtag/mention word, or the mean of its clitic pieces."""
    bare = word.lstrip("#@")
    if bare != word and bare in vectors.key_to_index:
        return vectors[bare]
    match = _CLITIC.match(bare)
    if match and all(piece in vectors.key_to_index for piece in match.groups()):
        return np.mean([vectors[piece] for piece in match.groups()], axis=0)
    return None


def filled_matrix(vocabulary: list[str], matrix: np.ndarray, vectors: KeyedVectors) -> tuple[np.ndarray, list[str]]:
    """The matrix with rows filled for missed words that have a fallback; the words filled."""
    filled, words = matrix.copy(), []
    for row, word in enumerate(vocabulary, start=2):
        if word not in vectors.key_to_index:
            vector = fallback_vector(word, vectors)
            if vector is not None:
                filled[row] = vector
                words.append(word)
    return filled, words


def token_coverage(counts: Counter, vocabulary: list[str], covered: set[str]) -> float:
    in_vocab = set(vocabulary)
    total = sum(counts.values())
    return sum(n for word, n in counts.items() if word in in_vocab and word in covered) / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="disaster-bigru-glove")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    args = parser.parse_args()
    params = load_params()
    spec = resolve_run(params, args.run)
    if spec.features != "glove" or spec.task != "binary":
        raise SystemExit(f"{args.run}: a binary run with `features: glove` is needed")
    source = paths.features_dir(spec.dataset, "glove")
    vocabulary, _, matrix = load_features(source, "glove")
    vectors = load_pretrained(params.embeddings.glove)
    filled, words = filled_matrix(vocabulary, matrix, vectors)

    splits = load_run_splits(spec, spec.train.max_train_rows)
    train = splits[TRAIN].subset(splits[TRAIN].labelled)
    val = splits[VALIDATION].subset(splits[VALIDATION].labelled)
    counts = Counter(token for text in train.inputs for token in str(text).split())
    found = {w for w in vocabulary if w in vectors.key_to_index}
    print(f"{args.run}: {len(vocabulary)} words; GloVe has {len(found)}; the fallback fills {len(words)} more "
          f"(e.g. {', '.join(words[:8])})")
    print(f"training tokens with a pretrained row: {token_coverage(counts, vocabulary, found):.3f} → "
          f"{token_coverage(counts, vocabulary, found | set(words)):.3f}")

    n_classes = n_labels(spec, label_points(spec))
    original_dir = paths.features_dir
    with tempfile.TemporaryDirectory() as tmp:
        variant = Path(tmp) / "glove"
        shutil.copytree(source, variant)
        np.save(variant / "glove.npy", filled)
        results: dict[str, list[tuple[float, float, int | None]]] = {"embed stage's matrix": [],
                                                                     "with the fallback": []}
        for seed in args.seeds:
            for name, folder in (("embed stage's matrix", source), ("with the fallback", variant)):
                def features_dir(dataset: str, kind: str, folder: Path = folder) -> Path:
                    return folder if kind == "glove" else original_dir(dataset, kind)

                with mock.patch.object(paths, "features_dir", features_dir):  # the family reads it
                    results[name].append(validation_f1(spec, n_classes, train, val, seed))
                print(f"  seed {seed}, {name}: validation F1 {results[name][-1][0]:.4f} at 0.5, "
                      f"{results[name][-1][1]:.4f} at its F1-best threshold", flush=True)
    for name, scores in results.items():
        print(mean_line(f"{name:>22}", scores))


if __name__ == "__main__":
    main()
