"""Where each stage reads and writes: one place for every artifact path.

dvc.yaml spells the same paths (DVC cannot import them); tests/test_dvc_yaml.py
checks the two agree.
"""

from __future__ import annotations

from pathlib import Path

FINGERPRINTS_DIR = Path("data/fingerprints")  # stage `fingerprint` (src/tweetgeo/fingerprint.py)


def fingerprint_file(kind: str) -> Path:
    """The sha256 of the library files stages of `kind` run (dvc.yaml vars `sources.<kind>`)."""
    return FINGERPRINTS_DIR / f"{kind}.sha256"


LIBRARY_FINGERPRINT = fingerprint_file("library")  # train, evaluate, ensemble, evaluate_ensemble


def members_fingerprint(ensemble: str) -> Path:
    """The sha256 of an ensemble's member runs' trained folders (stage members@<ensemble>)."""
    return Path("data/members") / f"{ensemble}.sha256"


STAGE_PARAMS_DIR = Path("data/params")  # stage `check_params` (src/tweetgeo/stage_params.py)


def stage_params_name(stage: str, item: str | None = None) -> str:
    """The file name of stage_params_file, in whichever folder check_params writes."""
    return f"{stage}@{item}.json" if item is not None else f"{stage}.json"


def stage_params_file(stage: str, item: str | None = None) -> Path:
    """The params.yaml values stage `stage` (of foreach item `item`) reads, written by check_params."""
    return STAGE_PARAMS_DIR / stage_params_name(stage, item)


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


def label_assignments(dataset: str, scheme: str) -> Path:
    """id → label of every row with coordinates (or a target), one file per scheme."""
    return labels_dir(dataset) / f"{scheme}.parquet"


def label_points(dataset: str, scheme: str) -> Path:
    """The scheme's labels: label, lat, lon, name, n_train."""
    return labels_dir(dataset) / f"{scheme}_points.csv"


def labels_report_dir() -> Path:
    return Path("reports/labels")


def label_report(dataset: str, scheme: str) -> Path:
    """Statistics of one label scheme (its error floor); the map is the same name with .png."""
    return labels_report_dir() / dataset / f"{dataset}-{scheme}.json"


def levers_report(dataset: str) -> Path:
    """Cleaning levers of one data set, measured on validation by the `levers` stage."""
    return Path("reports/levers") / f"{dataset}.json"


def encoder_vectors(dataset: str) -> Path:
    return features_dir(dataset, "encoder") / "vectors.npz"


def model_dir(run: str, ensemble: bool = False) -> Path:
    """models/<run>; an ensemble's (params `ensembles`) is ensembles/<run>: its stage depends on the
    whole of models/, so its output cannot lie inside it."""
    return Path("ensembles" if ensemble else "models") / run


# --- inside a trained run directory (models/<run>, or any folder `tweetgeo predict` is given)
def card(model_directory: Path) -> Path:
    """The run spec the model was trained with: written last, so a folder without it is unfinished."""
    return Path(model_directory) / "card.json"


def keras_model(model_directory: Path) -> Path:
    return Path(model_directory) / "model.keras"


def tfidf_model(model_directory: Path) -> Path:
    """Folder of the TF-IDF yardstick's vectorisers and coefficients."""
    return Path(model_directory) / "tfidf"


def model_label_points(model_directory: Path) -> Path:
    """Copy of the scheme's label points, so a model folder answers on its own."""
    return Path(model_directory) / "label_points.csv"


def history(model_directory: Path) -> Path:
    """Every epoch's losses and metrics, also across a resume."""
    return Path(model_directory) / "history.csv"


def model_card_text(model_directory: Path) -> Path:
    """The model card for people: purpose, data seen, measured error, intended use and misuse."""
    return Path(model_directory) / "MODEL_CARD.md"


def train_summary(model_directory: Path) -> Path:
    """Wall time, rows, epochs, best epoch, parameters, device."""
    return Path(model_directory) / "train_summary.json"


def cv_summary(model_directory: Path) -> Path:
    """k-fold cross-validation mean ± std (train.cv_folds)."""
    return Path(model_directory) / "cv.json"


def cv_scores(model_directory: Path) -> Path:
    """The k-fold CV's out-of-fold model outputs: each train row's scores from the fold model that
    held it out (ids, fold, one array per output); an ensemble's CV averages its members'."""
    return Path(model_directory) / "cv_scores.npz"


def repeats_dir(model_directory: Path) -> Path:
    """Repeats 1…k-1 of a run trained k times (train.repeats); repeat 0 is the run's folder itself."""
    return Path(model_directory) / "repeats"


def repeat_model_dir(model_directory: Path, repeat: int) -> Path:
    """Repeat `repeat` (≥ 1) of a run trained several times: a whole run directory of its own."""
    return repeats_dir(model_directory) / str(repeat)


def training_log_dir(run: str) -> Path:
    return Path("reports/training") / run


def backup_dir(run: str) -> Path:
    """Keras BackupAndRestore state: outside DVC outputs so a killed run resumes."""
    return Path(".tweetgeo/backup") / run


def metrics_file(run: str) -> Path:
    return Path("reports/metrics") / f"{run}.json"


def predictions_dir(run: str) -> Path:
    return Path("reports/predictions") / run


def predictions(run: str, split: str) -> Path:
    """Truth beside prediction for one split (validation, test)."""
    return predictions_dir(run) / f"{split}.parquet"


def repeat_predictions(run: str, repeat: int, split: str) -> Path:
    """Repeat `repeat` (≥ 1) of a run trained several times: its predictions, as predictions() has them."""
    return predictions_dir(run) / "repeats" / str(repeat) / f"{split}.parquet"


def plots_dir(run: str) -> Path:
    return Path("reports/plots") / run


def per_label_table(run: str) -> Path:
    """Per-label support, correct and incorrect counts of a geo classifier (test split, else validation)."""
    return predictions_dir(run) / "per_label.csv"


def web_map(run: str) -> Path:
    """The interactive, offline HTML map of a geo run's predictions and errors (beside them: it
    shows rows of the data set, so it is a DVC-cached output like them, not git-tracked)."""
    return predictions_dir(run) / "map.html"


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
