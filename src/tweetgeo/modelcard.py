"""card.json: the saved form of a run's RunSpec plus what training learned (number of labels).

A trained run directory is answerable on its own: ``tweetgeo predict`` cleans, featurises and
decodes exactly as the run did, because everything it needs is in the card.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tweetgeo import paths
from tweetgeo.errors import ModelDirError  # noqa: F401  (defined with the other user errors)
from tweetgeo.io import read_json, write_json
from tweetgeo.runspec import RunSpec

FORMAT_VERSION = 2  # 1: flat fields before the run spec (tweetgeo ≤ 0.1 of issue 9); retrain those


class ModelCard(BaseModel):
    """What a trained run directory is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: int = FORMAT_VERSION
    spec: RunSpec
    n_labels: int = Field(ge=2)  # classes of the model's label output (2 for the binary target)
    # binary runs: predict says 1 when the positive probability is at least this (train.threshold)
    threshold: float = Field(0.5, gt=0.0, lt=1.0)


def save_card(card: ModelCard, model_dir: Path) -> None:
    write_json(card.model_dump(mode="json"), paths.card(model_dir))


def load_card(model_dir: Path) -> ModelCard:
    """Read and check card.json; a clear error when it is missing, damaged, old or not ours."""
    path = paths.card(model_dir)
    if not Path(model_dir).is_dir():
        raise ModelDirError(f"{model_dir}: not a directory (expected a trained run, models/<run>)")
    if not path.exists():
        raise ModelDirError(f"{path}: missing — {model_dir} is not a tweetgeo run directory")
    try:
        data = read_json(path)
    except RecursionError:
        raise ModelDirError(f"{path}: unreadable model card (nested too deeply)") from None
    except (ValueError, OSError) as err:
        raise ModelDirError(f"{path}: unreadable model card (not JSON: {' '.join(str(err).split())[:200]})") from None
    if not isinstance(data, dict):
        raise ModelDirError(f"{path}: unreadable model card (expected a JSON object, got {type(data).__name__})")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelDirError(f"{path}: format_version {version!r}, this tweetgeo reads {FORMAT_VERSION}"
                            + (" — written by an older tweetgeo: retrain the run (dvc repro)"
                               if isinstance(version, int) and version < FORMAT_VERSION else ""))
    try:
        card = ModelCard.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"])
            problems.append(f"{key}: unknown field" if e["type"] == "extra_forbidden" else f"{key}: {e['msg']}")
        raise ModelDirError(f"{path}: unreadable model card ({'; '.join(problems)[:300]})") from None
    except ValueError as err:  # the registry: an unknown family
        raise ModelDirError(f"{path}: unreadable model card ({' '.join(str(err).split())[:300]})") from None
    _check_fits(card, path)
    return card


def _check_fits(card: ModelCard, path: Path) -> None:
    """The card's fields must agree with each other (a card edited by hand may not)."""
    spec = card.spec
    try:
        spec.family.check(spec.options, spec.task, spec.features)
    except ValueError as err:
        raise ModelDirError(f"{path}: card does not fit its model ({' '.join(str(err).split())[:200]})") from None
    problems = []
    if (spec.task == "binary") != (spec.labels == "target"):
        problems.append(f"spec.labels {spec.labels!r} with task {spec.task!r}")
    if spec.task == "binary" and card.n_labels != 2:
        problems.append(f"n_labels {card.n_labels} for the binary task (expected 2)")
    if spec.decoding_top_k < 1 or spec.encoder_max_tokens < 1:
        problems.append("spec.decoding_top_k and spec.encoder_max_tokens must be at least 1")
    if problems:
        raise ModelDirError(f"{path}: unreadable model card ({'; '.join(problems)})")
