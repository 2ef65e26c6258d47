"""The inputs of one run (dataset × labels × features), per split, ready for a model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tweetgeo import paths, schema
from tweetgeo.models.registry import RAW_FEATURES, VECTOR_FEATURES
from tweetgeo.runspec import RunSpec

UNLABELLED = -1  # label of rows without a target (Kaggle test.csv)


@dataclass
class SplitData:
    """One split of one run: model inputs and every kind of target."""

    ids: np.ndarray  # str
    raw_texts: np.ndarray  # str, the original text
    inputs: np.ndarray  # cleaned text (str), encoder vectors (float32, N×D) or raw text (an ensemble's)
    labels: np.ndarray  # int64 class per row (UNLABELLED where unknown)
    latlon: np.ndarray | None = None  # float64 N×2 true coordinates (geo)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def labelled(self) -> np.ndarray:
        return self.labels != UNLABELLED

    def subset(self, mask: np.ndarray) -> SplitData:
        """The rows where `mask` is true (a boolean mask or an index array)."""
        return SplitData(self.ids[mask], self.raw_texts[mask], self.inputs[mask], self.labels[mask],
                         None if self.latlon is None else self.latlon[mask])


def label_points(spec: RunSpec) -> pd.DataFrame:
    """Points table of the run's label scheme: label, lat, lon, name, n_train (empty for the target)."""
    path = paths.label_points(spec.dataset, spec.labels)
    return pd.read_csv(path, keep_default_na=False, na_values=[""]) if path.exists() else pd.DataFrame()


def n_labels(spec: RunSpec, points: pd.DataFrame) -> int:
    """Number of classes: 2 for the binary target, else the label table's size."""
    return 2 if spec.task == "binary" else int(points["label"].max()) + 1


def load_run_splits(spec: RunSpec, max_train_rows: int | None = None) -> dict[str, SplitData]:
    """Clean table + label assignments (+ encoder vectors) → SplitData per split."""
    frame = pd.read_parquet(paths.clean(spec.dataset))
    assigned = pd.read_parquet(paths.label_assignments(spec.dataset, spec.labels))
    frame = frame.merge(assigned.rename(columns={"label": "_label"}), on=schema.ID, how="left",
                        validate="one_to_one")
    frame["_label"] = frame["_label"].fillna(UNLABELLED).astype("int64")
    vectors = _encoder_vectors(spec.dataset) if spec.features in VECTOR_FEATURES else None
    if vectors is not None:  # only the rows the encode stage encoded take part
        frame = frame[frame[schema.ID].isin(vectors.index)]
    splits = {}
    for name in schema.SPLITS:
        part = frame[frame[schema.SPLIT] == name]
        if name == schema.TRAIN and max_train_rows and len(part) > max_train_rows:
            part = part.sample(n=max_train_rows, random_state=spec.seed).sort_index()
        if part.empty:
            continue
        inputs = (np.stack(vectors.loc[part[schema.ID]].to_numpy()).astype("float32") if vectors is not None
                  else part[schema.RAW_TEXT].to_numpy(dtype=object) if spec.features in RAW_FEATURES
                  else part[schema.TEXT].to_numpy(dtype=object))
        latlon = part[[schema.LAT, schema.LON]].to_numpy(dtype="float64") if spec.task == "geo" else None
        splits[name] = SplitData(part[schema.ID].to_numpy(dtype=object),
                                 part[schema.RAW_TEXT].to_numpy(dtype=object),
                                 inputs, part["_label"].to_numpy(), latlon)
    return splits


def _encoder_vectors(dataset: str) -> pd.Series:
    with np.load(paths.encoder_vectors(dataset), allow_pickle=False) as data:
        return pd.Series(list(data["vectors"]), index=data["ids"].astype(str))
