"""S2's vocabulary rules for its attention CNN, under 5-fold CV of the train split (issue 10).

S2 (`../shared/SEEDS.md`) builds its vocabulary with three rules the pipeline's embed stage does not
have: minimum word frequency 5, rare words that occur in one label area only kept as one
replacement token per area, and a vocabulary cap by Information Gain Ratio over the labels (Han,
Cook & Baldwin 2012: IGR = information gain of "the user wrote w" about the label / that event's
intrinsic entropy). Each variant below is built from the fold's training rows only, then the run's
own model (default: GeoText's S2 attention CNN) is trained on them with the pipeline's trainer,
early-stopping on validation, and scored on the held-out fold (argmax and expected-distance
decoding), as `train.cv_folds` does:

- frequency: the embed stage's rule (min_count, then the max_size most frequent);
- min_count 5: S2's threshold, most frequent first;
- IGR: words seen at least min_count times, the max_size (or --igr-size) with the highest IGR;
- area tokens: min_count 5, and each rarer word whose training rows all lie in one label area
  becomes `<area_k>` (at every split, through the fold's own map).

Every variant's embedding rows come from one word2vec model trained as the embed stage trains it
(same corpus, settings and seed), so pretrained rows differ only by which words are kept; area
tokens start from the mean of their words' rows. Test is never read. Needs `dvc repro clean labels
embed`. Usage:

    python experiments/s2_vocabulary.py [--run geotext-att-mtl-kdtree] [--igr-size 5000 20000]
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.model_selection import KFold

from tweetgeo import paths, runtime
from tweetgeo.config import load_params
from tweetgeo.embeddings import _train_texts, embedding_matrix, load_features, train_word2vec
from tweetgeo.metrics import expected_distance_decode, geo_metrics, kfold_summary, label_distances
from tweetgeo.models.keras_family import TextInputs
from tweetgeo.rundata import SplitData, label_points, load_run_splits, n_labels
from tweetgeo.runspec import resolve_run
from tweetgeo.schema import TRAIN, VALIDATION
from tweetgeo.train import fit_model

SHOWN = ("acc_at_161", "median_km", "acc_at_161_expected", "median_km_expected")
S2_MIN_COUNT = 5


def igr_scores(docs: list[list[str]], labels: np.ndarray, words: list[str]) -> np.ndarray:
    """Information Gain Ratio of each word's presence in a document about the document's label."""
    index = {w: i for i, w in enumerate(words)}
    rows, cols = [], []
    for d, tokens in enumerate(docs):
        for w in set(tokens):
            if w in index:
                rows.append(d)
                cols.append(index[w])
    present = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(docs), len(words)))
    classes = np.unique(labels)
    onehot = sparse.csr_matrix((np.ones(len(labels)), (np.arange(len(labels)), np.searchsorted(classes, labels))),
                               shape=(len(labels), len(classes)))
    with_w = np.asarray((present.T @ onehot).todense())  # (W, C) documents with w per label
    n, per_class = len(docs), np.bincount(np.searchsorted(classes, labels), minlength=len(classes))
    n_w = with_w.sum(axis=1)
    without_w = per_class[None, :] - with_w

    def entropy(counts: np.ndarray) -> np.ndarray:
        total = counts.sum(axis=1, keepdims=True)
        p = np.divide(counts, total, out=np.zeros_like(counts, dtype=float), where=total > 0)
        return -(p * np.log(np.where(p > 0, p, 1))).sum(axis=1)

    p_w = n_w / n
    gain = entropy(per_class[None, :].astype(float))[0] - (p_w * entropy(with_w) + (1 - p_w) * entropy(without_w))
    intrinsic = -(p_w * np.log(np.where(p_w > 0, p_w, 1)) + (1 - p_w) * np.log(np.where(p_w < 1, 1 - p_w, 1)))
    return np.divide(gain, intrinsic, out=np.zeros_like(gain), where=intrinsic > 0)


def by_frequency(counts: Counter, min_count: int, size: int) -> list[str]:
    kept = sorted(((w, n) for w, n in counts.items() if n >= min_count and w not in ("", "[UNK]")),
                  key=lambda item: (-item[1], item[0]))
    return [w for w, _ in kept[:size]]


def area_map(docs: list[list[str]], labels: np.ndarray, counts: Counter, min_count: int) -> dict[str, str]:
    """Each word rarer than min_count whose training documents all have one label → `<area_k>`."""
    areas: dict[str, set] = defaultdict(set)
    for tokens, label in zip(docs, labels):
        for w in set(tokens):
            if counts[w] < min_count:
                areas[w].add(int(label))
    return {w: f"<area_{next(iter(a))}>" for w, a in areas.items() if len(a) == 1}


def replaced(split: SplitData, mapping: dict[str, str]) -> SplitData:
    texts = np.array([" ".join(mapping.get(w, w) for w in str(t).split()) for t in split.inputs], dtype=object)
    return SplitData(split.ids, split.raw_texts, texts, split.labels, split.latlon)


def matrix_for(vocabulary: list[str], vectors, cfg, seed: int, counts: Counter,
               mapping: dict[str, str] | None = None) -> np.ndarray:
    """Embedding rows as the embed stage makes them; an area token starts from its words' mean row."""
    matrix, _ = embedding_matrix(vocabulary, vectors, cfg.oov, seed, counts)
    if mapping:
        members: dict[str, list[str]] = defaultdict(list)
        for w, token in mapping.items():
            if w in vectors.key_to_index:
                members[token].append(w)
        for row, word in enumerate(vocabulary, start=2):
            if members.get(word):
                matrix[row] = np.mean([vectors[w] for w in members[word]], axis=0)
    return matrix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="geotext-att-mtl-kdtree")
    parser.add_argument("--igr-size", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    params = load_params()
    spec = resolve_run(params, args.run)
    cfg = params.embeddings_for(spec.dataset)
    clean = {name: pd.read_parquet(paths.clean(name))
             for name in [spec.dataset, *params.datasets[spec.dataset].word2vec_corpus]}
    corpus = [t for name, frame in clean.items() for t in _train_texts(frame, name)]
    vectors = train_word2vec((t.split() for t in corpus), cfg.word2vec, params.seed)
    shipped, length, shipped_matrix = load_features(paths.features_dir(spec.dataset, spec.features), spec.features)
    train_counts = Counter(w for t in _train_texts(clean[spec.dataset], spec.dataset) for w in t.split())
    check = matrix_for(shipped, vectors, cfg, params.seed, train_counts)
    print(f"{args.run}: word2vec retrained; the embed stage's matrix reproduced exactly: "
          f"{np.array_equal(check, shipped_matrix)}")

    splits = load_run_splits(spec)
    train, val = splits[TRAIN], splits[VALIDATION]
    points = label_points(spec)[["lat", "lon"]].to_numpy("float64")
    distances = label_distances(points)
    n_classes = n_labels(spec, label_points(spec))
    variants = ["frequency", f"min_count {S2_MIN_COUNT}", *[f"IGR {size}" for size in args.igr_size],
                f"min_count {S2_MIN_COUNT} + area tokens"]
    results: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
    family = spec.family
    folds = KFold(args.folds, shuffle=True, random_state=spec.seed).split(train.ids)
    for i, (fit_idx, held_idx) in enumerate(folds):
        fit, held = train.subset(fit_idx), train.subset(held_idx)
        docs = [str(t).split() for t in fit.inputs]
        counts = Counter(w for d in docs for w in d)
        for variant in variants:
            mapping = None
            if variant == "frequency":
                vocabulary = by_frequency(counts, cfg.vocab.min_count, cfg.vocab.max_size)
            elif variant.startswith("IGR"):
                words = by_frequency(counts, cfg.vocab.min_count, len(counts))
                order = np.argsort(-igr_scores(docs, fit.labels, words), kind="stable")
                vocabulary = [words[j] for j in order[: int(variant.split()[1])]]
            else:
                vocabulary = by_frequency(counts, S2_MIN_COUNT, cfg.vocab.max_size)
                if variant.endswith("area tokens"):
                    mapping = area_map(docs, fit.labels, counts, S2_MIN_COUNT)
                    vocabulary += sorted(set(mapping.values()))
            matrix = matrix_for(vocabulary, vectors, cfg, params.seed, counts, mapping)
            family.inputs_for = lambda _spec, _train, v=vocabulary, m=matrix: TextInputs(v, length, m)
            sets = [fit, val, held] if mapping is None else [replaced(s, mapping) for s in (fit, val, held)]
            runtime.seed_everything(spec.seed + i + 1)
            model = fit_model(spec, n_classes, sets[0], sets[1]).model
            probs = family.scores(model, sets[2].inputs, spec.task)["label"].astype("float64")
            scores = geo_metrics(held.latlon, points[probs.argmax(axis=1)])
            decoded = expected_distance_decode(probs, points, spec.decoding_top_k, distances)
            scores.update({f"{k}_expected": v for k, v in geo_metrics(held.latlon, decoded).items()})
            results[variant].append(scores)
            print(f"fold {i + 1}/{args.folds} {variant:28s} {len(vocabulary):6d} words  "
                  + "  ".join(f"{m} {scores[m]:.3f}" for m in SHOWN), flush=True)
        del family.inputs_for
    print(f"{args.run}: {len(train)} train rows, {args.folds}-fold CV (mean ± std over folds)")
    for variant, rows in results.items():
        summary = kfold_summary(rows)
        print(f"  {variant:28s} " + "  ".join(
            f"{m} {summary[m]['mean']:.3f} ± {summary[m]['std']:.3f}" if m.startswith("acc")
            else f"{m} {summary[m]['mean']:.0f} ± {summary[m]['std']:.0f}" for m in SHOWN))


if __name__ == "__main__":
    main()
