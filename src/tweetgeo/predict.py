"""Load a trained run directory and answer for texts: the one path evaluate and the CLI share."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tweetgeo import paths
from tweetgeo.config import CleanConfig
from tweetgeo.forking import in_two_processes, may_fork
from tweetgeo.metrics import argmax_decode, expected_distance_decode, label_distances, top_k_stable
from tweetgeo.modelcard import ModelCard, load_card
from tweetgeo.modelfiles import CheckedRun
from tweetgeo.models.registry import FROM_RAW_TEXT, RAW_FEATURES, VECTOR_FEATURES

TOP_K = 5  # labels kept per row (accuracy@top-5, S1)
CLEAN_AHEAD_MIN_TEXTS = 5000  # from this many texts on, a child process cleans while the model loads
CLEAN_AHEAD_PARTS = 8  # the texts in parts: the child takes them in order, this process the rest from the end
CONFIDENCE_DIGITS = 4  # the argmax probability, rounded for people
SPLIT_MIN_TEXTS = 5000  # from this many texts on, a model loaded without TensorFlow answers in two processes

class Predictor:
    """A trained run: cleans, featurises, predicts and decodes exactly as its card says."""

    def __init__(self, model_dir: Path | CheckedRun) -> None:
        """`model_dir`: a run directory, or the CheckedRun of check_run (checked once, loaded once)."""
        run = model_dir if isinstance(model_dir, CheckedRun) else None
        self.model_dir = run.model_dir if run else Path(model_dir)
        self.card: ModelCard = run.card if run else load_card(self.model_dir)
        self.spec = self.card.spec
        self.family = self.spec.family
        self.points = run.points if run else self._label_points()
        self.model = (self.family.load_checked(self.model_dir, self.spec.task, self.card.n_labels, run.model)
                      if run else self.family.load(self.model_dir, self.spec.task, self.card.n_labels))
        self._cleaner = None
        self._encoder = None
        self._distances = None  # label-to-label km (metrics.label_distances), built on first use

    @property
    def labelled_geo(self) -> bool:
        """Geo labels (decoded to coordinates through label points), not binary or coordinates."""
        return self.spec.task == "geo" and self.family.output == "labels"

    # ------------------------------------------------------------------ loading
    def _label_points(self) -> pd.DataFrame | None:
        if not self.labelled_geo:
            return None
        from tweetgeo.modelfiles import read_label_points

        return read_label_points(paths.model_label_points(self.model_dir), self.card.n_labels)

    # ------------------------------------------------------------------ inputs
    def clean(self, texts: Sequence[str]) -> np.ndarray:
        """Clean raw texts exactly as the training data was cleaned."""
        if self._cleaner is None:
            from tweetgeo.text import TextCleaner

            self._cleaner = TextCleaner(self.spec.clean)
        return np.array(self._cleaner.clean_many(texts), dtype=object)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._encoder is None:
            from tweetgeo.encoder import SentenceEncoder

            self._encoder = SentenceEncoder(max_tokens=self.spec.encoder_max_tokens,
                                            precision=self.spec.encoder_precision)
        return self._encoder.encode(list(texts))

    def model_inputs(self, raw_texts: Sequence[str]) -> np.ndarray:
        """What the model reads: encoder vectors, the raw texts (an ensemble: each member
        featurises them itself) or the cleaned texts."""
        if self.spec.features in VECTOR_FEATURES:
            return self.encode(raw_texts)
        if self.spec.features in RAW_FEATURES:
            return np.array(list(raw_texts), dtype=object)
        return self.clean(raw_texts)

    # ------------------------------------------------------------------ outputs
    def scores(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        """Raw model outputs by name: target (N,), label (N, L), coords_deg (N, 2)."""
        if len(inputs) == 0:
            return {}
        return self.family.scores(self.model, inputs, self.spec.task)

    def predict(self, raw_texts: Sequence[str] | None = None, *,
                inputs: np.ndarray | None = None) -> pd.DataFrame:
        """One row per text. Pass raw texts, or the model inputs already computed."""
        if inputs is None:
            inputs = self.model_inputs(raw_texts or [])
        return self.frame(self.scores(inputs), len(inputs))

    def frame(self, scores: dict[str, np.ndarray], n: int) -> pd.DataFrame:
        """The answer table of `n` rows from the model's raw outputs (those of `scores`)."""
        if self.spec.task == "binary":
            return self._binary_frame(scores, n)
        if not self.labelled_geo:
            coords = scores.get("coords_deg", np.zeros((0, 2)))
            return pd.DataFrame({"lat": coords[:, 0], "lon": coords[:, 1]})
        return self._geo_frame(scores.get("label", np.zeros((0, self.card.n_labels))))

    def _binary_frame(self, scores: dict[str, np.ndarray], n: int) -> pd.DataFrame:
        prob = scores.get("target", np.zeros(n)).reshape(-1)
        return pd.DataFrame({"probability": prob, "target": (prob >= self.card.threshold).astype("int64")})

    def _geo_frame(self, probs: np.ndarray) -> pd.DataFrame:
        latlon = self.points[["lat", "lon"]].to_numpy(dtype="float64")
        best = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype="int64")
        top = top_k_stable(probs, TOP_K)  # = np.argsort(-probs, kind="stable")[:, :TOP_K], ties too
        if len(probs) and self._distances is None:
            self._distances = label_distances(latlon)
        decoded = (expected_distance_decode(probs, latlon, self.spec.decoding_top_k, self._distances)
                   if len(probs) else np.zeros((0, 2)))
        argmax = argmax_decode(probs, latlon) if len(probs) else np.zeros((0, 2))
        names = self.points["name"].astype(str).to_numpy()
        name_list = names.tolist()
        top_rows = top.tolist()
        return pd.DataFrame({
            "label": best, "name": names[best],
            "confidence": (probs.max(axis=1) if len(probs) else np.zeros(0)).round(CONFIDENCE_DIGITS),
            "lat": argmax[:, 0], "lon": argmax[:, 1],
            "lat_expected": decoded[:, 0], "lon_expected": decoded[:, 1],
            "top5": [" ".join(map(str, row)) for row in top_rows],  # label ids: evaluation reads these
            "top5_names": ["; ".join([name_list[i] for i in row]) for row in top_rows],  # for people
        })


EMPTY_AFTER_CLEANING = "empty_after_cleaning"  # 1: no word left after cleaning (emoji/URL only)
STDIO = "-"  # --input - / --output -: standard input / output


_AHEAD_CLEANER = None  # the cleaner built before the fork, which the child of CleaningAhead inherits


def _clean_ahead(texts: list[str]) -> list[str]:
    """Cleaned texts, in the forked child of CleaningAhead."""
    return _AHEAD_CLEANER.clean_many(texts)


class CleaningAhead:
    """Cleans texts in a forked child, part by part in order, while this process checks and loads
    the model; `result()` then cleans here, from the last, the parts the child has not begun, so
    the two processes finish together whether loading took 0.3 s (TF-IDF) or seconds (TensorFlow).
    Both use one cleaner, built before the fork."""

    def __init__(self, clean: CleanConfig, texts: list[str], parts: int = CLEAN_AHEAD_PARTS) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from tweetgeo.text import TextCleaner

        global _AHEAD_CLEANER
        self.cleaner = _AHEAD_CLEANER = TextCleaner(clean)
        bounds = np.linspace(0, len(texts), parts + 1).astype(int)
        self.parts = [texts[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        # forked before this process imports TensorFlow (no threads to copy)
        self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
        self.futures = [self.pool.submit(_clean_ahead, part) for part in self.parts]

    def result(self) -> list[str]:
        """Every text cleaned, in order: the parts the child has not begun are cleaned here."""
        try:
            here = {i: self.cleaner.clean_many(self.parts[i])
                    for i in reversed(range(len(self.parts))) if self.futures[i].cancel()}
            return [text for i, future in enumerate(self.futures)
                    for text in (here[i] if i in here else future.result())]
        finally:
            self.close()

    def close(self) -> None:
        """Stop the child: parts not begun are dropped (also after an error while loading)."""
        global _AHEAD_CLEANER
        self.pool.shutdown(wait=True, cancel_futures=True)
        _AHEAD_CLEANER = None


def load_and_clean(run: CheckedRun, texts: Sequence[str]) -> tuple[Predictor, np.ndarray]:
    """The checked run's Predictor and the cleaned texts. With many texts on a multi-core Linux
    machine, a forked child starts cleaning them (CleaningAhead) while this process loads the
    model (once), then this process cleans what the child has not reached."""
    if not may_fork(len(texts), CLEAN_AHEAD_MIN_TEXTS):
        predictor = Predictor(run)
        return predictor, predictor.clean(texts)
    ahead = CleaningAhead(run.card.spec.clean, list(texts))
    try:
        predictor = Predictor(run)
        predictor._cleaner = ahead.cleaner
    except BaseException:
        ahead.close()
        raise
    return predictor, np.array(ahead.result(), dtype=object)


def predict_frame(predictor: Predictor, frame: pd.DataFrame,
                  keep_columns: Sequence[str] = (), cleaned: np.ndarray | None = None) -> pd.DataFrame:
    """Predictions for a read_predict_csv frame: id, the model's columns, empty_after_cleaning
    (texts are cleaned once; the flag is 1 when nothing is left), then the kept input columns
    (named input_<name> when a prediction column has that name). `cleaned`: the texts already
    cleaned by the predictor's rules (load_and_clean)."""
    texts = frame["text"].tolist()
    cleaned = predictor.clean(texts) if cleaned is None else cleaned
    if predictor.spec.features in FROM_RAW_TEXT:
        result = predictor.predict(texts)
    else:
        result = predictor.predict(inputs=cleaned)
    result.insert(0, "id", frame["id"].to_numpy())
    result[EMPTY_AFTER_CLEANING] = np.array([text == "" for text in cleaned], dtype="int64")
    for name in keep_columns:
        if name != "id":
            result[f"input_{name}" if name in result.columns else name] = frame[name].to_numpy()
    return result


def predict_frame_split(predictor: Predictor, frame: pd.DataFrame, keep_columns: Sequence[str] = ()) -> pd.DataFrame:
    """predict_frame(predictor, frame, keep_columns), the same rows (each row is answered on its own):
    a forked child cleans, scores and decodes the second half while this process does the first.
    The model was loaded once, before the fork; only for a process without TensorFlow (not fork-safe).
    Each process uses one core (BLAS on one thread)."""
    predictor.clean([])  # the cleaner, built once before the fork
    half = len(frame) // 2
    first, second = in_two_processes(lambda part: _answer_on_one_core(predictor, part, keep_columns),
                                     frame.iloc[:half], frame.iloc[half:])
    return pd.concat([first, second], ignore_index=True)


def _answer_on_one_core(predictor: Predictor, frame: pd.DataFrame, keep_columns: Sequence[str]) -> pd.DataFrame:
    """predict_frame with BLAS on one thread: each of the two processes has a core of its own,
    and BLAS threads of both would compete for the two (1.1–1.25x slower on 2 cores)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return predict_frame(predictor, frame, keep_columns)


def answer_frame(model_dir: Path | CheckedRun, frame: pd.DataFrame,
                 keep_columns: Sequence[str] = ()) -> pd.DataFrame:
    """predict_frame for a run directory, using both cores for many texts: a family that scores on
    one core (Family.one_core_scoring) is loaded first and the rows shared between two processes
    (predict_frame_split); otherwise a child cleans the texts while the model loads (load_and_clean)."""
    from tweetgeo.modelfiles import check_run

    run = model_dir if isinstance(model_dir, CheckedRun) else check_run(Path(model_dir))
    if run.card.spec.family.one_core_scoring and may_fork(len(frame), SPLIT_MIN_TEXTS):
        predictor = Predictor(run)
        if "tensorflow" not in sys.modules:  # fork is not safe after TensorFlow's threads start
            return predict_frame_split(predictor, frame, keep_columns)
        return predict_frame(predictor, frame, keep_columns)
    predictor, cleaned = load_and_clean(run, frame["text"].tolist())
    return predict_frame(predictor, frame, keep_columns, cleaned)


def predict_csv(model_dir: Path | CheckedRun, input_csv: Path, output_csv: Path, *,
                keep_columns: Sequence[str] = (), frame: pd.DataFrame | None = None) -> int:
    """`tweetgeo predict`: CSV with a text column in, predictions per row out (output "-":
    standard output). `model_dir`: a run directory (its files are checked once, answer_frame), or
    check_run's CheckedRun. `frame`: the input already read by read_predict_csv."""
    from tweetgeo.datasets import read_predict_csv
    from tweetgeo.io import WriteError, write_csv

    frame = read_predict_csv(Path(input_csv)) if frame is None else frame
    result = answer_frame(model_dir, frame, keep_columns)
    if str(output_csv) == STDIO:
        try:
            result.to_csv(sys.stdout, index=False)
            sys.stdout.flush()
        except OSError as err:
            raise WriteError(f"<stdout>: cannot write ({err.strerror or err})") from None
    else:
        write_csv(result, Path(output_csv))
    return len(result)
