"""Where each stage reads and writes: one place for every artifact path.

dvc.yaml spells the same paths (DVC cannot import them); tests/test_dvc_yaml.py
checks the two agree.
"""

from __future__ import annotations

from pathlib import Path


def prepared(dataset: str) -> Path:
    return Path("data/prepared") / f"{dataset}.parquet"


def quality_report(dataset: str) -> Path:
    return Path("reports/data") / f"{dataset}.json"


def clean(dataset: str) -> Path:
    return Path("data/clean") / f"{dataset}.parquet"


def clean_report(dataset: str) -> Path:
    return Path("reports/eda") / dataset / "summary.json"


def eda_dir(dataset: str) -> Path:
    return Path("reports/eda") / dataset


def features_dir(dataset: str, kind: str) -> Path:
    """kind: word2vec | glove | tfidf | encoder."""
    return Path("data/features") / dataset / kind


def embeddings_report_dir() -> Path:
    return Path("reports/embeddings")


def labels_dir(dataset: str) -> Path:
    return Path("data/labels") / dataset


def labels_report_dir() -> Path:
    return Path("reports/labels")


def model_dir(run: str) -> Path:
    return Path("models") / run


def training_log_dir(run: str) -> Path:
    return Path("reports/training") / run


def backup_dir(run: str) -> Path:
    """Keras BackupAndRestore state: outside DVC outputs so a killed run resumes."""
    return Path(".tweetgeo/backup") / run


def metrics_file(run: str) -> Path:
    return Path("reports/metrics") / f"{run}.json"


def predictions_dir(run: str) -> Path:
    return Path("reports/predictions") / run


def plots_dir(run: str) -> Path:
    return Path("reports/plots") / run


def submission_file(run: str) -> Path:
    """Kaggle format (id,target) for the unlabelled disaster test.csv."""
    return predictions_dir(run) / "submission.csv"


def report_file() -> Path:
    return Path("reports/README.md")


def comparison_dir() -> Path:
    return Path("reports/comparison")


def details_file(run: str) -> Path:
    """Every metric with its 95% CI, row counts and k-fold details (metrics_file: headline values only)."""
    return Path("reports/details") / f"{run}.json"
