"""card.json: what a trained run directory is, so predict can rebuild its inputs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from tweetgeo.config import CleanConfig, Params
from tweetgeo.io import read_json, write_json

CARD = "card.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModelCard:
    run: str
    task: str  # "binary" (disaster) or "geo"
    dataset: str
    family: str  # architecture family (rnn, cnn_bilstm, attention_cnn, encoder_regression, tfidf)
    labels: str  # label scheme
    features: str  # word2vec | glove | encoder | tfidf
    n_labels: int
    clean: dict[str, Any]  # CleanConfig used on the training text: predict cleans the same way
    encoder_max_tokens: int
    format_version: int = FORMAT_VERSION

    @classmethod
    def for_run(cls, params: Params, run: str, task: str, n_labels: int) -> ModelCard:
        cfg = params.runs[run]
        return cls(run=run, task=task, dataset=cfg.dataset, family=params.model_for(run).family,
                   labels=cfg.labels, features=cfg.features, n_labels=n_labels,
                   clean=params.clean_for(cfg.dataset).model_dump(),
                   encoder_max_tokens=params.encoder.max_tokens)

    @property
    def clean_config(self) -> CleanConfig:
        return CleanConfig(**self.clean)


class ModelDirError(ValueError):
    """A model directory that cannot be used; the message names the file."""


def save_card(card: ModelCard, model_dir: Path) -> None:
    write_json(asdict(card), Path(model_dir) / CARD)


def load_card(model_dir: Path) -> ModelCard:
    """Read and check card.json; a clear error when it is missing or not ours."""
    path = Path(model_dir) / CARD
    if not Path(model_dir).is_dir():
        raise ModelDirError(f"{model_dir}: not a directory (expected a trained run, models/<run>)")
    if not path.exists():
        raise ModelDirError(f"{path}: missing — {model_dir} is not a tweetgeo run directory")
    try:
        data = read_json(path)
        if not isinstance(data, dict):
            raise TypeError(f"expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(ModelCard)}
        unknown = set(data) - known
        if unknown:
            raise ModelDirError(f"{path}: unknown fields {sorted(unknown)}")
        card = ModelCard(**data)
        card.clean_config  # noqa: B018  (the cleaning predict repeats must be valid)
    except ModelDirError:
        raise
    except (ValueError, TypeError) as err:
        reason = " ".join(str(err).split())  # pydantic's message spans lines
        raise ModelDirError(f"{path}: unreadable model card ({reason[:300]})") from None
    if card.format_version != FORMAT_VERSION:
        raise ModelDirError(f"{path}: format_version {card.format_version}, "
                            f"this tweetgeo reads {FORMAT_VERSION}")
    if card.task not in ("binary", "geo"):
        raise ModelDirError(f"{path}: task {card.task!r}, expected 'binary' or 'geo'")
    return card
