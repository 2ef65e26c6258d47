"""Load a trained run directory and answer for texts: the one path evaluate and the CLI share."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from tweetgeo import runtime  # noqa: F401  (quiet TensorFlow before keras loads)
from tweetgeo.metrics import argmax_decode, expected_distance_decode
from tweetgeo.modelcard import ModelCard, ModelDirError, load_card

TOP_K = 5  # labels kept per row (accuracy@top-5, S1)


class Predictor:
    """A trained run: cleans, featurises and predicts like training did."""

    def __init__(self, model_dir: Path, decoding_top_k: int = 20) -> None:
        self.model_dir = Path(model_dir)
        self.card: ModelCard = load_card(self.model_dir)
        self.decoding_top_k = decoding_top_k
        self.points = self._label_points()
        self.model = self._load_model()
        self._cleaner = None
        self._encoder = None

    # ------------------------------------------------------------------ loading
    def _label_points(self) -> pd.DataFrame | None:
        if self.card.task != "geo" or self.card.family == "encoder_regression":
            return None
        path = self.model_dir / "label_points.csv"
        if not path.exists():
            raise ModelDirError(f"{path}: missing — a geo classifier needs its label points")
        points = pd.read_csv(path, keep_default_na=False, na_values=[""]).sort_values("label")
        if len(points) != self.card.n_labels:
            raise ModelDirError(f"{path}: {len(points)} label points, card says {self.card.n_labels}")
        return points.reset_index(drop=True)

    def _load_model(self):
        if self.card.family == "tfidf":
            from tweetgeo.models.tfidf import TfidfLinear

            return TfidfLinear.load(self.model_dir / "tfidf")
        path = self.model_dir / "model.keras"
        if not path.exists():
            raise ModelDirError(f"{path}: missing — the run was not trained to the end")
        import keras

        import tweetgeo.models  # noqa: F401  (registers the custom layers and losses)

        try:
            model = keras.models.load_model(path, safe_mode=True, compile=False)
        except ValueError as err:
            if "arbitrary code" in str(err) or "safe_mode" in str(err):
                raise ModelDirError(f"{path}: refused — it holds Python code (e.g. a Lambda layer) "
                                    "that safe loading never runs; untrusted model file") from None
            raise ModelDirError(f"{path}: not a loadable Keras model "
                                f"({str(err).splitlines()[0][:200]})") from None
        self._check_outputs(model, path)
        return model

    def _check_outputs(self, model, path: Path) -> None:
        """The model's outputs must be those card.json's task promises (else a clear error)."""
        names = list(model.output_names)
        if self.card.task == "binary":
            expected = "target"
        elif self.card.family == "encoder_regression":
            expected = "coords_deg"
        else:
            expected = "label"
        if expected not in names:
            raise ModelDirError(f"{path}: outputs {names} do not fit card.json "
                                f"(task {self.card.task!r}, family {self.card.family!r} needs "
                                f"{expected!r}) — model and card are from different runs")
        if expected == "label":
            width = model.get_layer("label").output.shape[-1]
            if width != self.card.n_labels:
                raise ModelDirError(f"{path}: {width} label outputs, card.json says "
                                    f"{self.card.n_labels}")

    # ------------------------------------------------------------------ inputs
    def clean(self, texts: Sequence[str]) -> np.ndarray:
        """Clean raw texts exactly as the training data was cleaned."""
        if self._cleaner is None:
            from tweetgeo.text import TextCleaner

            self._cleaner = TextCleaner(self.card.clean_config)
        return np.array(self._cleaner.clean_many(texts), dtype=object)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._encoder is None:
            from tweetgeo.encoder import SentenceEncoder

            self._encoder = SentenceEncoder(max_tokens=self.card.encoder_max_tokens)
        return self._encoder.encode(list(texts))

    def model_inputs(self, raw_texts: Sequence[str]) -> np.ndarray:
        return self.encode(raw_texts) if self.card.features == "encoder" else self.clean(raw_texts)

    # ------------------------------------------------------------------ outputs
    def scores(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        """Raw model outputs by name: target (N,), label (N, L), coords_deg (N, 2)."""
        if len(inputs) == 0:
            return {}
        if self.card.family == "tfidf":
            proba = self.model.predict_proba(inputs)
            return {"target": proba[:, 1]} if self.card.task == "binary" else {"label": proba}
        out = self.model.predict(inputs, batch_size=1024, verbose=0)
        out = out if isinstance(out, dict) else {self.model.output_names[0]: out}
        return {k: np.asarray(v, dtype="float64") for k, v in out.items()}

    def predict(self, raw_texts: Sequence[str] | None = None, *,
                inputs: np.ndarray | None = None) -> pd.DataFrame:
        """One row per text. Pass raw texts, or the model inputs already computed."""
        if inputs is None:
            inputs = self.model_inputs(raw_texts or [])
        scores = self.scores(inputs)
        if self.card.task == "binary":
            return self._binary_frame(scores, len(inputs))
        if self.card.family == "encoder_regression":
            coords = scores.get("coords_deg", np.zeros((0, 2)))
            return pd.DataFrame({"lat": coords[:, 0], "lon": coords[:, 1]})
        return self._geo_frame(scores.get("label", np.zeros((0, self.card.n_labels))))

    def _binary_frame(self, scores: dict[str, np.ndarray], n: int) -> pd.DataFrame:
        prob = scores.get("target", np.zeros(n)).reshape(-1)
        return pd.DataFrame({"probability": prob, "target": (prob >= 0.5).astype("int64")})

    def _geo_frame(self, probs: np.ndarray) -> pd.DataFrame:
        latlon = self.points[["lat", "lon"]].to_numpy(dtype="float64")
        best = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype="int64")
        top = np.argsort(-probs, axis=1, kind="stable")[:, :TOP_K]
        decoded = (expected_distance_decode(probs, latlon, self.decoding_top_k)
                   if len(probs) else np.zeros((0, 2)))
        argmax = argmax_decode(probs, latlon) if len(probs) else np.zeros((0, 2))
        return pd.DataFrame({
            "label": best, "name": self.points["name"].to_numpy()[best],
            "confidence": probs.max(axis=1) if len(probs) else np.zeros(0),
            "lat": argmax[:, 0], "lon": argmax[:, 1],
            "lat_expected": decoded[:, 0], "lon_expected": decoded[:, 1],
            "top5": [" ".join(map(str, row)) for row in top],
        })


def predict_csv(model_dir: Path, input_csv: Path, output_csv: Path) -> int:
    """`tweetgeo predict`: CSV with a text column in, predictions per row out."""
    from tweetgeo.datasets import read_predict_csv
    from tweetgeo.io import write_csv

    predictor = Predictor(model_dir)
    frame = read_predict_csv(Path(input_csv))
    result = predictor.predict(frame["text"].tolist())
    result.insert(0, "id", frame["id"].to_numpy())
    write_csv(result, Path(output_csv))
    return len(result)
