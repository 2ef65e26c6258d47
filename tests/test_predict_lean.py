"""`tweetgeo predict` does only the work it needs: neither a TF-IDF run nor an rnn-family run
(answered with NumPy, the same probabilities as its Keras model) imports TensorFlow; a large input
shared between two processes, or cleaned ahead in a child process (while the model loads), gives
the same answers as one process cleaning in line."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pandas as pd
import pytest

from cli_checks import ROOT, run_cli, tiny_binary_run
from fixture_project import chdir, project_copy
from tweetgeo.forking import may_fork
from tweetgeo.predict import (
    CLEAN_AHEAD_MIN_TEXTS,
    SPLIT_MIN_TEXTS,
    CleaningAhead,
    Predictor,
    predict_frame,
    predict_frame_split,
)
from tweetgeo.text import TextCleaner

pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
N_TEXTS = CLEAN_AHEAD_MIN_TEXTS + 500  # enough to take the clean-ahead path


@pytest.fixture(scope="module")
def tfidf_run(tmp_path_factory) -> Path:
    from tweetgeo.config import load_params
    from tweetgeo.runspec import resolve_run
    from tweetgeo.train import train_run

    project = project_copy(tmp_path_factory.mktemp("lean") / "project")
    with chdir(project):
        return project / train_run(resolve_run(load_params("params.yaml"), "tiny-tfidf"))


@pytest.fixture(scope="module")
def gru_run(tmp_path_factory) -> Path:
    return tiny_binary_run(tmp_path_factory.mktemp("run") / "tiny")


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """Real Yachay tweets, plus cases the cleaner treats specially, as a predict CSV."""
    with gzip.open(ROOT / "data/raw/yachay/yachay_regions.jsonl.gz", "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in itertools.islice(fh, N_TEXTS)]
    texts[:4] = ["🔥🔥🔥", "", "http://t.co/abc", "Forest fire near La Ronge!"]
    frame = pd.DataFrame({"id": [f"t{i}" for i in range(len(texts))], "text": texts})
    path = tmp_path_factory.mktemp("in") / "many.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_tfidf_predict_never_imports_tensorflow(tfidf_run: Path, many, tmp_path: Path) -> None:
    path, frame = many
    out = tmp_path / "out.csv"
    proc = run_cli("predict", "--model", tfidf_run, "--input", path, "--output", out)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.tf is False
    assert len(pd.read_csv(out)) == len(frame)


@pytest.mark.parametrize("kind", ["tfidf", "gru"])
def test_the_command_gives_the_in_line_answers(kind: str, tfidf_run: Path, gru_run: Path, many,
                                                  tmp_path: Path) -> None:
    path, frame = many
    model = tfidf_run if kind == "tfidf" else gru_run
    out = tmp_path / "out.csv"
    proc = run_cli("predict", "--model", model, "--input", path, "--output", out)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.tf is False  # the rnn family answers with NumPy (models/rnn_numpy.py)
    got = pd.read_csv(out, dtype={"id": str}, keep_default_na=False)
    predictor = Predictor(model)
    want = predict_frame(predictor, frame)  # cleaned in line, in this process
    if kind == "gru":  # the NumPy answers are the Keras model's
        keras_model = predictor.family.load_keras(model, "binary", 2)
        keras_prob = keras_model.predict(predictor.clean(frame["text"].tolist()), verbose=0)["target"].reshape(-1)
        pd.testing.assert_series_equal(got["probability"], pd.Series(keras_prob, dtype="float64"),
                                       check_names=False, atol=2e-6)
    assert got["empty_after_cleaning"].tolist() == want["empty_after_cleaning"].tolist()
    assert got["empty_after_cleaning"].iloc[:3].tolist() == [1, 1, 1]
    pd.testing.assert_series_equal(got["probability"], want["probability"], check_names=False, atol=1e-6)


@pytest.mark.parametrize("kind", ["tfidf", "gru"])
def test_two_processes_give_the_one_process_answers(kind: str, tfidf_run: Path, gru_run: Path, many) -> None:
    """A TF-IDF or NumPy-answered rnn run (scored on one core each) shares many rows between two
    processes, BLAS held to one thread in each: the same frame as one process with BLAS threads."""
    _, frame = many
    predictor = Predictor(tfidf_run if kind == "tfidf" else gru_run)
    assert predictor.family.one_core_scoring and len(frame) >= SPLIT_MIN_TEXTS
    blas_threads = _blas_threads()
    split = predict_frame_split(predictor, frame, ["text"])
    pd.testing.assert_frame_equal(split, predict_frame(predictor, frame, ["text"]))
    assert may_fork(len(frame), 1)  # the flag that stops nested forks is reset afterwards
    assert _blas_threads() == blas_threads  # the limit ends with the split


def _blas_threads() -> list[int]:
    """The thread count of each BLAS library loaded in this process."""
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_each_process_answers_with_one_blas_thread(gru_run: Path, many, monkeypatch) -> None:
    import tweetgeo.predict as predict_module

    def spy(predictor, part, keep_columns=(), cleaned=None):  # runs in both processes
        return pd.DataFrame({"id": part["id"].to_numpy(), "threads": max(_blas_threads(), default=0)})

    monkeypatch.setattr(predict_module, "predict_frame", spy)
    _, frame = many
    split = predict_frame_split(Predictor(gru_run), frame)
    assert split["threads"].tolist() == [1] * len(frame)  # both halves: the child's came back pickled


def test_cleaning_ahead_in_parts_gives_every_text_in_order(gru_run: Path, many) -> None:
    _, frame = many
    texts = frame["text"].tolist()
    card = Predictor(gru_run).card
    ahead = CleaningAhead(card.spec.clean, texts, parts=5)
    assert ahead.result() == TextCleaner(card.spec.clean).clean_many(texts)
    assert ahead.pool._shutdown_thread  # the child was stopped
