"""The fine-tuned transformer family (MiniLM or multilingual-e5-small end to end): learns a toy task from
raw text, saves, loads and scores the same; its weights start from the packaged encoder's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tweetgeo.config import CleanConfig, TrainConfig
from tweetgeo.rundata import SplitData
from tweetgeo.runspec import RunSpec

WORDS = {0: ["wildfire", "flood", "earthquake", "evacuation"], 1: ["birthday", "cake", "party", "music"],
         2: ["snow", "ski", "glacier", "cold"]}


def _spec(task: str, **options) -> RunSpec:
    return RunSpec(name="ft", dataset="toy", task=task, labels="target" if task == "binary" else "kdtree",
                   features="raw", model="ft", options={"family": "transformer", "learning_rate": 2e-4, **options},
                   train=TrainConfig(epochs=4, batch_size=8, patience=4), clean=CleanConfig(),
                   decoding_top_k=3, encoder_max_tokens=16, seed=0)


def _split(n_classes: int, n: int, seed: int) -> SplitData:
    rng = np.random.default_rng(seed)
    labels = np.array([i % n_classes for i in range(n)])
    texts = np.array([f"the {' '.join(rng.choice(WORDS[y], size=2))} today" for y in labels], dtype=object)
    return SplitData(np.array([str(i) for i in range(n)], dtype=object), texts, texts, labels, np.zeros((n, 2)))


@pytest.mark.parametrize("task", ["binary", "geo"])
def test_learns_saves_loads_and_scores_the_same(task: str, tmp_path: Path) -> None:
    spec = _spec(task)
    n_classes = 2 if task == "binary" else 3
    family = spec.family
    fitted = family.fit(spec, n_classes, _split(n_classes, 48, 0), _split(n_classes, 12, 1), [])
    assert fitted.summary["epochs_run"] >= 1 and 1 <= fitted.summary["best_epoch"] <= fitted.summary["epochs_run"]
    history = fitted.summary["history"]
    assert list(history.columns) == ["epoch", "loss", "val_loss"]
    assert history["epoch"].tolist() == list(range(1, fitted.summary["epochs_run"] + 1))  # as Keras runs: from 1
    probe = np.array(["the wildfire flood today", "the birthday cake today", "the ski glacier today"][:n_classes],
                     dtype=object)
    before = family.scores(fitted.model, probe, task)
    family.save(fitted.model, tmp_path)
    assert all(p.exists() for p in family.model_files(tmp_path))
    after = family.scores(family.load(tmp_path, task, n_classes), probe, task)
    key = "target" if task == "binary" else "label"
    np.testing.assert_allclose(after[key], before[key], rtol=1e-5, atol=1e-6)
    if task == "binary":
        assert after[key][0] < 0.5 < after[key][1]  # target 1: the words of class 1
    else:
        assert after[key].shape == (3, 3)
        assert after[key].argmax(axis=1).tolist() == [0, 1, 2]


def test_starts_from_the_packaged_encoder_and_names_a_wrong_head(tmp_path: Path) -> None:
    from tweetgeo.encoder import SentenceEncoder
    from tweetgeo.errors import ModelDirError
    from tweetgeo.models.transformer import FineTunedEncoder
    from tweetgeo.runtime import tf

    texts = ["Forest fire near La Ronge Sask. Canada", "I love fruits"]
    model = FineTunedEncoder.create(1, 16, 0.1, 0)
    ids = model.token_ids(texts)
    width = max(map(len, ids))
    batch = np.array([seq + [0] * (width - len(seq)) for seq in ids], dtype="int32")
    pooled = model.bert.pooled(tf.constant(batch), tf.constant((batch > 0).astype("int32"))).numpy()
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    np.testing.assert_allclose(pooled, SentenceEncoder(16, precision="float32").encode(texts), atol=1e-5)
    spec = _spec("binary")
    family = spec.family
    from tweetgeo.predict import Predictor
    from tweetgeo.train import save_model

    save_model(spec, model, pd.DataFrame(), 2, tmp_path / "run", threshold=0.5)  # a run directory
    predicted = Predictor(tmp_path / "run").predict(texts)  # raw text in, as `tweetgeo predict`
    np.testing.assert_allclose(predicted["probability"].to_numpy(), model.probabilities(texts), rtol=1e-6)
    family.save(model, tmp_path)
    with pytest.raises(ModelDirError, match="the head gives 1 outputs, the card expects 5"):
        family.load(tmp_path, "geo", 5)
    (tmp_path / "transformer.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelDirError, match="transformer.npz: unusable fine-tuned transformer"):
        family.load(tmp_path, "binary", 2)


def test_e5_backbone_with_a_frozen_word_table_learns_saves_without_it_and_loads(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from tweetgeo.e5_checkpoint import packaged_checkpoint
    from tweetgeo.io import read_json
    from tweetgeo.models.families.transformer import TransformerConfig
    from tweetgeo.models.transformer import WORD_TABLE

    spec = _spec("binary", backbone="multilingual-e5-small", freeze_word_embeddings=True)
    family = spec.family
    fitted = family.fit(spec, 2, _split(2, 48, 0), _split(2, 12, 1), [])
    table = packaged_checkpoint().weights[WORD_TABLE]
    assert fitted.model.bert.word.shape == table.shape
    np.testing.assert_array_equal(np.asarray(fitted.model.bert.word), table)  # frozen: the checkpoint's still
    assert fitted.summary["parameters"] < table.size  # the table is not among the trained variables
    probe = np.array(["the wildfire flood today", "the birthday cake today"], dtype=object)
    before = family.scores(fitted.model, probe, "binary")["target"]
    assert before[0] < 0.5 < before[1]
    family.save(fitted.model, tmp_path)
    with np.load(tmp_path / "transformer.npz") as saved:
        assert WORD_TABLE not in saved.files and "encoder.layer.11.output.dense.weight" in saved.files
    assert read_json(tmp_path / "transformer.json") == {
        "max_tokens": 16, "backbone": "multilingual-e5-small", "freeze_word_embeddings": True}
    after = family.scores(family.load(tmp_path, "binary", 2), probe, "binary")["target"]
    np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValidationError, match="backbone"):
        TransformerConfig(family="transformer", backbone="bert-base-uncased")
