"""Model registry: ``build(cfg, …)`` dispatches on ``cfg.family`` to one module per architecture.

Families and what ``build`` returns (a COMPILED ``keras.Model``):

- ``rnn`` (S3), ``cnn_bilstm`` (S1), ``attention_cnn`` (S2): input ``"text"``, shape ``()``, dtype
  string — raw cleaned text; TextVectorization (id 0 pad, 1 [UNK], then ``vocabulary``) and the
  Embedding (rows = len(vocabulary) + 2, initialised from ``embedding_matrix``) live inside the model.
- ``encoder_regression`` (S0): input ``"features"``, shape ``(input_dim,)`` float32; task "geo" only.
- ``tfidf`` is not built here: :class:`TfidfLinear` (scikit-learn) takes the TF-IDF vectorisers
  fitted by the embed stage (``fit``/``predict_proba``/``save``/``load``).

Outputs are ALWAYS a dict keyed by output name (``model.predict`` returns a dict):

- task ``"binary"``: ``{"target": (N, 1) sigmoid}`` — loss binary_crossentropy, metric accuracy.
- task ``"geo"``: ``{"label": (N, n_labels) softmax}`` — loss sparse_categorical_crossentropy,
  metrics accuracy and ``top5`` (top-min(5, n_labels)); attention_cnn with ``cfg.multitask`` adds
  ``"coords": (N, 2) sigmoid`` = normalised (lat, lon) — (lat + 90) / 180, (lon + 180) / 360 (see
  ``tweetgeo.geo.normalise_coords``) — with ``losses.euclidean_unit_loss`` weighted ``cfg.regression_weight``.
- encoder_regression: ``{"coords_deg": (N, 2)}`` = (lat, lon) in degrees, loss ``losses.haversine_loss`` (km).

Targets are passed to ``fit`` as a dict with the same keys. Text inputs must be a string tensor, a
tf.data dataset of strings, or ``np.array(texts, dtype=object)`` (Keras rejects numpy "<U" arrays).
Logged metric names: single-output models log ``loss``, ``accuracy`` (and ``top5`` for geo); the
two-output MTL model logs ``loss``, ``label_loss``, ``coords_loss``, ``label_accuracy``,
``label_top5``. Custom objects are registered under the package "tweetgeo",
so ``keras.models.load_model(path, safe_mode=True)`` works once this package is imported.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from tweetgeo.config import ModelConfig, TrainConfig
from tweetgeo.models import attention_cnn, cnn_bilstm, encoder_regression, rnn
from tweetgeo.models.losses import euclidean_unit_loss, haversine_loss
from tweetgeo.models.tfidf import TfidfLinear

BUILDERS: dict[str, Callable[..., keras.Model]] = {
    "rnn": rnn.build,
    "cnn_bilstm": cnn_bilstm.build,
    "attention_cnn": attention_cnn.build,
    "encoder_regression": encoder_regression.build,
}
FAMILIES = (*BUILDERS, "tfidf")
TEXT_FAMILIES = ("rnn", "cnn_bilstm", "attention_cnn")  # take raw text, need vocabulary + sequence_length


def build(cfg: ModelConfig, *, task: str, n_labels: int, vocabulary: list[str] | None = None,
          sequence_length: int | None = None, embedding_matrix: np.ndarray | None = None,
          input_dim: int | None = None, train: TrainConfig) -> keras.Model:
    """Build the model of cfg.family: a compiled keras.Model."""
    if task not in ("binary", "geo"):
        raise ValueError(f"task must be 'binary' or 'geo', got {task!r}")
    if cfg.family == "tfidf":
        raise ValueError("tfidf is not a Keras model: use models.tfidf.TfidfLinear with the fitted "
                         "vectorisers of the embed stage")
    if cfg.family not in BUILDERS:
        raise ValueError(f"unknown model family {cfg.family!r} (known: {', '.join(FAMILIES)})")
    return BUILDERS[cfg.family](cfg, task=task, n_labels=n_labels, vocabulary=vocabulary,
                                sequence_length=sequence_length, embedding_matrix=embedding_matrix,
                                input_dim=input_dim, train=train)


__all__ = ["build", "BUILDERS", "FAMILIES", "TEXT_FAMILIES", "TfidfLinear", "haversine_loss", "euclidean_unit_loss"]
