"""Load-time checks of a trained run directory's files that need no TensorFlow.

A damaged file (flipped bytes, truncated, 0 bytes, tampered values) is refused with a
ModelDirError naming it, before anything is predicted: never a traceback, never rows of
NaN or blank coordinates. The command line runs these checks before TensorFlow is imported.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgeo.errors import ModelDirError

if TYPE_CHECKING:
    import pandas as pd

    from tweetgeo.modelcard import ModelCard

KERAS_ENTRIES = ("config.json", "model.weights.h5")  # what a .keras archive must hold
POINT_COLUMNS = ("label", "lat", "lon", "name")  # what label_points.csv must have


def _short(err: BaseException) -> str:
    return " ".join(str(err).split())[:200] or type(err).__name__


def check_keras_archive(path: Path) -> None:
    """A .keras file is a zip archive holding config.json (JSON) and the weights, every member's
    checksum intact; ModelDirError naming the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ModelDirError(f"{path}: missing — the run was not trained to the end")
    if path.stat().st_size == 0:
        raise ModelDirError(f"{path}: empty (0 bytes) — damaged or an interrupted save; retrain the run")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            for entry in KERAS_ENTRIES:
                if entry not in names:
                    raise ModelDirError(f"{path}: damaged Keras model ({entry} missing from the archive)")
            bad = archive.testzip()  # reads every member and checks its CRC
            if bad is not None:
                raise ModelDirError(f"{path}: damaged Keras model (checksum of {bad} does not match)")
            config = json.loads(archive.read("config.json").decode("utf-8"))
    except ModelDirError:
        raise
    except zipfile.BadZipFile as err:
        raise ModelDirError(f"{path}: damaged Keras model (not a whole zip archive: {_short(err)}) "
                            "— truncated, or bytes changed") from None
    except (OSError, ValueError, EOFError, RecursionError, RuntimeError, KeyError) as err:
        raise ModelDirError(f"{path}: damaged Keras model ({_short(err)})") from None
    if not isinstance(config, dict):
        raise ModelDirError(f"{path}: damaged Keras model (config.json is not a JSON object)")


def read_label_points(path: Path, n_labels: int) -> pd.DataFrame:
    """label_points.csv, checked: columns label, lat, lon, name; labels exactly 0…n_labels-1 once
    each; finite coordinates in range. Rows sorted by label."""
    import numpy as np
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ModelDirError(f"{path}: missing — a geo classifier needs its label points")
    try:
        points = pd.read_csv(path, keep_default_na=False, na_values=[""], encoding="utf-8")
    except Exception as err:  # noqa: BLE001  (pandas raises many kinds on garbage bytes)
        raise ModelDirError(f"{path}: unreadable label points ({_short(err)})") from None
    missing = [c for c in POINT_COLUMNS if c not in points.columns]
    if missing:
        raise ModelDirError(f"{path}: column {', '.join(missing)} missing (columns found: "
                            f"{', '.join(map(str, points.columns))[:120]})")
    if len(points) != n_labels:
        raise ModelDirError(f"{path}: {len(points)} label points, card says {n_labels}")
    for column in ("label", "lat", "lon"):
        values = pd.to_numeric(points[column], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype="float64"))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ModelDirError(f"{path}:{row + 2}: {column}: {points[column].iloc[row]!r} is not a "
                                "finite number")
        points[column] = values
    labels = points["label"].to_numpy(dtype="float64")
    if (labels != np.round(labels)).any() or sorted(labels.astype("int64")) != list(range(n_labels)):
        counts = pd.Series(labels).value_counts()
        dup = counts[counts > 1].index.tolist()
        what = f"label {int(dup[0])} given twice" if dup else "labels are not 0…n-1"
        raise ModelDirError(f"{path}: label: {what} (expected each of 0…{n_labels - 1} once)")
    for column, limit in (("lat", 90.0), ("lon", 180.0)):
        out = np.flatnonzero(points[column].abs().to_numpy() > limit)
        if len(out):
            raise ModelDirError(f"{path}:{out[0] + 2}: {column}: {points[column].iloc[out[0]]} is out of "
                                f"range ±{limit:g}")
    points["label"] = points["label"].astype("int64")
    return points.sort_values("label").reset_index(drop=True)


@dataclass(frozen=True)
class CheckedRun:
    """A run directory whose card and files were checked once (check_run), handed on to the
    Predictor so that nothing is read or loaded twice."""

    model_dir: Path
    card: ModelCard
    points: pd.DataFrame | None  # label points of a geo classifier (read_label_points), else None
    model: Any = None  # the model, when checking it meant loading it (TF-IDF: no TensorFlow)


def check_run(model_dir: Path) -> CheckedRun:
    """The card and every file the model needs, checked without TensorFlow (ModelDirError)."""
    from tweetgeo import paths
    from tweetgeo.modelcard import load_card

    model_dir = Path(model_dir)
    card = load_card(model_dir)
    spec = card.spec
    model = spec.family.check_files(model_dir, spec.task, card.n_labels)
    points = None
    if spec.task == "geo" and spec.family.output == "labels":
        points = read_label_points(paths.model_label_points(model_dir), card.n_labels)
    return CheckedRun(model_dir, card, points, model)
