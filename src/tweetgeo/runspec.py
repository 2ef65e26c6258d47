"""One run, resolved once: everything training, evaluation and prediction need to know about it.

``resolve_run(params, name)`` merges the sections (train defaults ← preset ← run overrides, the data
set's cleaning) and checks the family can do the run; every later step takes the frozen
:class:`RunSpec` instead of re-deriving parts of it from ``(params, run)``. Its saved form is the
model card (:mod:`tweetgeo.modelcard`), so ``tweetgeo predict`` and ``evaluate`` decode alike.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SerializeAsAny, field_validator

from tweetgeo import paths
from tweetgeo.config import CleanConfig, ConfigError, EncoderPrecision, Params, TrainConfig
from tweetgeo.models import registry
from tweetgeo.models.registry import Family, FamilyConfig


class RunSpec(BaseModel):
    """A run of params.yaml, resolved: (data set × model × label scheme × features) and its settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str  # the run's key under `runs:` (or `ensembles:`)
    dataset: str
    task: Literal["binary", "geo"]  # binary: the disaster target; geo: labels and coordinates
    labels: Literal["kdtree", "p2c", "region", "target"]  # label scheme
    features: Literal["word2vec", "glove", "encoder", "tfidf", "members", "raw"]
    model: str  # its name under `models:`
    options: SerializeAsAny[FamilyConfig]  # the family's options (its `models:` entry)
    train: TrainConfig
    clean: CleanConfig  # how the training text was cleaned: predict cleans new text the same way
    decoding_top_k: int  # labels considered by distance-aware decoding
    encoder_max_tokens: int  # word pieces per text for encoder features
    encoder_precision: EncoderPrecision = "auto"  # the encoder's products (predict)
    seed: int
    members: tuple[RunSpec, ...] = ()  # an ensemble's member runs, resolved (family `ensemble`)

    @field_validator("options", mode="before")
    @classmethod
    def _family_config(cls, value: Any) -> FamilyConfig:
        return registry.parse_config(value)

    @property
    def family(self) -> Family:
        """The registered family that builds, trains, saves and loads this run's model."""
        return registry.get(self.options.family)

    @property
    def model_dir(self) -> Path:
        """Where its trained model lives: models/<run>, or ensembles/<run> for an ensemble."""
        return paths.model_dir(self.name, ensemble=bool(self.members))

    def stamp(self) -> str:
        """A hash of everything that shapes the trained model (a resume backup must match it)."""
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def resolve_run(params: Params, name: str) -> RunSpec:
    """The RunSpec of `runs.<name>` or `ensembles.<name>` (params are already validated, so this
    cannot fail on them)."""
    known = params.all_runs
    if name not in known:
        raise ConfigError(f"unknown run {name!r} (known: {', '.join(known)})")
    run = known[name]
    return RunSpec(name=name, dataset=run.dataset, task="binary" if run.labels == "target" else "geo",
                   labels=run.labels, features=run.features, model=run.model,
                   options=params.models[run.model], train=params.train_for(name),
                   clean=params.clean_for(run.dataset), decoding_top_k=params.evaluate.decoding_top_k,
                   encoder_max_tokens=params.encoder.max_tokens,
                   encoder_precision=params.encoder.precision, seed=params.seed,
                   members=tuple(resolve_run(params, member) for member in run.members))
