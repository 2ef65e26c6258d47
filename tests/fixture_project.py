"""A tiny tweetgeo project in a temporary folder: the disaster data set, stage inputs built.

Shared by test_resume.py and test_determinism.py. `base_project` builds one (prepare, clean,
labels and embed run in-process on 300 rows, word2vec 1 epoch of 8 dimensions, a 300-word
GloVe file, 200 TF-IDF features) once per test session; `project_copy` gives each test its
own copy, and `run_stage` runs a stage script in it the way `dvc repro` does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATASET = "disaster"

PARAMS = {
    "seed": 7,
    "datasets": {DATASET: {
        "task": "disaster", "format": "kaggle_csv",
        "files": {"all": "data/raw/disaster/train.csv", "test": "data/raw/disaster/test.csv"},
        "split": {"validation": 0.25, "test": 0.0, "stratify": True},
        "max_rows": 300, "label_schemes": ["target"]}},
    "embeddings": {
        "vocab": {"min_count": 1, "max_size": 500, "max_len_quantile": 0.95, "max_len_cap": 20},
        "word2vec": {"sg": 1, "vector_size": 8, "window": 3, "min_count": 1, "epochs": 1,
                     "workers": 1},
        "glove": {"source": "file", "path": "data/raw/glove/tiny.txt"},
        "tfidf": {"word_ngrams": [1, 1], "char_ngrams": None, "max_features": 200}},
    "encoder": {"datasets": []},
    "models": {"tiny_gru": {"family": "rnn", "cell": "gru", "units": 4, "dense_units": 4},
               "tfidf_linear": {"family": "tfidf", "C": 1.0}},
    "train": {"epochs": 2, "batch_size": 64, "patience": 2},
    "evaluate": {"bootstrap": 20},
    "runs": {"tiny-gru": {"dataset": DATASET, "model": "tiny_gru", "labels": "target",
                          "features": "word2vec"},
             "tiny-tfidf": {"dataset": DATASET, "model": "tfidf_linear", "labels": "target",
                            "features": "tfidf"}},
}

_BASE: Path | None = None


@contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def write_params(project: Path, **run_train: dict) -> None:
    """params.yaml of the fixture; run_train: run name → overrides of its `train` section."""
    params = yaml.safe_load(yaml.safe_dump(PARAMS))
    for run, train in run_train.items():
        params["runs"][run]["train"] = train
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def build(project: Path) -> Path:
    """Raw files, stage scripts, params.yaml and the prepared/clean/labels/features inputs."""
    from tweetgeo import paths
    from tweetgeo.config import load_params
    from tweetgeo.datasets import load_dataset
    from tweetgeo.embeddings import run_embed_stage
    from tweetgeo.io import write_json, write_parquet
    from tweetgeo.labels import run_labels_stage
    from tweetgeo.text import clean_frame

    project.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "stages", project / "stages",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data/raw/disaster", project / "data/raw/disaster")
    glove = (ROOT / "data/raw/glove/glove.6B.50d.top20k.txt").read_text(encoding="utf-8")
    (project / "data/raw/glove").mkdir(parents=True)
    (project / "data/raw/glove/tiny.txt").write_text(
        "".join(glove.splitlines(keepends=True)[:300]), encoding="utf-8")
    write_params(project)
    with chdir(project):
        params = load_params("params.yaml")
        frame, quality = load_dataset(DATASET, params.datasets[DATASET], params.seed)
        write_parquet(frame, paths.prepared(DATASET))
        write_json(quality, paths.quality_report(DATASET))
        clean, _ = clean_frame(frame, params.clean_for(DATASET))
        write_parquet(clean, paths.clean(DATASET))
        run_labels_stage(clean, DATASET, params.datasets[DATASET].label_schemes,
                         params.labels_for(DATASET), paths.labels_dir(DATASET),
                         paths.labels_report_dir() / "disaster")
        run_embed_stage(params, DATASET, {DATASET: clean}, paths.features_dir(DATASET, ""),
                        paths.embeddings_report_dir())
    return project


def base_project() -> Path:
    """The project built once per session (treat as read-only: copy it with project_copy)."""
    global _BASE
    if _BASE is None:
        _BASE = build(Path(tempfile.mkdtemp(prefix="tweetgeo-fixture-")) / "project")
    return _BASE


def project_copy(dest: Path) -> Path:
    shutil.copytree(base_project(), dest)
    return dest


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "TF_CPP_MIN_LOG_LEVEL": "3"}


def stage_cmd(stage: str, *args: str) -> list[str]:
    return [sys.executable, f"stages/{stage}.py", *args]


def run_stage(project: Path, stage: str, *args: str) -> subprocess.CompletedProcess:
    """Run stages/<stage>.py in the project (cwd), as dvc.yaml's cmd does; fail loudly."""
    proc = subprocess.run(stage_cmd(stage, *args), cwd=project, env=env(),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{stage} {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc
