"""The mention-graph family: handles found, celebrities dropped, label counts smoothed by the prior,
saved and loaded the same, damaged files named, and `tweetgeo predict` on raw text through a run
directory (the code `evaluate` uses)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_checks import assert_one_error, run_cli
from tweetgeo.config import CleanConfig, TrainConfig
from tweetgeo.errors import ModelDirError
from tweetgeo.models.families.mention_graph import GRAPH_FILE, MentionGraph, handles
from tweetgeo.rundata import SplitData
from tweetgeo.runspec import RunSpec

# three places; @cafe_a and @bar_b are local accounts, @news is mentioned everywhere
TRAIN = [("lunch at @Cafe_A again", 0), ("@cafe_a best coffee", 0), ("RT @bar_b: open late", 1),
         ("@bar_b @news tonight", 1), ("@news says rain", 2), ("snow here @news", 2),
         ("no handle at all", 2), ("mail me at me@cafe_a.com", 1)]
POINTS = pd.DataFrame({"label": [0, 1, 2], "lat": [40.7, 34.0, 47.6], "lon": [-74.0, -118.2, -122.3],
                       "name": ["New York", "Los Angeles", "Seattle"], "n_train": [2, 3, 3]})


def _spec(max_mentioners: int = 2, prior_weight: float = 1.0) -> RunSpec:
    return RunSpec(name="net", dataset="toy", task="geo", labels="kdtree", features="raw", model="net",
                   options={"family": "mention_graph", "max_mentioners": max_mentioners,
                            "prior_weight": prior_weight},
                   train=TrainConfig(), clean=CleanConfig(), decoding_top_k=3, encoder_max_tokens=16, seed=0)


def _split(rows: list[tuple[str, int]]) -> SplitData:
    texts = np.array([t for t, _ in rows], dtype=object)
    return SplitData(np.array([str(i) for i in range(len(rows))], dtype=object), texts, texts,
                     np.array([y for _, y in rows]), np.zeros((len(rows), 2)))


def _fit(**options) -> MentionGraph:
    spec = _spec(**options)
    return spec.family.fit(spec, 3, _split(TRAIN), _split(TRAIN[:2]), []).model


def test_handles_are_lower_cased_and_e_mail_addresses_are_not_handles() -> None:
    assert handles("RT @Bar_B: hi @bar_b and @x_1, me@cafe_a.com @") == {"bar_b", "x_1"}
    assert handles("@" + "a" * 16) == set()  # longer than Twitter allows: not a handle
    assert handles("") == set()


def test_a_text_gets_the_labels_of_the_rows_sharing_its_handles_smoothed_by_the_prior() -> None:
    graph = _fit()
    prior = np.array([2, 3, 3]) / 8
    assert sorted(graph.handles.tolist()) == ["bar_b", "cafe_a"]  # @news: 3 rows > max_mentioners 2
    probs = graph.label_probabilities(np.array(["see you at @CAFE_A", "@bar_b and @cafe_a", "@news", "hi"],
                                               dtype=object))
    np.testing.assert_allclose(probs[0], (np.array([2, 0, 0]) + prior) / 3, rtol=1e-6)
    np.testing.assert_allclose(probs[1], (np.array([2, 2, 0]) + prior) / 5, rtol=1e-6)
    np.testing.assert_allclose(probs[2], prior, rtol=1e-6)  # only a dropped handle: the prior
    np.testing.assert_allclose(probs[3], prior, rtol=1e-6)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
    assert graph.coverage(np.array(["@cafe_a", "@news", "x", "@bar_b"], dtype=object)) == 0.5


def test_max_mentioners_and_prior_weight_change_the_answer() -> None:
    wide = _fit(max_mentioners=3)
    assert "news" in wide.handles.tolist()
    assert wide.label_probabilities(np.array(["@news"], dtype=object))[0].argmax() == 2
    heavy = _fit(prior_weight=100.0)
    assert heavy.label_probabilities(np.array(["@cafe_a"], dtype=object))[0].argmax() != 0  # prior wins


def test_saved_and_loaded_scores_the_same_and_damage_is_named(tmp_path: Path) -> None:
    spec = _spec()
    family = spec.family
    graph = _fit()
    family.save(graph, tmp_path)
    assert family.model_files(tmp_path) == [tmp_path / GRAPH_FILE]
    probe = np.array(["@bar_b tonight", "@cafe_a", "nothing"], dtype=object)
    np.testing.assert_array_equal(family.scores(family.load(tmp_path, "geo", 3), probe, "geo")["label"],
                                  family.scores(graph, probe, "geo")["label"])
    with pytest.raises(ModelDirError, match="prior has 3 labels, the model card 4"):
        family.load(tmp_path, "geo", 4)
    bad = MentionGraph(graph.handles, graph.indptr, graph.labels + 5, graph.prior, 1.0)
    bad.save(tmp_path / GRAPH_FILE)
    with pytest.raises(ModelDirError, match=f"{GRAPH_FILE}: labels outside 0..2"):
        family.load(tmp_path, "geo", 3)
    (tmp_path / GRAPH_FILE).write_bytes(b"not a zip")
    with pytest.raises(ModelDirError, match=f"{GRAPH_FILE}: unreadable"):
        family.load(tmp_path, "geo", 3)
    (tmp_path / GRAPH_FILE).unlink()
    with pytest.raises(ModelDirError, match="missing"):
        family.check_files(tmp_path, "geo", 3)


def test_only_geolocation() -> None:
    from tweetgeo.models.registry import get

    with pytest.raises(ValueError, match="does geo tasks, not 'binary'"):
        get("mention_graph").check(_spec().options, "binary", "raw")
    with pytest.raises(ValueError, match="takes features raw, not 'tfidf'"):
        get("mention_graph").check(_spec().options, "geo", "tfidf")


def test_predict_cli_answers_raw_text_from_a_run_directory(tmp_path: Path) -> None:
    from tweetgeo.predict import Predictor
    from tweetgeo.train import save_model

    spec = _spec()
    run = tmp_path / "run"
    save_model(spec, _fit(), POINTS, 3, run, threshold=0.5)
    texts = ["dinner @bar_b", "@cafe_a morning", "plain words"]
    frame = Predictor(run).predict(texts)
    assert frame["name"].tolist()[:2] == ["Los Angeles", "New York"]
    source = tmp_path / "in.csv"
    pd.DataFrame({"text": texts}).to_csv(source, index=False)
    out = tmp_path / "out.csv"
    proc = run_cli("predict", "--model", run, "--input", source, "--output", out)
    assert proc.returncode == 0, proc.stderr
    assert not proc.tf  # a lookup table: no TensorFlow start-up
    pd.testing.assert_frame_equal(pd.read_csv(out)[["lat", "lon"]], frame[["lat", "lon"]].reset_index(drop=True),
                                  check_dtype=False)
    (run / GRAPH_FILE).write_bytes(b"")
    assert_one_error(run_cli("predict", "--model", run, "--input", source, "--output", tmp_path / "o2.csv"),
                     run / GRAPH_FILE, "unreadable")
