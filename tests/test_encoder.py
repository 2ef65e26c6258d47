"""The TensorFlow all-MiniLM-L6-v2 encoder: shapes, invariances, and a plain-numpy reference."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load_file
from scipy.special import erf

from tweetgeo import encoder as encoder_module
from tweetgeo import schema
from tweetgeo.config import parse_params
from tweetgeo.encoder import SentenceEncoder, model_dir, resolve_precision, run_encode_stage

FLOOD = "the city is flooded after the storm"
RAIN = "heavy rain caused floods in town"
PHONE = "I love my new phone"


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder(max_tokens=32, precision="float32")


# --------------------------------------------------------------------------- numpy reference
def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _linear(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    """torch.nn.Linear: y = x Wᵀ + b with W stored (out, in)."""
    return np.einsum("...i,oi->...o", x, w[f"{name}.weight"]) + w[f"{name}.bias"]


def _reference(ids: list[int]) -> np.ndarray:
    """One text through BERT in float64, written straight from the HF BertModel definition."""
    folder = model_dir()
    cfg = json.loads((folder / "config.json").read_text())
    w = {k: v.astype(np.float64) for k, v in load_file(str(folder / "model.safetensors")).items()}
    eps, heads = cfg["layer_norm_eps"], cfg["num_attention_heads"]
    n = len(ids)
    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        q, k, v = (_linear(x, w, f"{p}.attention.self.{m}").reshape(n, heads, -1)
                   for m in ("query", "key", "value"))
        scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(q.shape[-1])
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = np.einsum("hqk,khd->qhd", probs, v).reshape(n, -1)
        norm = f"{p}.attention.output.LayerNorm"
        x = _layer_norm(x + _linear(context, w, f"{p}.attention.output.dense"),
                        w[f"{norm}.weight"], w[f"{norm}.bias"], eps)
        h = _linear(x, w, f"{p}.intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
        x = _layer_norm(x + _linear(h, w, f"{p}.output.dense"),
                        w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"], eps)
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def test_matches_numpy_reference(encoder: SentenceEncoder) -> None:
    texts = [FLOOD, "Forest fire near La Ronge Sask. Canada", "ok"]
    got = encoder.encode(texts)  # one padded batch: checks masking too
    want = np.stack([_reference(ids) for ids in encoder.token_ids(texts)])
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_bfloat16_products_stay_close_to_the_reference() -> None:
    """bfloat16 kernels (encoder.precision) change each vector by far less than texts differ."""
    texts = [FLOOD, "Forest fire near La Ronge Sask. Canada", "ok", PHONE]
    half = SentenceEncoder(max_tokens=32, precision="bfloat16")
    got = half.encode(texts)
    want = np.stack([_reference(ids) for ids in half.token_ids(texts)])
    assert half.precision == "bfloat16" and got.dtype == np.float32
    cosine = np.sum(got * want, axis=1)
    assert cosine.min() > 0.999, cosine
    assert np.abs(got - want).max() > 1e-6  # the products did run in bfloat16
    assert (got @ want.T).argmax(axis=1).tolist() == [0, 1, 2, 3]


def test_precision_auto_follows_the_cpu(monkeypatch) -> None:
    monkeypatch.setattr(encoder_module, "cpu_multiplies_bfloat16", lambda: True)
    assert resolve_precision("auto") == "bfloat16"  # the test machines have no GPU
    monkeypatch.setattr(encoder_module, "cpu_multiplies_bfloat16", lambda: False)
    assert resolve_precision("auto") == "float32"
    assert resolve_precision("bfloat16") == "bfloat16" and resolve_precision("float32") == "float32"
    with pytest.raises(ValueError, match="encoder.precision"):
        resolve_precision("float16")


def test_pooling_config_is_mean_then_normalize() -> None:
    folder = model_dir()
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    modules = [m["type"] for m in json.loads((folder / "modules.json").read_text())]
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    assert modules[-1].endswith("Normalize")


# --------------------------------------------------------------------------- tokenizer
def test_tokenizer_wraps_in_cls_sep_and_truncates(encoder: SentenceEncoder) -> None:
    short, long = encoder.token_ids(["Hello world", "word " * 100])
    assert short[0] == 101 and short[-1] == 102 and len(short) == 4
    assert len(long) == 32 and long[0] == 101 and long[-1] == 102


# --------------------------------------------------------------------------- vectors
def test_shape_dtype_unit_norm(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode([FLOOD, RAIN, PHONE, ""])
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_deterministic(encoder: SentenceEncoder) -> None:
    np.testing.assert_array_equal(encoder.encode([FLOOD, PHONE]), encoder.encode([FLOOD, PHONE]))


def test_batch_and_order_invariant(encoder: SentenceEncoder) -> None:
    alone = encoder.encode([PHONE])[0]
    longer = ["a much longer tweet about storms, floods and rescue teams arriving in the flooded city " * 2]
    mixed = encoder.encode(longer + [RAIN, PHONE, FLOOD], batch_size=2)
    np.testing.assert_allclose(mixed[2], alone, atol=1e-5)
    np.testing.assert_allclose(mixed[1], encoder.encode([RAIN])[0], atol=1e-5)


def test_semantic_sanity(encoder: SentenceEncoder) -> None:
    flood, rain, phone = encoder.encode([FLOOD, RAIN, PHONE])
    assert flood @ rain > flood @ phone


# --------------------------------------------------------------------------- stage
def test_run_encode_stage_samples_each_split(tmp_path) -> None:
    frame = pd.DataFrame({
        schema.ID: [f"t{i}" for i in range(7)],
        schema.RAW_TEXT: [FLOOD, RAIN, PHONE, "fire!", None, "help", "storm"],
        schema.SPLIT: ["train"] * 4 + ["validation"] * 2 + ["test"],
    })
    params = parse_params({"seed": 1, "datasets": {}, "models": {}, "runs": {},
                           "encoder": {"max_tokens": 16, "batch_size": 2, "max_rows": 2,
                                       "precision": "float32"}})
    out = tmp_path / "enc" / "vectors.npz"
    assert run_encode_stage(params, frame, out) == {"rows": 5, "precision": "float32"}
    data = np.load(out)
    ids = list(data["ids"])
    assert len(ids) == 5 and data["vectors"].shape == (5, 384) and data["vectors"].dtype == np.float32
    assert sum(i in {"t0", "t1", "t2", "t3"} for i in ids) == 2 and "t6" in ids
    assert not list(tmp_path.glob("enc/.*"))  # no temporary file left behind


def test_batch_size_and_order_do_not_change_vectors(encoder: SentenceEncoder) -> None:
    """Length-sorted small batches give the vectors of one text at a time, in the input order."""
    texts = [FLOOD, "ok", PHONE + " " + RAIN * 3, RAIN, "", "Forest fire near La Ronge Sask. Canada", PHONE]
    alone = np.stack([encoder.encode([t], batch_size=1)[0] for t in texts])
    for batch_size in (2, 3, 256):
        np.testing.assert_allclose(encoder.encode(texts, batch_size=batch_size), alone, atol=1e-5)
    assert not np.allclose(alone[0], alone[1], atol=1e-3)  # distinct texts stay distinct
