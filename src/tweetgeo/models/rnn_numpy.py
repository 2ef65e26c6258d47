"""The rnn family's forward pass in NumPy, read straight from its model.keras (no TensorFlow).

Written by hand because importing TensorFlow takes 4–7 s on 2 cores, more than the 6 s in which
`tweetgeo predict` must answer 30,000 tweets (issue 11), and an inference runtime (LiteRT, ONNX
Runtime) would need a second, converted model file per run. The pass is Keras's own, layer for
layer: TextVectorization (ASCII-whitespace split, 0 pad, 1 [UNK], cut to its length), the masked
embedding, the bidirectional GRU (reset_after) or LSTM with the state carried over padded steps,
dense relu and the sigmoid / softmax head. An archive of any other shape (another layer, option,
dtype policy) is not read here: the family then loads it with Keras. tests/test_rnn_numpy.py
checks the answers against Keras for both cells and both tasks.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CHUNK_ROWS = 2048  # rows per pass: the step's matrices stay in cache
# TensorFlow's whitespace split (tf.strings.split without sep) splits on ASCII whitespace only
_ASCII_SPACE = re.compile(r"[ \t\n\v\f\r]+")
_CELL_GATES = {"GRU": 3, "LSTM": 4}


@dataclass(frozen=True)
class Direction:
    """One direction of the bidirectional layer: the input projection of every vocabulary row
    (embedding @ kernel + input bias, so a token's projection is a row lookup), the recurrent
    kernel and, for a GRU, the recurrent bias."""

    table: np.ndarray  # (vocabulary rows, gates × units)
    recurrent: np.ndarray  # (units, gates × units)
    recurrent_bias: np.ndarray | None  # GRU (reset_after): (gates × units,)


@dataclass(frozen=True)
class NumpyRNN:
    """A loaded rnn-family model that predicts without TensorFlow."""

    vocabulary: dict[str, int]  # token → id (2…; 0 pad, 1 [UNK])
    sequence_length: int
    cell: str  # "GRU" | "LSTM"
    units: int
    forward: Direction
    backward: Direction
    dense: tuple[np.ndarray, np.ndarray]  # relu layer: kernel, bias
    head: tuple[np.ndarray, np.ndarray]  # output layer: kernel, bias
    output_name: str  # "target" (sigmoid) | "label" (softmax)

    def token_ids(self, texts: np.ndarray | list[str]) -> tuple[np.ndarray, np.ndarray]:
        """TextVectorization's ids (N, length) and each row's count of real tokens."""
        ids = np.zeros((len(texts), self.sequence_length), dtype=np.int64)
        lengths = np.zeros(len(texts), dtype=np.int64)
        get, length = self.vocabulary.get, self.sequence_length
        for row, text in enumerate(texts):
            tokens = [t for t in _ASCII_SPACE.split(str(text)) if t][:length]
            ids[row, :len(tokens)] = [get(t, 1) for t in tokens]
            lengths[row] = len(tokens)
        return ids, lengths

    def predict(self, texts: np.ndarray | list[str]) -> dict[str, np.ndarray]:
        """The model's output by name, float32: target (N, 1) or label (N, labels)."""
        ids, lengths = self.token_ids(texts)
        order = np.argsort(-lengths, kind="stable")  # longest first: the rows still running are a prefix
        width = self.head[0].shape[1]
        out = np.empty((len(ids), width), dtype=np.float32)
        for start in range(0, len(order), CHUNK_ROWS):
            rows = order[start:start + CHUNK_ROWS]
            out[rows] = self._chunk(ids[rows], lengths[rows])
        return {self.output_name: out}

    def _chunk(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        steps = int(lengths[0]) if len(lengths) else 0
        # the backward layer reads each row's real tokens last to first (its padding, first after
        # Keras reverses the row, is masked and leaves the zero state as it is)
        reverse = np.clip(lengths[:, None] - 1 - np.arange(steps)[None, :], 0, None)
        backward_ids = np.take_along_axis(ids, reverse, axis=1) if steps else ids[:, :0]
        running = (lengths[None, :] > np.arange(steps)[:, None]).sum(axis=1)  # rows active per step
        states = [self._run(direction, tokens, running, len(ids))
                  for direction, tokens in ((self.forward, ids), (self.backward, backward_ids))]
        x = np.concatenate(states, axis=1)
        x = np.maximum(x @ self.dense[0] + self.dense[1], 0.0)
        logits = x @ self.head[0] + self.head[1]
        if self.output_name == "target":
            return _sigmoid(logits)
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        return logits / logits.sum(axis=1, keepdims=True)

    def _run(self, direction: Direction, ids: np.ndarray, running: np.ndarray, rows: int) -> np.ndarray:
        """The final hidden state of one direction over the steps; a row stops at its length."""
        units = self.units
        h = np.zeros((rows, units), dtype=np.float32)
        c = np.zeros((rows, units), dtype=np.float32) if self.cell == "LSTM" else None
        for step, active in enumerate(running.tolist()):
            x = direction.table[ids[:active, step]]
            inner = h[:active] @ direction.recurrent
            if self.cell == "GRU":
                inner += direction.recurrent_bias
                z = _sigmoid(x[:, :units] + inner[:, :units])
                r = _sigmoid(x[:, units:2 * units] + inner[:, units:2 * units])
                candidate = np.tanh(x[:, 2 * units:] + r * inner[:, 2 * units:])
                h[:active] = z * h[:active] + (1.0 - z) * candidate
            else:
                gates = x + inner
                i, f = _sigmoid(gates[:, :units]), _sigmoid(gates[:, units:2 * units])
                c[:active] = f * c[:active] + i * np.tanh(gates[:, 2 * units:3 * units])
                h[:active] = _sigmoid(gates[:, 3 * units:]) * np.tanh(c[:active])
        return h


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (0.5 * (np.tanh(0.5 * x) + 1.0)).astype(np.float32, copy=False)  # = 1/(1+e^-x), no overflow


# ---------------------------------------------------------------------------------------- reading
def _float32_policy(config: dict) -> bool:
    dtype = config.get("dtype")
    name = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    return name in (None, "float32")


def _rnn_layer(config: dict, go_backwards: bool) -> dict | None:
    """The GRU/LSTM config when it is one this module computes, else None."""
    if not isinstance(config, dict) or config.get("class_name") not in _CELL_GATES:
        return None
    cfg = config.get("config", {})
    wanted = {"return_sequences": False, "return_state": False, "go_backwards": go_backwards,
              "stateful": False, "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True}
    if config["class_name"] == "GRU":
        wanted["reset_after"] = True
    if any(cfg.get(key) != value for key, value in wanted.items()) or not _float32_policy(cfg):
        return None
    return {"cell": config["class_name"], "units": int(cfg["units"])}


def _structure(config: Any) -> dict | None:
    """What the forward pass needs from config.json, or None when the archive is not the rnn
    family's plain graph (text → vectorize → embedding → birnn → dropout → dense → head)."""
    if not isinstance(config, dict) or config.get("class_name") != "Functional":
        return None
    layers = config.get("config", {}).get("layers", [])
    classes = [layer.get("class_name") for layer in layers if isinstance(layer, dict)]
    if classes != ["InputLayer", "TextVectorization", "Embedding", "NotEqual", "Bidirectional",
                   "Dropout", "Dense", "Dense"]:
        return None
    _, vectorize, embedding, _, birnn, _, dense, head = (layer["config"] for layer in layers)
    if any(not _float32_policy(cfg) for cfg in (vectorize, embedding, birnn, dense, head)):
        return None
    if (vectorize.get("standardize") is not None or vectorize.get("split") != "whitespace"
            or vectorize.get("ngrams") is not None or vectorize.get("output_mode") != "int"
            or not isinstance(vectorize.get("output_sequence_length"), int)
            or not isinstance(vectorize.get("vocabulary"), list) or vectorize.get("ragged")):
        return None
    forward, backward = _rnn_layer(birnn.get("layer"), False), _rnn_layer(birnn.get("backward_layer"), True)
    if (embedding.get("mask_zero") is not True or birnn.get("merge_mode") != "concat"
            or forward is None or forward != backward
            or dense.get("activation") != "relu" or not dense.get("use_bias")
            or not head.get("use_bias")):
        return None
    head_name = layers[-1].get("name")
    if (head_name, head.get("activation")) not in (("target", "sigmoid"), ("label", "softmax")):
        return None
    return {"vocabulary": vectorize["vocabulary"], "sequence_length": vectorize["output_sequence_length"],
            "head": head_name, **forward}


def _weights(archive: zipfile.ZipFile) -> dict[str, np.ndarray]:
    """Every array of model.weights.h5, by its path in the file."""
    import io

    import h5py

    arrays: dict[str, np.ndarray] = {}
    with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as h5:
        h5.visititems(lambda name, obj: arrays.__setitem__(name, obj[()])
                      if isinstance(obj, h5py.Dataset) else None)
    return arrays


def read_numpy_rnn(path: Path, task: str, n_labels: int) -> NumpyRNN | None:
    """The model of an rnn-family model.keras (already checksum-checked), or None when it is not
    the plain graph this module computes, or not one to answer with: outputs that do not fit the
    card, a weight that is not finite. Keras loading then takes it, and refuses those two with its
    own messages (after the run's other files were checked, as before)."""
    from tweetgeo.models.keras_family import expected_output

    with zipfile.ZipFile(path) as archive:
        structure = _structure(json.loads(archive.read("config.json").decode("utf-8")))
        if structure is None:
            return None
        arrays = _weights(archive)
    expected = expected_output(task, "labels")
    if structure["head"] != expected:
        return None
    units, gates = structure["units"], _CELL_GATES[structure["cell"]]
    names = {"embedding": "layers/embedding/vars/0", "dense": "layers/dense/vars/", "head": "layers/dense_1/vars/"}
    cell_vars = "layers/bidirectional/{}_layer/cell/vars/{}"
    needed = [names["embedding"], *(names[k] + i for k in ("dense", "head") for i in "01"),
              *(cell_vars.format(d, i) for d in ("forward", "backward") for i in "012")]
    if any(name not in arrays for name in needed):
        return None  # laid out otherwise than this module knows (another Keras): Keras loads it
    if not all(np.isfinite(arrays[name]).all() for name in needed):
        return None
    vocabulary = structure["vocabulary"]
    embedding = arrays[names["embedding"]].astype(np.float32)
    dense = (arrays[names["dense"] + "0"], arrays[names["dense"] + "1"])
    head = (arrays[names["head"] + "0"], arrays[names["head"] + "1"])
    width = 1 if expected == "target" else n_labels
    if (embedding.shape[0] != len(vocabulary) + 2 or dense[0].shape[0] != 2 * units
            or head[0].shape[0] != dense[0].shape[1]):
        return None
    if head[0].shape[1] != width:
        return None

    def direction(side: str) -> Direction | None:
        kernel, recurrent, bias = (arrays[cell_vars.format(side, i)].astype(np.float32) for i in "012")
        if kernel.shape != (embedding.shape[1], gates * units) or recurrent.shape != (units, gates * units):
            return None
        input_bias, recurrent_bias = (bias[0], bias[1]) if structure["cell"] == "GRU" else (bias, None)
        return Direction(embedding @ kernel + input_bias, recurrent, recurrent_bias)

    forward, backward = direction("forward"), direction("backward")
    if forward is None or backward is None:
        return None
    lookup = {token: index for index, token in enumerate(vocabulary, start=2)}
    return NumpyRNN(lookup, structure["sequence_length"], structure["cell"], units, forward, backward,
                    dense, head, expected)
