"""Adding a model family is one module plus one `models:` entry: a toy family, found, checked, trained."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from fixture_project import PARAMS, chdir, project_copy
from tweetgeo.config import ConfigError, load_params, parse_params
from tweetgeo.models import families, registry

TOY_MODULE = '''
"""A toy family: mean of the embedded tokens → head (what a contributor would write)."""
from typing import Literal

from tweetgeo.models.keras_family import Head, KerasFamily, TextFamilyConfig, TextInputs
from tweetgeo.models.registry import register


class ToyConfig(TextFamilyConfig):
    family: Literal["toy_mean"]
    width: int = 4


class ToyMean(KerasFamily):
    name, config, features = "toy_mean", ToyConfig, ("word2vec", "glove")

    def build(self, cfg: ToyConfig, inputs: TextInputs, head: Head):
        import keras

        from tweetgeo.models.layers import embed_text, output_heads, text_input

        text = text_input()
        _, x = embed_text(text, vocabulary=inputs.vocabulary, sequence_length=inputs.sequence_length,
                          embedding_matrix=inputs.embedding_matrix, trainable=cfg.trainable_embedding,
                          mask_zero=False)
        x = keras.layers.GlobalAveragePooling1D(name="mean")(x)
        x = keras.layers.Dense(cfg.width, activation="relu", name="hidden")(x)
        return keras.Model(text, output_heads(x, task=head.task, n_labels=head.n_labels), name="toy")


FAMILY = register(ToyMean())
'''


@pytest.fixture
def toy_family(tmp_path: Path):
    """Drop toy_mean.py into a folder searched as tweetgeo.models.families; undo afterwards."""
    folder = tmp_path / "more_families"
    folder.mkdir()
    (folder / "toy_mean.py").write_text(TOY_MODULE, encoding="utf-8")
    families.__path__.append(str(folder))
    registry._DISCOVERED = False
    try:
        yield "toy_mean"
    finally:
        families.__path__.remove(str(folder))
        registry.unregister("toy_mean")


def _params_with_toy(**toy: object) -> dict:
    data = copy.deepcopy(PARAMS)
    data["models"]["toy"] = {"family": "toy_mean", **toy}  # the one line in params.yaml
    data["runs"]["tiny-toy"] = {"dataset": "disaster", "model": "toy", "labels": "target", "features": "word2vec"}
    return data


def test_a_new_module_is_discovered_and_its_options_checked(toy_family: str) -> None:
    assert toy_family in registry.names()
    params = parse_params(_params_with_toy(width=3))
    assert params.models["toy"].width == 3
    with pytest.raises(ConfigError, match=r"models\.toy\.widht: unknown key"):
        parse_params(_params_with_toy(widht=3))


def test_family_feature_pairs_that_cannot_work_are_refused() -> None:
    data = copy.deepcopy(PARAMS)
    data["runs"]["tiny-gru"]["features"] = "tfidf"
    with pytest.raises(ConfigError, match=r"runs\.tiny-gru: model 'tiny_gru': family 'rnn' takes features"):
        parse_params(data)
    data = copy.deepcopy(PARAMS)
    data["runs"]["tiny-tfidf"]["features"] = "word2vec"
    with pytest.raises(ConfigError, match="family 'tfidf' takes features tfidf, not 'word2vec'"):
        parse_params(data)


def test_unknown_family_is_named() -> None:
    data = copy.deepcopy(PARAMS)
    data["models"]["tiny_gru"]["family"] = "transformer9000"
    with pytest.raises(ConfigError, match=r"models\.tiny_gru.*unknown model family 'transformer9000'"):
        parse_params(data)


def test_toy_family_trains_and_predicts_like_any_other(toy_family: str, tmp_path: Path) -> None:
    from tweetgeo import paths
    from tweetgeo.evaluate import evaluate_run
    from tweetgeo.predict import Predictor
    from tweetgeo.runspec import resolve_run
    from tweetgeo.train import train_run

    project = project_copy(tmp_path / "toy")
    (project / "params.yaml").write_text(yaml.safe_dump(_params_with_toy()), encoding="utf-8")
    with chdir(project):
        params = load_params("params.yaml")
        spec = resolve_run(params, "tiny-toy")
        assert spec.family.name == "toy_mean"
        out = train_run(spec)
        result = evaluate_run(spec, bootstrap=0)
        predicted = Predictor(out).predict(["forest fire near the town", ""])
        assert paths.card(out).exists() and paths.keras_model(out).exists()
    assert 0.0 <= result["validation"]["accuracy"]["value"] <= 1.0
    assert list(predicted.columns[:2]) == ["probability", "target"] and len(predicted) == 2
    assert pd.api.types.is_float_dtype(predicted["probability"])
