"""Where the people a text @-mentions are: a mention network for geolocation (Rahimi et al. 2015).

Users who mention the same account tend to live near each other (friends, local shops, teams,
radio stations). Training keeps, for each @handle, the labels of the training rows (users or
tweets) that mention it; a handle mentioned by more rows than ``max_mentioners`` (celebrities,
brands, news) links nobody and is dropped, as in Rahimi et al.'s collapsed "binary" graph. A new
text's label distribution is the label counts of the rows sharing one of its handles, smoothed
towards the training label distribution (``prior_weight`` pseudo-counts); a text that shares no
handle gets that prior. Alone it is a weak model (most texts share no handle); averaged with a
text model in an ensemble it answers the texts it covers and leaves the others to the text model.
Only the raw text is read (features ``raw``): a handle is the same string in every data set, and
no author id is needed at predict time. By hand: no library builds a label histogram per @handle;
the lookup is a dict and a sum of small integer arrays.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from tweetgeo.models.registry import Family, FamilyConfig, Fitted, Task, register

GRAPH_FILE = "mention_graph.npz"  # handles, their mentioning rows' labels (CSR layout), the label prior
# Twitter handles: 1–15 of [A-Za-z0-9_], not preceded by a word character (so not e-mail addresses)
HANDLE = re.compile(r"(?<![A-Za-z0-9_])@([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_])")


class MentionGraphConfig(FamilyConfig):
    family: Literal["mention_graph"]
    max_mentioners: int = Field(10, ge=1)  # a handle in more training rows than this links nobody
    prior_weight: float = Field(1.0, gt=0)  # pseudo-counts of the training label distribution


def handles(text: str) -> set[str]:
    """The @handles of a text, lower-cased (Twitter handles are case-insensitive)."""
    return {h.lower() for h in HANDLE.findall(text)}


@dataclass
class MentionGraph:
    """Per handle the labels of the training rows that mention it; the training label prior."""

    handles: np.ndarray  # str (H,), sorted
    indptr: np.ndarray  # int64 (H + 1,): labels[indptr[i]:indptr[i + 1]] belong to handles[i]
    labels: np.ndarray  # int32: one entry per (handle, mentioning row)
    prior: np.ndarray  # float64 (L,), sums to 1
    prior_weight: float

    @classmethod
    def fit(cls, texts: np.ndarray, labels: np.ndarray, n_labels: int, max_mentioners: int,
            prior_weight: float) -> MentionGraph:
        """Link each kept handle to the labels of the training rows that mention it."""
        rows: dict[str, list[int]] = {}
        for label, text in zip(labels, texts):
            for handle in handles(str(text)):
                rows.setdefault(handle, []).append(int(label))
        kept = sorted(h for h, ls in rows.items() if len(ls) <= max_mentioners)
        sizes = np.array([len(rows[h]) for h in kept], dtype="int64")
        indptr = np.concatenate([[0], np.cumsum(sizes)]).astype("int64")
        flat = np.array([label for h in kept for label in rows[h]], dtype="int32")
        prior = np.bincount(np.asarray(labels, dtype="int64"), minlength=n_labels).astype("float64")
        return cls(np.array(kept, dtype=str), indptr, flat, prior / prior.sum(), prior_weight)

    def parameter_count(self) -> int:
        return int(len(self.labels) + len(self.prior))

    def label_probabilities(self, texts: np.ndarray) -> np.ndarray:
        """(N, L) float32: each text's mentioned rows' label counts plus prior_weight × the prior,
        normalised; texts sharing no handle get the prior."""
        index = self._index
        n_labels = len(self.prior)
        counts = np.zeros((len(texts), n_labels), dtype="float64")
        for row, text in enumerate(texts):
            found = [index[h] for h in handles(str(text)) if h in index]
            if found:
                linked = np.concatenate([self.labels[self.indptr[i]:self.indptr[i + 1]] for i in found])
                counts[row] = np.bincount(linked, minlength=n_labels)
        counts += self.prior_weight * self.prior
        return (counts / counts.sum(axis=1, keepdims=True)).astype("float32")

    def coverage(self, texts: np.ndarray) -> float:
        """Share of texts that share at least one kept handle with the training rows."""
        known = self._index.keys()
        return float(np.mean([bool(handles(str(t)) & known) for t in texts])) if len(texts) else 0.0

    @functools.cached_property
    def _index(self) -> dict[str, int]:
        """handle → its row in `handles`, built once per graph (the arrays are not changed after)."""
        return {h: i for i, h in enumerate(self.handles.tolist())}

    def save(self, path: Path) -> None:
        np.savez(path, handles=self.handles, indptr=self.indptr, labels=self.labels, prior=self.prior,
                 prior_weight=np.array(self.prior_weight))

    @classmethod
    def load(cls, path: Path, n_labels: int) -> MentionGraph:
        """Read and check the file; a ModelDirError naming it and the part that is wrong."""
        from tweetgeo.errors import ModelDirError

        if not path.is_file():
            raise ModelDirError(f"{path}: missing — the run was not trained to the end")
        try:
            with np.load(path, allow_pickle=False) as data:
                parts = {k: data[k] for k in ("handles", "indptr", "labels", "prior", "prior_weight")}
        except (OSError, ValueError, KeyError, EOFError) as err:
            raise ModelDirError(f"{path}: unreadable ({' '.join(str(err).split())[:200]})") from None
        graph = cls(parts["handles"].astype(str), parts["indptr"].astype("int64"),
                    parts["labels"].astype("int32"), parts["prior"].astype("float64"),
                    float(parts["prior_weight"]))
        problem = graph._problem(n_labels)
        if problem:
            raise ModelDirError(f"{path}: {problem}")
        return graph

    def _problem(self, n_labels: int) -> str | None:
        """What is inconsistent in the arrays, or None."""
        if self.prior.shape != (n_labels,):
            return f"prior has {self.prior.size} labels, the model card {n_labels}"
        if not np.all(np.isfinite(self.prior)) or np.any(self.prior < 0) or abs(self.prior.sum() - 1) > 1e-6:
            return "prior is not a probability distribution"
        if not (np.isfinite(self.prior_weight) and self.prior_weight > 0):
            return "prior_weight must be a positive number"
        if self.indptr.shape != (len(self.handles) + 1,) or self.indptr[0] != 0 \
                or np.any(np.diff(self.indptr) < 0) or self.indptr[-1] != len(self.labels):
            return "indptr does not index the labels of each handle"
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= n_labels):
            return f"labels outside 0..{n_labels - 1}"
        return None


class MentionGraphFamily(Family):
    """No Keras, no training loop: a lookup table from the training rows' @-mentions."""

    name, config, features = "mention_graph", MentionGraphConfig, ("raw",)
    tasks = ("geo",)
    neural = False  # a lookup table: not among the neural runs held to the yardstick

    def fit(self, spec, n_labels, train, val, callbacks) -> Fitted:
        cfg = spec.options
        graph = MentionGraph.fit(train.inputs, train.labels, n_labels, cfg.max_mentioners, cfg.prior_weight)
        summary = {"parameters": graph.parameter_count(), "epochs_run": 1, "best_epoch": 1,
                   "handles": len(graph.handles),
                   "coverage_validation": round(graph.coverage(val.inputs), 4)}
        print(f"{spec.name}: {len(graph.handles):,} handles linked; "
              f"{summary['coverage_validation']:.1%} of validation texts share one")
        return Fitted(graph, summary)

    def model_files(self, directory: Path) -> list[Path]:
        return [Path(directory) / GRAPH_FILE]

    def save(self, model: MentionGraph, directory: Path) -> None:
        model.save(Path(directory) / GRAPH_FILE)

    def load(self, directory: Path, task: Task, n_labels: int) -> MentionGraph:
        return MentionGraph.load(Path(directory) / GRAPH_FILE, n_labels)

    def check_files(self, directory: Path, task: Task, n_labels: int) -> MentionGraph:
        return self.load(directory, task, n_labels)

    def scores(self, model: MentionGraph, inputs: np.ndarray, task: Task) -> dict[str, np.ndarray]:
        return {"label": model.label_probabilities(inputs)}


FAMILY = register(MentionGraphFamily())
