"""The yardstick: the embed stage's TF-IDF word (+ char) n-grams → one-vs-rest logistic regression."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from tweetgeo import paths
from tweetgeo.models.registry import Family, FamilyConfig, Fitted, Task, register


class TfidfConfig(FamilyConfig):
    family: Literal["tfidf"]
    C: float = Field(1.0, gt=0)  # inverse regularisation strength (features: embeddings.tfidf)


class TfidfLinearFamily(Family):
    """scikit-learn, no Keras; the vectorisers are the embed stage's features; saved as JSON + npz."""

    name, config, features = "tfidf", TfidfConfig, ("tfidf",)
    yardstick = True
    one_core_scoring = True  # scipy's sparse product

    def fit(self, spec, n_labels, train, val, callbacks) -> Fitted:
        from tweetgeo.models.tfidf import TfidfLinear, load_vectorizers

        vectorizers = load_vectorizers(paths.features_dir(spec.dataset, "tfidf"))
        model = TfidfLinear(spec.options.C, vectorizers, seed=spec.seed).fit(train.inputs, train.labels)
        return Fitted(model, {"parameters": model.parameter_count(), "epochs_run": 1, "best_epoch": 1})

    def model_files(self, directory: Path) -> list[Path]:
        return [paths.tfidf_model(directory)]

    def save(self, model, directory: Path) -> None:
        model.save(paths.tfidf_model(directory))

    def load(self, directory: Path, task: Task, n_labels: int):
        from tweetgeo.models.tfidf import TfidfLinear

        return TfidfLinear.load(paths.tfidf_model(directory), n_labels)

    def check_files(self, directory: Path, task: Task, n_labels: int):
        """Every file read and checked, without scikit-learn (its import takes seconds): the
        TfidfFiles load_checked builds the model from, so nothing is read twice."""
        from tweetgeo.models.tfidf import read_model_files

        return read_model_files(paths.tfidf_model(directory), n_labels)

    def load_checked(self, directory: Path, task: Task, n_labels: int, checked):
        from tweetgeo.models.tfidf import TfidfLinear

        return TfidfLinear.build(checked) if checked is not None else self.load(directory, task, n_labels)

    def scores(self, model, inputs: np.ndarray, task: Task) -> dict[str, np.ndarray]:
        from tweetgeo.models.tfidf import predict_proba_split

        proba = predict_proba_split(model, inputs)  # two halves on two cores when rows are many
        return {"target": proba[:, 1]} if task == "binary" else {"label": proba}


FAMILY = register(TfidfLinearFamily())
