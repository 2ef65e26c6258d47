"""Models: the family registry (:mod:`.registry`), one module per family (:mod:`.families`),
shared Keras building blocks (:mod:`.layers`, :mod:`.losses`) and the TF-IDF yardstick's
vectorisers (:mod:`.tfidf`).

Importing this package does not start TensorFlow. Families and what their models take and give:

- ``rnn`` (S3), ``cnn_bilstm`` (S1), ``attention_cnn`` (S2): features word2vec | glove; input ``"text"``,
  shape ``()``, dtype string — raw cleaned text; TextVectorization (id 0 pad, 1 [UNK], then the
  vocabulary) and the Embedding (rows = len(vocabulary) + 2) live inside the model.
- ``encoder_regression`` (S0): features encoder; input ``"features"`` (dim,) float32; geo only; output
  ``coords_deg`` = (lat, lon) in degrees, haversine loss (km).
- ``tfidf`` (the yardstick): features tfidf; scikit-learn one-vs-rest logistic regression on the embed
  stage's TF-IDF vectorisers.

Keras outputs are a dict keyed by name: binary → ``{"target": (N, 1)}``; geo →
``{"label": (N, n_labels)}`` (+ ``{"coords": (N, 2)}`` normalised (lat, lon) — see
``tweetgeo.geo.normalise_coords`` — for multi-task attention_cnn). Logged metric names: single-output
models log ``loss``, ``accuracy`` (and ``top5`` for geo); the two-output MTL model logs ``loss``,
``label_loss``, ``coords_loss``, ``label_accuracy``, ``label_top5``. Custom layers and losses are
registered under the package "tweetgeo" (``keras.models.load_model(path, safe_mode=True)`` works once
:mod:`.layers` and :mod:`.losses` are imported).
"""

from tweetgeo.models.registry import Family, FamilyConfig, Fitted, get, names, parse_config, register

__all__ = ["Family", "FamilyConfig", "Fitted", "get", "names", "parse_config", "register"]
