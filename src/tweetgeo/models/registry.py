"""The model-family registry: what each family takes, gives, and how it is built, trained, saved, loaded.

A family is one module in ``tweetgeo/models/families/`` that defines ``FAMILY`` (a :class:`Family`)
and its config class. Modules there are found on first use, so adding a family is one new module
plus one entry under ``models:`` in params.yaml. Importing this module, or a family module, never
starts TensorFlow: configuration checks (``check-params``, model cards) stay fast; TensorFlow is
imported only when a model is built, trained or loaded.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    import numpy as np

    from tweetgeo.rundata import SplitData
    from tweetgeo.runspec import RunSpec

Task = Literal["binary", "geo"]
Output = Literal["labels", "coords"]  # class probabilities (binary target or geo labels) | (lat, lon)
FEATURE_KINDS = ("word2vec", "glove", "tfidf", "encoder", "members", "raw")
VECTOR_FEATURES = ("encoder",)  # features that are vectors; word2vec, glove, tfidf feed cleaned text
# raw texts: an ensemble's (each member run featurises them its own way), a fine-tuned transformer's
RAW_FEATURES = ("members", "raw")
FROM_RAW_TEXT = VECTOR_FEATURES + RAW_FEATURES  # model inputs made from the raw text, not the cleaned


class FamilyConfig(BaseModel):
    """Base of every family's options (one entry under ``models:``); unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    family: str


@dataclass(frozen=True)
class Fitted:
    """A trained model and what training says about itself (train_summary.json)."""

    model: Any
    summary: dict[str, Any]


class Family(ABC):
    """One architecture family. Subclasses set the class variables and implement the four verbs."""

    name: ClassVar[str]
    config: ClassVar[type[FamilyConfig]]
    features: ClassVar[tuple[str, ...]]  # feature kinds it can take (a run's `features:`)
    tasks: ClassVar[tuple[Task, ...]] = ("binary", "geo")
    output: ClassVar[Output] = "labels"
    yardstick: ClassVar[bool] = False  # every other run on its data set is tested against it
    ablation: ClassVar[str | None] = None  # a bool option whose on-vs-off pair is tested (S2's MTL vs STL)
    repeatable: ClassVar[bool] = False  # train.repeats > 1 allowed (Keras families: seeded training)
    neural: ClassVar[bool] = True  # issue 10's "every neural run ties the yardstick" includes it
    # scores well on one core (BLAS held to one thread), and its model loads without TensorFlow:
    # `tweetgeo predict` shares many rows between two processes (predict.predict_frame_split)
    one_core_scoring: ClassVar[bool] = False

    @abstractmethod
    def fit(self, spec: RunSpec, n_labels: int, train: SplitData, val: SplitData,
            callbacks: list) -> Fitted:
        """Train on `train`, early-stopping on `val`; callbacks are Keras ones (others may ignore them)."""

    @abstractmethod
    def save(self, model: Any, directory: Path) -> None:
        """Write the model's own files into `directory` (card.json is written by the trainer)."""

    @abstractmethod
    def model_files(self, directory: Path) -> list[Path]:
        """The files (or folders) save writes: their absence means the run never finished."""

    @abstractmethod
    def load(self, directory: Path, task: Task, n_labels: int) -> Any:
        """Load what save wrote; a ModelDirError naming the file when it is unusable."""

    def check_files(self, directory: Path, task: Task, n_labels: int) -> Any:
        """Cheap checks of the saved files without TensorFlow (ModelDirError naming the file);
        by default that each of model_files exists. Returns the loaded model when checking it
        meant loading it (load_checked then uses it), else None."""
        from tweetgeo.errors import ModelDirError

        for path in self.model_files(directory):
            if not path.exists():
                raise ModelDirError(f"{path}: missing — the run was not trained to the end")
        return None

    def load_fitted(self, directory: Path, task: Task, n_labels: int) -> Any:
        """What save wrote, loaded as fit returned it (a killed run's finished fit, saved again);
        by default load's answer."""
        return self.load(directory, task, n_labels)

    def load_checked(self, directory: Path, task: Task, n_labels: int, checked: Any) -> Any:
        """The model of a directory check_files passed; `checked`: what check_files returned."""
        return checked if checked is not None else self.load(directory, task, n_labels)

    @abstractmethod
    def scores(self, model: Any, inputs: np.ndarray, task: Task) -> dict[str, np.ndarray]:
        """Raw outputs by name: ``target`` (N,) | ``label`` (N, L) | ``coords_deg`` (N, 2)."""

    def check(self, cfg: FamilyConfig, task: str, features: str) -> None:
        """Raise ValueError when this family cannot run `task` on `features` with `cfg`."""
        if features not in self.features:
            raise ValueError(f"family {self.name!r} takes features {', '.join(self.features)}, "
                             f"not {features!r}")
        if task not in self.tasks:
            raise ValueError(f"family {self.name!r} does {', '.join(self.tasks)} tasks, not {task!r}")


_REGISTRY: dict[str, Family] = {}
_DISCOVERED = False


def register(family: Family) -> Family:
    """Add a family (family modules call this through their ``FAMILY``; tests may add toys)."""
    _REGISTRY[family.name] = family
    return family


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def _discover() -> None:
    """Import every module of tweetgeo.models.families once; each registers its FAMILY."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    from tweetgeo.models import families

    for info in pkgutil.iter_modules(families.__path__):
        module = importlib.import_module(f"{families.__name__}.{info.name}")
        family = getattr(module, "FAMILY", None)
        if isinstance(family, Family) and family.name not in _REGISTRY:
            register(family)


def names() -> list[str]:
    """Every registered family name."""
    _discover()
    return sorted(_REGISTRY)


def get(name: str) -> Family:
    """The family called `name`; ValueError listing the known ones."""
    _discover()
    if name not in _REGISTRY:
        raise ValueError(f"unknown model family {name!r} (known: {', '.join(names())})")
    return _REGISTRY[name]


def parse_config(data: Any) -> FamilyConfig:
    """A ``models:`` entry → its family's config object; ValueError naming each bad key."""
    if isinstance(data, FamilyConfig):
        return data
    if not isinstance(data, dict) or "family" not in data:
        raise ValueError(f"family: missing (known: {', '.join(names())})")
    family = get(str(data["family"]))
    try:
        return family.config.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"])
            problems.append(f"{key}: unknown key" if e["type"] == "extra_forbidden" else f"{key}: {e['msg']}")
        raise ValueError("; ".join(problems)) from None
