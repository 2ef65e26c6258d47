"""Run specs for tests that build model directories by hand (no params.yaml needed)."""

from __future__ import annotations

from typing import Any

from tweetgeo.config import CleanConfig, TrainConfig
from tweetgeo.modelcard import ModelCard
from tweetgeo.runspec import RunSpec


def tiny_spec(name: str = "tiny", options: dict[str, Any] | None = None, **fields: Any) -> RunSpec:
    """A binary disaster run of a tiny GRU unless told otherwise."""
    base = dict(name=name, dataset="disaster", task="binary", labels="target", features="word2vec",
                model="tiny_gru", options=options or {"family": "rnn", "cell": "gru", "units": 2, "dense_units": 2},
                train=TrainConfig(), clean=CleanConfig(), decoding_top_k=20, encoder_max_tokens=64, seed=0)
    return RunSpec(**{**base, **fields})


def tiny_card(n_labels: int = 2, **fields: Any) -> ModelCard:
    return ModelCard(spec=tiny_spec(**fields), n_labels=n_labels)
