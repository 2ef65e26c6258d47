"""An ensemble of runs: the mean of its member runs' class probabilities (issue 10's "ensembles").

An entry of params.yaml's `ensembles` lists runs of `runs` on the same data set and label scheme
(`ensembles.<name>.members`). Its dvc.yaml stage (`ensemble@<name>`) runs after theirs: training
takes each member's trained ``models/<run>/`` — checked to be the run its entry now describes — and
copies it whole (card, model files, label points) into ``ensembles/<name>/members/<i>-<run>/``, so the
ensemble folder is self-contained and each member stays a run directory that ``tweetgeo predict`` can
answer with alone. Only where the ensemble's training rows are not the member's (other sampled rows)
is the member fitted again, on those rows. Its k-fold CV refits nothing: it averages the members'
out-of-fold scores (tweetgeo.cross_validation). The ensemble's inputs are the raw
texts (features ``members``): each member cleans, encodes and scores them exactly as it does on
its own, so members of different feature kinds (TF-IDF, sentence encoder, GloVe RNN) combine.
Averaging probabilities is two lines of numpy; scikit-learn's VotingClassifier cannot hold Keras
models that each read differently featurised text, so the members are combined here.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tweetgeo.models.registry import Family, FamilyConfig, Fitted, Task, register

if TYPE_CHECKING:
    from tweetgeo.predict import Predictor
    from tweetgeo.rundata import SplitData
    from tweetgeo.runspec import RunSpec

MEMBERS_FILE = "members.json"  # the member folders, in order
MEMBERS_DIR = "members"


class EnsembleConfig(FamilyConfig):
    family: Literal["ensemble"]
    combine: Literal["mean"] = "mean"  # the members' class probabilities, averaged with equal weights


@dataclass
class EnsembleModel:
    """The member runs, each a Predictor over its own run directory."""

    names: list[str]  # member run names, in order
    predictors: list[Predictor]
    scratch: Any = field(default=None, repr=False)  # the TemporaryDirectory of freshly fitted members

    @property
    def folders(self) -> list[Path]:
        return [p.model_dir for p in self.predictors]


def _rows(split: SplitData, ids: np.ndarray) -> SplitData:
    """The rows of a member's split that are in the ensemble's (sampled rows)."""
    return split.subset(np.isin(split.ids, ids))


def trained_member(member: RunSpec, train_ids: np.ndarray) -> Path | None:
    """The member's trained models/<run>/ when the ensemble trains on exactly its training rows
    (None for other rows: another sample). A folder trained with other settings than the member's entry
    now gives is an error naming it (DVC runs the member's train stage first; a hand-made
    models/ may not have)."""
    from tweetgeo.errors import ModelDirError
    from tweetgeo.modelfiles import check_run
    from tweetgeo.rundata import load_run_splits
    from tweetgeo.schema import TRAIN

    split = load_run_splits(member, member.train.max_train_rows)[TRAIN]
    own = split.ids[split.labelled]
    if len(own) != len(train_ids) or set(own) != set(train_ids):
        return None
    folder = member.model_dir
    run = check_run(folder)
    if run.card.spec.stamp() != member.stamp():
        raise ModelDirError(f"{folder}: trained with other settings than runs.{member.name} gives now; "
                            f"retrain it first (dvc repro train@{member.name})")
    return folder


def member_facts(folder: Path) -> dict:
    """What an ensemble's summary says of a member: its size and training, from its train_summary."""
    from tweetgeo import paths
    from tweetgeo.io import read_json

    summary = paths.train_summary(folder)
    facts = read_json(summary) if summary.exists() else {}
    keep = ("train_rows", "parameters", "best_epoch", "epochs_run")
    return {"from": str(folder), **{k: facts[k] for k in keep if k in facts}}


def fit_member(member: RunSpec, train_ids: np.ndarray, val_ids: np.ndarray, out: Path) -> dict:
    """Train one member run on the ensemble's rows (another sample) and save it as a run directory in `out`."""
    from tweetgeo import runtime
    from tweetgeo.rundata import label_points, load_run_splits, n_labels
    from tweetgeo.schema import TRAIN, VALIDATION
    from tweetgeo.train import decision_threshold, fit_model, save_model

    runtime.seed_everything(member.seed)
    splits = load_run_splits(member, member.train.max_train_rows)
    train = _rows(splits[TRAIN].subset(splits[TRAIN].labelled), train_ids)
    val = _rows(splits[VALIDATION].subset(splits[VALIDATION].labelled), val_ids)
    points = label_points(member)
    n_classes = n_labels(member, points)
    fitted = fit_model(member, n_classes, train, val)
    threshold = decision_threshold(member, fitted.model, val)[0] if member.task == "binary" and len(val) else 0.5
    save_model(member, fitted.model, points, n_classes, out, threshold)
    keep = ("parameters", "best_epoch", "epochs_run")
    return {"train_rows": len(train), **{k: fitted.summary[k] for k in keep if k in fitted.summary}}


class EnsembleFamily(Family):
    """Mean of member runs' probabilities; no Keras of its own (its members may be Keras runs)."""

    name, config, features = "ensemble", EnsembleConfig, ("members",)

    def fit(self, spec, n_labels, train, val, callbacks) -> Fitted:
        from tweetgeo.predict import Predictor

        if len(spec.members) < 2:
            raise ValueError(f"run {spec.name!r}: an ensemble needs at least two member runs "
                             f"(runs.{spec.name}.members)")
        scratch = tempfile.TemporaryDirectory(prefix=f"tweetgeo-{spec.name}-")
        names, predictors, members = [], [], {}
        for i, member in enumerate(spec.members):
            folder = trained_member(member, train.ids)
            if folder is not None:
                members[member.name] = member_facts(folder)
            else:
                folder = Path(scratch.name) / f"{i}-{member.name}"
                members[member.name] = fit_member(member, train.ids, val.ids, folder)
            print(f"{spec.name}: member {i + 1}/{len(spec.members)} {member.name}: {members[member.name]}")
            names.append(member.name)
            predictors.append(Predictor(folder))
        parameters = sum(int(m.get("parameters", 0)) for m in members.values())
        return Fitted(EnsembleModel(names, predictors, scratch),
                      {"parameters": parameters, "epochs_run": 1, "best_epoch": 1, "members": members})

    def model_files(self, directory: Path) -> list[Path]:
        return [Path(directory) / MEMBERS_FILE]

    def save(self, model: EnsembleModel, directory: Path) -> None:
        from tweetgeo.io import write_json

        folders = []
        for i, (name, source) in enumerate(zip(model.names, model.folders)):
            target = Path(directory) / MEMBERS_DIR / f"{i}-{name}"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
            folders.append(f"{MEMBERS_DIR}/{target.name}")
        write_json({"members": model.names, "folders": folders}, Path(directory) / MEMBERS_FILE)

    def check_files(self, directory: Path, task: Task, n_labels: int):
        """members.json and every member run directory checked (check_run: card and files);
        returns the CheckedRuns, which load_checked turns into Predictors."""
        from tweetgeo.errors import ModelDirError
        from tweetgeo.io import read_json
        from tweetgeo.modelfiles import check_run

        listing = Path(directory) / MEMBERS_FILE
        if not listing.is_file():
            raise ModelDirError(f"{listing}: missing — the run was not trained to the end")
        try:
            data = read_json(listing)
            names, folders = list(data["members"]), list(data["folders"])
        except (ValueError, OSError, KeyError, TypeError) as err:
            raise ModelDirError(f"{listing}: unreadable ({' '.join(str(err).split())[:200]})") from None
        if len(names) != len(folders) or len(names) < 2:
            raise ModelDirError(f"{listing}: expected at least two members, each with its folder")
        checked = []
        for name, folder in zip(names, folders):
            run = check_run(Path(directory) / folder)
            spec = run.card.spec
            if spec.task != task or run.card.n_labels != n_labels:
                raise ModelDirError(f"{Path(directory) / folder}: member {name!r} answers a different task "
                                    f"or label count ({spec.task}, {run.card.n_labels}) than the ensemble "
                                    f"({task}, {n_labels})")
            checked.append(run)
        return names, checked

    def load(self, directory: Path, task: Task, n_labels: int) -> EnsembleModel:
        return self.load_checked(directory, task, n_labels, self.check_files(directory, task, n_labels))

    def load_checked(self, directory: Path, task: Task, n_labels: int, checked) -> EnsembleModel:
        from tweetgeo.predict import Predictor

        if checked is None:
            return self.load(directory, task, n_labels)
        names, runs = checked
        return EnsembleModel(names, [Predictor(run) for run in runs])

    def scores(self, model: EnsembleModel, inputs: np.ndarray, task: Task) -> dict[str, np.ndarray]:
        """`inputs`: raw texts; each member featurises them its own way, then their mean."""
        key = "target" if task == "binary" else "label"
        texts = list(inputs)
        total = None
        for predictor in model.predictors:
            probs = predictor.scores(predictor.model_inputs(texts))[key].astype("float64")
            probs = probs.reshape(len(texts)) if task == "binary" else probs.reshape(len(texts), -1)
            total = probs if total is None else total + probs
        return {key: (total / len(model.predictors)).astype("float32")}


FAMILY = register(EnsembleFamily())
