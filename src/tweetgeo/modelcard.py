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
        return ModelCard.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"])
            problems.append(f"{key}: unknown field" if e["type"] == "extra_forbidden" else f"{key}: {e['msg']}")
        raise ModelDirError(f"{path}: unreadable model card ({'; '.join(problems)[:300]})") from None
    except ValueError as err:  # the registry: an unknown family
        raise ModelDirError(f"{path}: unreadable model card ({' '.join(str(err).split())[:300]})") from None
