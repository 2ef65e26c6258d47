"""datasets: each raw format → the canonical table, splits, sampling, report; the real files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from tweetgeo.config import DatasetConfig, SplitConfig, load_params
from tweetgeo.datasets import load_dataset, read_predict_csv
from tweetgeo.schema import CANONICAL, SPLITS

REPO = Path(__file__).resolve().parents[1]


def write_gz(path: Path, lines: list[str], encoding: str = "utf-8") -> str:
    """Write lines (LF-terminated) gzip-compressed; return the file name."""
    path.write_bytes(gzip.compress("".join(f"{line}\n" for line in lines).encode(encoding)))
    return path.name


def yachay_line(text: str, lon: str, lat: str, region: int = 0) -> str:
    return json.dumps({"text": text, "coordinates": [lon, lat], "region": region})


def yachay_cfg(files: dict[str, str], **split: object) -> DatasetConfig:
    return DatasetConfig(task="geo", format="yachay_jsonl", files=files,
                         split=SplitConfig(**{"group_by": "text", **split}))


@pytest.fixture
def yachay(tmp_path: Path) -> str:
    """200 rows, 50 distinct texts (each 4 times), 10 places."""
    lines = [yachay_line(f"tweet {i % 50}", f"{-70 - i % 10}.5", f"{40 + i % 10}.25", i % 3)
             for i in range(200)]
    return write_gz(tmp_path / "y.jsonl.gz", lines)


def test_yachay_canonical_columns_dtypes_and_coordinate_order(tmp_path: Path, yachay: str) -> None:
    frame, report = load_dataset("y", yachay_cfg({"all": yachay}), 1, tmp_path)
    assert tuple(frame.columns) == CANONICAL
    assert str(frame["lat"].dtype) == "float64" and str(frame["target"].dtype) == "Int64"
    assert str(frame["region"].dtype) == "Int64" and frame["user"].isna().all()
    assert frame["target"].isna().all()
    row = frame.set_index("id").loc["y12"]  # line 12 = i 11, stored as [lon, lat] = [-71.5, 41.25]
    assert (row["text"], row["lat"], row["lon"], row["region"]) == ("tweet 11", 41.25, -71.5, 2)
    assert report["n_distinct_coordinates"] == 10
    assert report["files"]["y.jsonl.gz"] == {"split": "all", "rows_read": 200, "rows_kept": 200,
                                             "dropped": {}, "encoding": "utf-8", "fallback_lines": 0,
                                             "warnings": []}


def test_identical_texts_share_a_split(tmp_path: Path, yachay: str) -> None:
    frame, report = load_dataset("y", yachay_cfg({"all": yachay}, validation=0.2, test=0.2),
                                 1, tmp_path)
    assert (frame.groupby("text")["split"].nunique() == 1).all()
    assert report["rows_by_split"] == {"train": 120, "validation": 40, "test": 40}


def test_split_and_sample_are_seeded(tmp_path: Path, yachay: str) -> None:
    cfg = yachay_cfg({"all": yachay})
    first, _ = load_dataset("y", cfg, 7, tmp_path)
    pd.testing.assert_frame_equal(first, load_dataset("y", cfg, 7, tmp_path)[0])
    other, _ = load_dataset("y", cfg, 8, tmp_path)
    assert not first.set_index("id")["split"].equals(other.set_index("id")["split"])


def test_max_rows_samples_before_splitting(tmp_path: Path, yachay: str) -> None:
    cfg = yachay_cfg({"all": yachay}, group_by="none").model_copy(update={"max_rows": 50})
    frame, report = load_dataset("y", cfg, 3, tmp_path)
    assert len(frame) == 50 and frame["id"].is_unique
    assert (report["rows_valid"], report["rows"]) == (200, 50)
    assert report["rows_by_split"] == {"train": 40, "validation": 5, "test": 5}


def test_rows_sorted_by_split_then_file_order(tmp_path: Path, yachay: str) -> None:
    frame, _ = load_dataset("y", yachay_cfg({"all": yachay}), 1, tmp_path)
    rank = frame["split"].map({s: i for i, s in enumerate(SPLITS)})
    line = frame["id"].str[1:].astype(int)
    assert rank.is_monotonic_increasing
    assert all(part.is_monotonic_increasing for _, part in line.groupby(rank))


def geotext_lines(users: range) -> list[str]:
    return [f"USER_{u:03d}\t{30 + u / 10}\t{-90 - u / 10}\tcafé day {u} ||| RT @USER_x: hi"
            for u in users]


def test_geotext_user_info_one_row_per_user_latin1(tmp_path: Path) -> None:
    name = write_gz(tmp_path / "user_info.dev.gz", geotext_lines(range(60)), "latin-1")
    cfg = DatasetConfig(task="geo", format="geotext_user_info", files={"all": name},
                        split=SplitConfig(group_by="user"))
    frame, report = load_dataset("g", cfg, 0, tmp_path)
    assert len(frame) == 60 and (frame["id"] == frame["user"]).all()
    row = frame.set_index("id").loc["USER_005"]
    assert row["text"] == "café day 5 ||| RT @USER_x: hi"
    assert (row["lat"], row["lon"]) == (30.5, -90.5)
    assert report["files"][name]["encoding"] == "latin-1"
    assert report["rows_by_split"] == {"train": 48, "validation": 6, "test": 6}


def test_geotext_official_folds_keep_their_split(tmp_path: Path) -> None:
    files = {split: write_gz(tmp_path / f"user_info.{fold}.gz", geotext_lines(users))
             for split, fold, users in [("train", "train", range(0, 30)),
                                        ("validation", "dev", range(30, 40)),
                                        ("test", "test", range(40, 50))]}
    cfg = DatasetConfig(task="geo", format="geotext_user_info", files=files,
                        split=SplitConfig(group_by="user"))
    frame, report = load_dataset("g", cfg, 0, tmp_path)
    assert report["rows_by_split"] == {"train": 30, "validation": 10, "test": 10}
    validation = set(frame.loc[frame["split"] == "validation", "user"])
    assert validation == {f"USER_{u:03d}" for u in range(30, 40)}


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_geotext_full_text_aggregates_per_user(tmp_path: Path, encoding: str) -> None:
    messages = [("USER_a", "40.1", "-74.1", "first née"), ("USER_b", "34.0", "-118.2", "hello"),
                ("USER_a", "40.9", "-74.9", "second"), ("USER_a", "41.0", "-75.0", "third")]
    lines = [f"{u}\t2010-03-03T04:15:26\tÜT: {lat},{lon}\t{lat}\t{lon}\t{text}"
             for u, lat, lon, text in messages]
    (tmp_path / "full_text.txt").write_bytes("\n".join(lines).encode(encoding))
    cfg = DatasetConfig(task="geo", format="geotext_full_text", files={"train": "full_text.txt"},
                        split=SplitConfig(validation=0.0, test=0.0))
    frame, report = load_dataset("g", cfg, 0, tmp_path)
    docs = frame.set_index("user")
    assert docs.loc["USER_a", "text"] == "first née ||| second ||| third"
    assert (docs.loc["USER_a", "lat"], docs.loc["USER_a", "lon"]) == (40.1, -74.1)
    assert report["files"]["full_text.txt"] == {
        "split": "train", "rows_read": 4, "rows_kept": 2, "messages_kept": 4, "dropped": {},
        "encoding": encoding, "fallback_lines": 0 if encoding == "utf-8" else 4,
        "warnings": [] if encoding == "utf-8" else
        [f"{tmp_path / 'full_text.txt'}: 4 line(s) not valid UTF-8, their invalid bytes read as "
         "latin-1 (line 1, 2, 3, 4)"]}


def kaggle_csv(path: Path, n: int, labelled: bool = True, start: int = 0) -> str:
    """n rows, 40% positive, CRLF records, a quoted text with an LF inside."""
    head = "id,keyword,location,text" + (",target" if labelled else "")
    rows = [f'{start + i},fire,"Paris, FR","tweet {i}\nline two"'
            + (f",{int(i % 5 < 2)}" if labelled else "") for i in range(n)]
    path.write_bytes("\r\n".join([head, *rows, ""]).encode())
    return path.name


def test_kaggle_stratified_split_and_unlabelled_test(tmp_path: Path) -> None:
    files = {"all": kaggle_csv(tmp_path / "train.csv", 100),
             "test": kaggle_csv(tmp_path / "test.csv", 30, labelled=False, start=1000)}
    cfg = DatasetConfig(task="disaster", format="kaggle_csv", files=files,
                        split=SplitConfig(validation=0.2, test=0.0, stratify=True))
    frame, report = load_dataset("d", cfg, 42, tmp_path)
    assert report["rows_by_split"] == {"train": 80, "validation": 20, "test": 30}
    assert report["positive_rate"] == {"train": 0.4, "validation": 0.4, "test": None}
    assert frame.loc[frame["split"] == "test", "target"].isna().all()
    assert frame.loc[frame["id"] == "3", "text"].item() == "tweet 3\nline two"
    assert report["files"]["train.csv"]["ignored_columns"] == ["keyword", "location"]
    json.dumps(report)


def test_labelled_test_share_is_carved_beside_an_unlabelled_test_file(tmp_path: Path) -> None:
    files = {"all": kaggle_csv(tmp_path / "train.csv", 100),
             "test": kaggle_csv(tmp_path / "test.csv", 30, labelled=False, start=1000)}
    cfg = DatasetConfig(task="disaster", format="kaggle_csv", files=files,
                        split=SplitConfig(validation=0.2, test=0.0, labelled_test=0.1, stratify=True))
    frame, report = load_dataset("d", cfg, 42, tmp_path)
    assert report["rows_by_split"] == {"train": 70, "validation": 20, "test": 40}
    test = frame[frame["split"] == "test"]
    assert test["target"].notna().sum() == 10 and test["target"].isna().sum() == 30
    assert report["positive_rate"]["test"] == 0.4  # stratified, among the labelled test rows


def test_train_file_without_validation_file_is_carved(tmp_path: Path) -> None:
    files = {"train": kaggle_csv(tmp_path / "train.csv", 100),
             "test": kaggle_csv(tmp_path / "test.csv", 20, start=500)}
    cfg = DatasetConfig(task="disaster", format="kaggle_csv", files=files,
                        split=SplitConfig(validation=0.25, test=0.5, stratify=True))
    _, report = load_dataset("d", cfg, 0, tmp_path)
    assert report["rows_by_split"] == {"train": 75, "validation": 25, "test": 20}
    assert report["positive_rate"]["test"] == 0.4


def test_read_predict_csv_ids_and_extra_columns(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("lang,text,id\nen,hello,t1\nfr,salut,t2\n", encoding="utf-8")
    frame = read_predict_csv(tmp_path / "a.csv")
    assert list(frame.columns) == ["id", "text", "lang"]
    assert frame.values.tolist() == [["t1", "hello", "en"], ["t2", "salut", "fr"]]
    assert frame.attrs["warnings"] == []
    (tmp_path / "b.csv").write_text("text\nhello\nsalut\n", encoding="utf-8")
    assert read_predict_csv(tmp_path / "b.csv")["id"].tolist() == ["1", "2"]


# --------------------------------------------------------------------------- the shipped files
@pytest.fixture(scope="module")
def real() -> dict[str, tuple[pd.DataFrame, dict]]:
    """Every data set of params.yaml, read once (Yachay: all 584k lines, a few seconds)."""
    params = load_params(REPO / "params.yaml")
    return {name: load_dataset(name, cfg, params.seed, REPO)
            for name, cfg in params.datasets.items()}


def test_real_row_counts(real: dict[str, tuple[pd.DataFrame, dict]]) -> None:
    yachay, geotext, disaster = (real[n][1] for n in ("yachay", "geotext", "disaster"))
    assert yachay["files"]["data/raw/yachay/yachay_regions.jsonl.gz"]["rows_read"] == 584046
    assert yachay["rows"] == 120000 and yachay["dropped_total"] == 0
    assert geotext["rows"] == 1895
    dev = geotext["files"]["data/raw/geotext/user_info.dev.gz"]
    assert (dev["encoding"], dev["fallback_lines"]) == ("utf-8+latin-1", 27)  # decoded per line
    # 15% validation, 15% labelled test (1,142 rows) beside Kaggle's 3,263 unlabelled test rows
    assert disaster["rows_by_split"] == {"train": 5329, "validation": 1142, "test": 1142 + 3263}
    assert all(real[name][0]["id"].is_unique for name in real)


def test_real_splits_disjoint_by_group(real: dict[str, tuple[pd.DataFrame, dict]]) -> None:
    assert (real["yachay"][0].groupby("text")["split"].nunique() == 1).all()
    assert (real["geotext"][0].groupby("user")["split"].nunique() == 1).all()
    assert all(real["yachay"][1]["rows_by_split"][s] > 5000 for s in SPLITS)


def test_real_geo_tables_have_coordinates(real: dict[str, tuple[pd.DataFrame, dict]]) -> None:
    for name in ("yachay", "geotext"):
        frame = real[name][0]
        assert frame[["lat", "lon"]].notna().all().all()
        assert frame["lat"].abs().le(90).all() and frame["lon"].abs().le(180).all()
    assert real["yachay"][0]["region"].between(0, 122).all()


def test_real_disaster_stratified(real: dict[str, tuple[pd.DataFrame, dict]]) -> None:
    rate = real["disaster"][1]["positive_rate"]
    assert rate["train"] == pytest.approx(0.43, abs=0.005)
    assert rate["validation"] == pytest.approx(0.43, abs=0.005)
    assert rate["test"] == pytest.approx(0.43, abs=0.005)  # the labelled test share, stratified too
