"""What an epoch of Yachay's TF-IDF MLP costs, side by side in one process (issue 11), and what it
scores on VALIDATION rows (issue 10): for each `max_terms` (strongest n-grams kept per tweet,
`models.<name>.max_terms`), and with --lazy-adam also Adam updating only the embedding rows a batch
touches (LazyAdam, as TF Addons had it; not in Keras 3).

The model is the run's (the ngram_bag family's builder and the run's options; `max_terms` is set
here), compiled with the optimizer under test; rows are the first --rows of the run's train split
and the first --val-rows of its validation split, at the run's batch size and learning rate.
--run names another n-gram bag run; `--max-terms` with no value prints only the n-gram counts per
text. Needs `dvc repro embed` (the run's vectorisers). Usage:

    python experiments/ngram_bag_speed.py [--run yachay-tfidf-mlp-kdtree] [--max-terms 400 150] [--lazy-adam]
                                          [--rows 30000] [--val-rows 6000] [--epochs 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tweetgeo import paths, runtime
from tweetgeo.config import load_params
from tweetgeo.models.families.ngram_bag import bag_inputs
from tweetgeo.models.tfidf import load_vectorizers, transform
from tweetgeo.rundata import label_points, load_run_splits, n_labels
from tweetgeo.runspec import resolve_run


def lazy_adam(learning_rate: float):
    """Adam whose embedding update (a tf.IndexedSlices gradient) touches only the batch's rows."""
    import keras
    import tensorflow as tf

    class LazyAdam(keras.optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            if not isinstance(gradient, tf.IndexedSlices):
                return super().update_step(gradient, variable, learning_rate)
            rows, position = tf.unique(gradient.indices)
            grad = tf.math.unsorted_segment_sum(gradient.values, position, tf.shape(rows)[0])
            step, dtype = tf.cast(self.iterations + 1, variable.dtype), variable.dtype
            alpha = (tf.cast(learning_rate, dtype) * tf.sqrt(1 - tf.pow(tf.cast(self.beta_2, dtype), step))
                     / (1 - tf.pow(tf.cast(self.beta_1, dtype), step)))
            m = self._momentums[self._get_variable_index(variable)]
            v = self._velocities[self._get_variable_index(variable)]
            m_rows = self.beta_1 * tf.gather(m.value, rows) + (1 - self.beta_1) * grad
            v_rows = self.beta_2 * tf.gather(v.value, rows) + (1 - self.beta_2) * tf.square(grad)
            self.assign(m, tf.IndexedSlices(m_rows, rows))
            self.assign(v, tf.IndexedSlices(v_rows, rows))
            self.assign_sub(variable, tf.IndexedSlices(alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon), rows))

    return LazyAdam(learning_rate)


def build(spec, n_features: int, n_labels: int, optimizer):
    """The run's own model (the family's builder and options), compiled with `optimizer`."""
    from tweetgeo.models.families.ngram_bag import FAMILY, BagInputs
    from tweetgeo.models.keras_family import Head

    runtime.seed_everything(0)
    model = FAMILY.build(spec.options, BagInputs(n_features), Head("geo", n_labels))
    model.compile(optimizer, {"label": "sparse_categorical_crossentropy"}, metrics={"label": "accuracy"})
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="yachay-tfidf-mlp-kdtree")
    parser.add_argument("--max-terms", type=int, nargs="*", default=[400, 150])
    parser.add_argument("--lazy-adam", action="store_true")
    parser.add_argument("--rows", type=int, default=30000)
    parser.add_argument("--val-rows", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    import keras

    spec = resolve_run(load_params(), args.run)
    splits = load_run_splits(spec)
    train, val = splits["train"], splits["validation"]
    vectorizers = load_vectorizers(paths.features_dir(spec.dataset, "tfidf"))
    x_train = transform(vectorizers, list(train.inputs[:args.rows]))
    x_val = transform(vectorizers, list(val.inputs[:args.val_rows]))
    y_train, y_val = train.labels[:args.rows], val.labels[:args.val_rows]
    labels = n_labels(spec, label_points(spec))
    batch, rate = spec.train.batch_size, spec.train.learning_rate
    lengths = np.diff(x_train.indptr)
    print(f"{args.run}: {len(y_train)} train, {len(y_val)} validation rows, {x_train.shape[1]} n-grams; "
          f"n-grams per text: median {np.median(lengths):.0f}, p90 {np.percentile(lengths, 90):.0f}, "
          f"max {lengths.max()}; {args.epochs} epochs, batch {batch}, learning rate {rate:g}", flush=True)
    optimizers = [("adam", lambda: keras.optimizers.Adam(rate))]
    if args.lazy_adam:
        optimizers.append(("lazy adam", lambda: lazy_adam(rate)))
    for k in args.max_terms:
        fit_in, val_in = bag_inputs(x_train, k, "tfidf"), bag_inputs(x_val, k, "tfidf")
        for name, make in optimizers:
            model = build(spec, x_train.shape[1], labels, make())
            start = time.perf_counter()
            history = model.fit(fit_in, {"label": y_train}, batch_size=batch, epochs=args.epochs, verbose=0,
                                validation_data=(val_in, {"label": y_val}))
            seconds = time.perf_counter() - start
            curve = next(v for key, v in history.history.items() if key.startswith("val") and key.endswith("accuracy"))
            accuracy = " ".join(f"{a:.4f}" for a in curve)
            print(f"  max_terms {k:>3} {name:9s} {seconds:6.1f} s ({seconds / args.epochs:5.1f} s/epoch)  "
                  f"validation accuracy by epoch: {accuracy}", flush=True)


if __name__ == "__main__":
    main()
