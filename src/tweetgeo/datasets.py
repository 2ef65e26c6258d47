"""Raw data sets → the canonical table: one reader per raw format, plus a data-quality report.

Every reader validates row by row: a bad row is dropped and counted by reason
(see DROP_REASONS), a file that cannot be used at all raises DataError with a
one-line message "<file>:<line>: <field>: <what is wrong>" (line 0 = the file
as a whole). Gzip is recognised by its magic number, so every reader also
accepts an uncompressed file. Text is decoded line by line as UTF-8; in a line that is not
valid UTF-8 each invalid byte is read with the declared fallback FALLBACK_ENCODING (its valid
UTF-8 characters stay as they are); such lines are counted ("fallback_lines") and named in a
warning of the report. A UTF-16/32 file is read by its
byte-order mark; UTF-16 without one is refused.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import math
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tweetgeo.config import DatasetConfig, SplitConfig
from tweetgeo.errors import DataError
from tweetgeo.schema import (
    CANONICAL,
    ID,
    LAT,
    LON,
    REGION,
    SPLIT,
    SPLITS,
    TARGET,
    TEST,
    TEXT,
    TRAIN,
    TWEET_SEPARATOR,
    USER,
    VALIDATION,
)

ALL = "all"  # cfg.files key of a file that is split by fractions
GZIP_MAGIC = b"\x1f\x8b"
FALLBACK_ENCODING = "latin-1"  # the declared fallback of a line that is not UTF-8 (never fails)
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
SAMPLE_LINES = 10  # fallback line numbers named in a warning
_FALLBACK_ERRORS = "tweetgeo.fallback"


def _fallback_bytes(err: UnicodeError) -> tuple[str, int]:
    """codecs error handler: the bytes UTF-8 rejected, read as FALLBACK_ENCODING."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return err.object[err.start:err.end].decode(FALLBACK_ENCODING), err.end


codecs.register_error(_FALLBACK_ERRORS, _fallback_bytes)
_JSON = json.JSONDecoder()
DROP_REASONS = {
    "bad_json": "a JSON Lines line that is not a JSON object (or not UTF-8)",
    "missing_field": "a tab-separated line with too few fields",
    "missing_text": "text absent, not a string, or blank",
    "missing_user": "GeoText line without a user",
    "missing_id": "Kaggle row with a blank id",
    "missing_coordinate": "coordinates absent, or one of lat/lon missing",
    "non_numeric_coordinate": "a coordinate that is not a finite number (also NaN, inf)",
    "out_of_range": "|lat| > 90 or |lon| > 180 (also lat/lon swapped)",
    "bad_region": "Yachay region that is not an integer",
    "bad_target": "target not 0 or 1 (blank included) in a file with a target column",
    "duplicate_id": "an id seen before in this data set (the first one is kept)",
}


def _error(path: Path | str, line: int, field_name: str, what: str) -> DataError:
    """A DataError whose message is one line."""
    return DataError(f"{path}:{line}: {field_name}: {' '.join(str(what).split())}")


@dataclass
class _FileRead:
    """One raw file after validation: the kept rows and what was dropped."""

    frame: pd.DataFrame  # canonical columns except split
    rows_read: int
    dropped: Counter[str]
    encoding: str
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # format-specific facts for the report
    fallback_lines: int = 0  # lines that were not UTF-8 and were read as FALLBACK_ENCODING
    rows_kept: int = field(init=False)  # rows in the canonical table (duplicate ids removed)

    def __post_init__(self) -> None:
        self.rows_kept = len(self.frame)

    def summary(self) -> dict[str, Any]:
        """The file's entry in the data-quality report."""
        return {"rows_read": self.rows_read, "rows_kept": self.rows_kept,
                "dropped": dict(sorted(self.dropped.items())), "encoding": self.encoding,
                "fallback_lines": self.fallback_lines, "warnings": self.warnings, **self.extra}


# --------------------------------------------------------------------------- bytes and text
def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when they start with the gzip magic number."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _error(path, 0, "file", "not found") from None
    except OSError as err:
        raise _error(path, 0, "file", f"cannot be read ({err.strerror})") from None
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise _error(path, 0, "file", f"corrupt gzip data ({err})") from None


@dataclass
class _Text:
    """A decoded file: its text, the encoding(s) used and the lines that needed the fallback."""

    text: str
    encoding: str  # utf-8 | latin-1 (every non-ASCII line) | utf-8+latin-1 | utf-16 | utf-32
    fallback: list[int]  # 1-based line numbers read as FALLBACK_ENCODING

    def warnings(self, path: Path | str) -> list[str]:
        if not self.fallback:
            return []
        shown = ", ".join(map(str, self.fallback[:SAMPLE_LINES]))
        more = ", …" if len(self.fallback) > SAMPLE_LINES else ""
        return [f"{path}: {len(self.fallback)} line(s) not valid UTF-8, their invalid bytes read as "
                f"{FALLBACK_ENCODING} (line {shown}{more})"]


def _decode(data: bytes, path: Path | str) -> _Text:
    """Bytes → text, line by line: UTF-8 (a BOM removed); in a line that is not valid UTF-8 the
    invalid bytes are read as FALLBACK_ENCODING (never fails).

    A UTF-16/32 byte-order mark decodes the whole file with that codec; UTF-16 without a
    byte-order mark (NUL in every other byte of the first line) is a DataError.
    """
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return _Text(data.decode(codec).removeprefix("\ufeff"), codec, [])
            except UnicodeDecodeError as err:
                raise _error(path, 0, "file", f"starts with a {codec} byte-order mark but is not "
                             f"valid {codec} ({err.reason} at byte {err.start})") from None
    head = data[:data.find(b"\n") if b"\n" in data[:200] else 200]
    if len(head) >= 4 and (not any(head[1::2]) or not any(head[0::2])):
        raise _error(path, 1, "file", "looks like UTF-16 without a byte-order mark (NUL in every "
                     "other byte); save it as UTF-8")
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return _Text(data.decode("utf-8"), "utf-8", [])
    except UnicodeDecodeError:
        pass
    lines, fallback, wide_utf8 = [], [], False
    for number, raw in enumerate(data.split(b"\n"), 1):  # b"\n" is never inside a UTF-8/latin-1 character
        try:
            line = raw.decode("utf-8")
            wide_utf8 = wide_utf8 or not raw.isascii()
        except UnicodeDecodeError:
            line = raw.decode("utf-8", errors=_FALLBACK_ERRORS)
            wide_utf8 = wide_utf8 or line != raw.decode(FALLBACK_ENCODING)
            fallback.append(number)
        lines.append(line)
    encoding = f"utf-8+{FALLBACK_ENCODING}" if wide_utf8 else FALLBACK_ENCODING
    return _Text("\n".join(lines), encoding, fallback)


def _text_lines(text: str) -> Iterator[str]:
    """The non-blank lines; only LF/CRLF end a line (not latin-1's NEL, as str.splitlines does)."""
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line.strip():
            yield line


def _blank(value: Any) -> bool:
    """None, or a string of only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def _point(lat: Any, lon: Any) -> tuple[float, float] | str:
    """Validated (lat, lon) in degrees, or the drop reason."""
    try:
        y, x = float(lat), float(lon)
    except (TypeError, ValueError):
        return "missing_coordinate" if _blank(lat) or _blank(lon) else "non_numeric_coordinate"
    if isinstance(lat, bool) or isinstance(lon, bool):
        return "non_numeric_coordinate"
    if -90.0 <= y <= 90.0 and -180.0 <= x <= 180.0:
        return y, x
    return "out_of_range" if math.isfinite(y) and math.isfinite(x) else "non_numeric_coordinate"


def _frame(ids: list[str], texts: list[str], *, users: list[str] | None = None,
           lats: list[float] | None = None, lons: list[float] | None = None,
           targets: list[int] | None = None, regions: list[int | None] | None = None
           ) -> pd.DataFrame:
    """Canonical columns (all but split) with their dtypes; an absent column is all missing."""
    n = len(ids)
    return pd.DataFrame({
        ID: pd.Series(ids, dtype="str"),
        TEXT: pd.Series(texts, dtype="str"),
        USER: pd.Series([None] * n if users is None else users, dtype="string"),
        LAT: pd.Series([math.nan] * n if lats is None else lats, dtype="float64"),
        LON: pd.Series([math.nan] * n if lons is None else lons, dtype="float64"),
        TARGET: pd.Series([None] * n if targets is None else targets, dtype="Int64"),
        REGION: pd.Series([None] * n if regions is None else regions, dtype="Int64"),
    })


def _require_rows(read: _FileRead, path: Path) -> _FileRead:
    """A file that keeps no row is unusable."""
    if read.rows_kept == 0:
        dropped = ", ".join(f"{k}={v}" for k, v in sorted(read.dropped.items())) or "none"
        raise _error(path, 0, "rows", f"no usable rows (read {read.rows_read}, dropped: {dropped})")
    return read


# --------------------------------------------------------------------------- Yachay
def _yachay_row(line: bytes) -> tuple[str, float, float, int | None] | str:
    """(text, lat, lon, region) of one JSON line, or the drop reason."""
    try:
        obj = _JSON.decode(line.decode("utf-8"))
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return "bad_json"
    if not isinstance(obj, dict):
        return "bad_json"
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        return "missing_text"
    coords = obj.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        return "missing_coordinate"
    point = _point(coords[1], coords[0])  # stored as [lon, lat]
    if isinstance(point, str):
        return point
    region = obj.get("region")
    if region is not None and (isinstance(region, bool) or not isinstance(region, int)):
        return "bad_region"
    return text, point[0], point[1], region


def read_yachay_jsonl(path: Path, key: str) -> _FileRead:
    """Yachay JSON Lines {"text", "coordinates": [lon_str, lat_str], "region"}; id = "y" + line
    number (of a file other than "all": "y" + its split key + line number, e.g. "ytest12")."""
    prefix = "y" if key == ALL else f"y{key}"
    ids, texts, lats, lons, regions = [], [], [], [], []
    dropped: Counter[str] = Counter()
    rows = 0
    data = _read_bytes(path).removeprefix(codecs.BOM_UTF8)
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        rows += 1
        row = _yachay_row(line)
        if isinstance(row, str):
            dropped[row] += 1
            continue
        ids.append(f"{prefix}{number}")
        texts.append(row[0])
        lats.append(row[1])
        lons.append(row[2])
        regions.append(row[3])
    frame = _frame(ids, texts, lats=lats, lons=lons, regions=regions)
    return _require_rows(_FileRead(frame, rows, dropped, "utf-8"), path)


# --------------------------------------------------------------------------- GeoText
def read_geotext_user_info(path: Path, key: str) -> _FileRead:
    """GeoText user_info.{train,dev,test}.gz: user<TAB>lat<TAB>lon<TAB>tweets joined by " ||| "."""
    decoded = _decode(_read_bytes(path), path)
    text = decoded.text
    rows: list[tuple[str, float, float, str]] = []
    dropped: Counter[str] = Counter()
    n_read = 0
    for line in _text_lines(text):
        n_read += 1
        row = _geotext_row(line.split("\t", 3), 4, lat=1, lon=2, text=3)
        if isinstance(row, str):
            dropped[row] += 1
        else:
            rows.append(row)
    users, lats, lons, texts = (list(column) for column in zip(*rows)) if rows else ([],) * 4
    frame = _frame(users, texts, users=users, lats=lats, lons=lons)
    return _require_rows(_FileRead(frame, n_read, dropped, decoded.encoding, decoded.warnings(path),
                                   fallback_lines=len(decoded.fallback)), path)


def _geotext_row(parts: list[str], n_fields: int, *, lat: int, lon: int,
                 text: int) -> tuple[str, float, float, str] | str:
    """(user, lat, lon, text) of one GeoText line's fields (user first), or the drop reason."""
    if len(parts) < n_fields:
        return "missing_field"
    if _blank(parts[0]):
        return "missing_user"
    point = _point(parts[lat], parts[lon])
    if isinstance(point, str):
        return point
    return "missing_text" if _blank(parts[text]) else (parts[0].strip(), *point, parts[text])


def read_geotext_full_text(path: Path, key: str) -> _FileRead:
    """GeoText full_text.txt (user, time, place, lat, lon, text) → one document per user.

    text = the user's tweets joined by " ||| " in file order; lat/lon = the user's first
    (valid) message's. rows_read and dropped count messages, rows_kept counts users.
    """
    decoded = _decode(_read_bytes(path), path)
    text = decoded.text
    docs: dict[str, tuple[float, float, list[str]]] = {}
    dropped: Counter[str] = Counter()
    n_read = n_kept = 0
    for line in _text_lines(text):
        n_read += 1
        row = _geotext_row(line.split("\t", 5), 6, lat=3, lon=4, text=5)
        if isinstance(row, str):
            dropped[row] += 1
            continue
        n_kept += 1
        docs.setdefault(row[0], (row[1], row[2], []))[2].append(row[3])
    users = list(docs)
    frame = _frame(users, [TWEET_SEPARATOR.join(docs[u][2]) for u in users], users=users,
                   lats=[docs[u][0] for u in users], lons=[docs[u][1] for u in users])
    read = _FileRead(frame, n_read, dropped, decoded.encoding, decoded.warnings(path),
                     extra={"messages_kept": n_kept}, fallback_lines=len(decoded.fallback))
    return _require_rows(read, path)


# --------------------------------------------------------------------------- CSV
@dataclass
class _Csv:
    """A parsed CSV file: header, rows (all as wide as the header) and their first line numbers."""

    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    encoding: str
    warnings: list[str]
    fallback_lines: int = 0

    def column(self, name: str) -> list[str]:
        """The values of one column, top to bottom."""
        i = self.header.index(name)
        return [row[i] for row in self.rows]

    def require(self, path: Path, names: list[str]) -> None:
        """DataError naming the first missing column and the columns found."""
        for name in names:
            if name not in self.header:
                found = ", ".join(self.header) or "none"
                raise _error(path, 1, name, f"missing column {name!r} (columns found: {found})")


@contextmanager
def _csv_field_limit(size: int) -> Iterator[None]:
    """Let the csv module read fields up to `size` characters (its default stops at 128 KiB)."""
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, size))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _read_csv(path: Path, data: bytes | None = None) -> _Csv:
    """Parse a CSV (its bytes `data` when given, else the file): BOM, CRLF and quoted
    newlines/quotes are fine; NUL bytes are removed (with a warning); a line that is not UTF-8
    is read as latin-1 (with a warning); a ragged row or a broken quote is a DataError naming
    its line. An empty file gives an empty header."""
    decoded = _decode(_read_bytes(path) if data is None else data, path)
    text, warnings = decoded.text, decoded.warnings(path)
    if nuls := text.count("\0"):
        text = text.replace("\0", "")
        warnings.append(f"{path}: {nuls} NUL byte(s) removed")
    table = _Csv([], [], [], decoded.encoding, warnings, len(decoded.fallback))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    end = 0
    with _csv_field_limit(len(text)):
        try:
            for row in reader:
                start, end = end + 1, reader.line_num
                _add_csv_row(table, row, start, path)
        except csv.Error as err:
            raise _error(path, end + 1, "csv",
                         f"{err} (in the record starting on this line)") from None
    return table


def _add_csv_row(table: _Csv, row: list[str], line: int, path: Path) -> None:
    """Header first, then rows that must be exactly as wide; blank lines are skipped."""
    if not row or row == [""]:
        return
    if not table.header:
        table.header = [name.strip() for name in row]
        if len(set(table.header)) < len(table.header):
            raise _error(path, line, "header",
                         f"duplicate column names ({', '.join(table.header)})")
    elif len(row) != len(table.header):
        raise _error(path, line, "columns",
                     f"expected {len(table.header)} fields as in the header, found {len(row)}")
    else:
        table.rows.append(row)
        table.lines.append(line)


def read_predict_csv(path: Path, data: bytes | None = None) -> pd.DataFrame:
    """Texts for `tweetgeo predict`: a CSV with a `text` column → frame id, text, other columns.

    All columns are kept as strings, `id` first (the file's `id` column, else the data row
    number 1, 2, …), `text` second. An empty or header-only file gives an empty frame. A missing
    `text` column, a ragged row, a broken quote, a blank or duplicate id → DataError naming the
    line. NUL bytes are removed, and a line that is not UTF-8 is read as latin-1: both are
    reported in ``frame.attrs["warnings"]``. A UTF-16/32 file with a byte-order mark is read;
    one without is refused. Gzip is accepted. `data`: the file's bytes (e.g. standard input),
    `path` then only names it in messages.
    """
    path = Path(path)
    table = _read_csv(path, data)
    if not table.header:
        frame = pd.DataFrame({ID: pd.Series([], dtype="str"), TEXT: pd.Series([], dtype="str")})
    else:
        table.require(path, [TEXT])
        ids = ([value.strip() for value in table.column(ID)] if ID in table.header
               else [str(i) for i in range(1, len(table.rows) + 1)])
        _check_ids(ids, table.lines, path)
        others = {name: table.column(name) for name in table.header if name not in (ID, TEXT)}
        frame = pd.DataFrame({ID: ids, TEXT: table.column(TEXT), **others}, dtype="str")
    frame.attrs["warnings"] = table.warnings
    return frame


def _check_ids(ids: list[str], lines: list[int], path: Path) -> None:
    """Every id present and unique, else DataError naming the line."""
    first: dict[str, int] = {}
    for value, line in zip(ids, lines):
        if not value:
            raise _error(path, line, ID, "blank id")
        if value in first:
            raise _error(path, line, ID, f"duplicate id {value!r} (first on line {first[value]})")
        first[value] = line


def read_kaggle_csv(path: Path, key: str) -> _FileRead:
    """Kaggle disaster CSV (id, keyword, location, text[, target]); the target column is needed
    except in the test file. keyword/location and other columns are ignored."""
    table = _read_csv(path)
    if not table.header:
        raise _error(path, 0, "file",
                     "empty file (expected a header id,keyword,location,text,target)")
    table.require(path, [ID, TEXT] if key == TEST else [ID, TEXT, TARGET])
    labelled = TARGET in table.header
    ids, texts, targets = [], [], []
    dropped: Counter[str] = Counter()
    columns = zip(table.column(ID), table.column(TEXT),
                  table.column(TARGET) if labelled else [""] * len(table.rows))
    for id_, text, target in columns:
        reason = ("missing_id" if _blank(id_) else "missing_text" if _blank(text)
                  else "bad_target" if labelled and target.strip() not in ("0", "1") else None)
        if reason:
            dropped[reason] += 1
            continue
        ids.append(id_.strip())
        texts.append(text)
        targets.append(int(target) if labelled else None)
    ignored = [name for name in table.header if name not in (ID, TEXT, TARGET)]
    read = _FileRead(_frame(ids, texts, targets=targets), len(table.rows), dropped,
                     table.encoding, table.warnings, {"ignored_columns": ignored},
                     fallback_lines=table.fallback_lines)
    return _require_rows(read, path)


READERS: dict[str, Callable[[Path, str], _FileRead]] = {
    "yachay_jsonl": read_yachay_jsonl,
    "geotext_user_info": read_geotext_user_info,
    "geotext_full_text": read_geotext_full_text,
    "kaggle_csv": read_kaggle_csv,
}


# --------------------------------------------------------------------------- splits
def _group_codes(pool: pd.DataFrame, group_by: str, path: str) -> np.ndarray:
    """One integer per row: rows sharing it must share a split."""
    if group_by == "none":
        return np.arange(len(pool))
    column = pool[TEXT if group_by == "text" else USER]
    if column.isna().any():
        raise _error(path, 0, column.name, f"group_by={group_by} needs a value on every row")
    return pd.factorize(column)[0]


def _group_labels(pool: pd.DataFrame, codes: np.ndarray, path: str) -> np.ndarray:
    """The target of each group (its first row's), for stratification."""
    if pool[TARGET].isna().any():
        raise _error(path, 0, TARGET, "stratify needs a 0/1 target on every row")
    return pool[TARGET].groupby(codes).first().to_numpy(dtype=int)


def _carve(pool: pd.DataFrame, split: SplitConfig, shares: list[tuple[str, float]], seed: int,
           path: str) -> np.ndarray:
    """Split name per pool row: each (split, share) of the groups carved out, the rest train."""
    from sklearn.model_selection import train_test_split  # imported here: slow, and predict never needs it

    codes = _group_codes(pool, split.group_by, path)
    labels = _group_labels(pool, codes, path) if split.stratify else None
    n_groups = int(codes.max()) + 1
    assigned = np.full(n_groups, TRAIN, dtype=object)
    remaining, left = np.arange(n_groups), 1.0
    for name, share in shares:
        try:
            remaining, taken = train_test_split(
                remaining, test_size=share / left, random_state=seed,
                stratify=None if labels is None else labels[remaining])
        except ValueError as err:
            raise _error(path, 0, SPLIT, f"cannot carve {name} ({share}) out of "
                         f"{len(remaining)} groups: {err}") from None
        assigned[taken] = name
        left -= share
    return assigned[codes]


def _assign_splits(frame: pd.DataFrame, cfg: DatasetConfig, seed: int) -> pd.Series:
    """A file given as train/validation/test keeps its split; validation/test without a file of
    their own are carved out of the "all" (else "train") file by cfg.split's shares."""
    split = frame["_key"].replace({ALL: TRAIN})
    pool_key = ALL if ALL in cfg.files else TRAIN
    shares = [(name, share) for name, share in ((TEST, cfg.split.test),
                                                (VALIDATION, cfg.split.validation))
              if name not in cfg.files and share > 0]
    if TEST in cfg.files and cfg.split.labelled_test > 0:  # labelled test rows beside an unlabelled file
        shares.insert(0, (TEST, cfg.split.labelled_test))
    pool = (frame["_key"] == pool_key).to_numpy()
    if shares and pool.any():
        split[pool] = _carve(frame[pool], cfg.split, shares, seed, cfg.files[pool_key])
    return split


# --------------------------------------------------------------------------- the data set
def _drop_duplicate_ids(frame: pd.DataFrame, reads: dict[str, _FileRead]) -> pd.DataFrame:
    """Keep the first row of each id; count the others as "duplicate_id" in their file."""
    duplicate = frame[ID].duplicated().to_numpy()
    for key, n in frame.loc[duplicate, "_key"].value_counts().items():
        reads[key].dropped["duplicate_id"] += int(n)
        reads[key].rows_kept -= int(n)
    return frame[~duplicate]


def load_dataset(name: str, cfg: DatasetConfig, seed: int,
                 root: Path = Path(".")) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read, validate, sample (cfg.max_rows) and split one data set → (canonical table, report).

    Files are read from `root` / cfg.files[key]; a duplicate id (also across files) keeps its
    first row. max_rows samples the rows of all files together (seeded), before splitting.
    A file keyed train/validation/test gives that split; validation and test without a file
    of their own are carved out of the "all" file (else the "train" file) as shares of its
    groups (cfg.split.group_by), stratified on target when cfg.split.stratify; "all" rows
    left over are train. Rows are sorted by split (train, validation, test), then in file
    order (cfg.files order, then line order). Unknown extra fields/columns are ignored.
    """
    reads = {key: READERS[cfg.format](Path(root) / rel, key) for key, rel in cfg.files.items()}
    frame = pd.concat([read.frame.assign(_key=key) for key, read in reads.items()],
                      ignore_index=True)
    frame = _drop_duplicate_ids(frame, reads)
    if cfg.max_rows is not None and len(frame) > cfg.max_rows:
        frame = frame.sample(n=cfg.max_rows, random_state=seed).sort_index()
    frame[SPLIT] = _assign_splits(frame, cfg, seed).astype("str")
    rank = {name: i for i, name in enumerate(SPLITS)}
    frame = frame.sort_values(SPLIT, key=lambda s: s.map(rank), kind="stable")
    frame = frame.loc[:, list(CANONICAL)].reset_index(drop=True)
    return frame, _report(name, cfg, reads, frame)


def _report(name: str, cfg: DatasetConfig, reads: dict[str, _FileRead],
            frame: pd.DataFrame) -> dict[str, Any]:
    """The data-quality report (JSON-serialisable)."""
    report: dict[str, Any] = {
        "dataset": name,
        "format": cfg.format,
        "files": {cfg.files[key]: {"split": key, **read.summary()} for key, read in reads.items()},
        "dropped_total": sum(sum(read.dropped.values()) for read in reads.values()),
        "fallback_encoding": FALLBACK_ENCODING,
        "fallback_lines": sum(read.fallback_lines for read in reads.values()),
        "drop_reasons": {reason: DROP_REASONS[reason]
                         for reason in sorted(set().union(*(r.dropped for r in reads.values())))},
        "rows_valid": sum(read.rows_kept for read in reads.values()),
        "max_rows": cfg.max_rows,
        "rows": len(frame),
        "rows_by_split": {s: int((frame[SPLIT] == s).sum()) for s in SPLITS},
    }
    if cfg.task == "geo":
        report["n_distinct_coordinates"] = len(frame[[LAT, LON]].drop_duplicates())
    else:
        report["positive_rate"] = {s: _positive_rate(frame, s) for s in SPLITS}
    return report


def _positive_rate(frame: pd.DataFrame, split: str) -> float | None:
    """Share of target 1 among the labelled rows of a split (None when it has none)."""
    target = frame.loc[frame[SPLIT] == split, TARGET].dropna()
    return round(float(target.mean()), 4) if len(target) else None
