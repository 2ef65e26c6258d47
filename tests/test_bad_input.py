"""datasets on bad input: each case either drops rows counted by reason or raises a one-line
DataError "<file>:<line>: <field>: <what>"."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import pytest

from tweetgeo.config import DatasetConfig, SplitConfig
from tweetgeo.datasets import DataError, load_dataset, read_predict_csv

NO_SPLIT = SplitConfig(validation=0.0, test=0.0)


def raises(match: str) -> pytest.RaisesContext:
    """DataError whose (one-line) message matches."""
    return pytest.raises(DataError, match=match)


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message
    return message


def csv_file(tmp_path: Path, data: bytes | str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def load(tmp_path: Path, fmt: str, files: dict[str, str], task: str = "geo",
         split: SplitConfig = NO_SPLIT) -> tuple:
    cfg = DatasetConfig(task=task, format=fmt, files=files, split=split)
    return load_dataset("x", cfg, 0, tmp_path)


# --------------------------------------------------------------------------- predict CSV
def test_missing_text_column_names_file_and_columns(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "id,body\n1,hello\n")
    with raises(r"in\.csv:1: text: missing column 'text' \(columns found: id, body\)") as err:
        read_predict_csv(path)
    one_line(err)


def test_extra_columns_are_kept(tmp_path: Path) -> None:
    frame = read_predict_csv(csv_file(tmp_path, "text,foo,bar\nhi,1,2\n"))
    assert list(frame.columns) == ["id", "text", "foo", "bar"]
    assert frame.iloc[0].tolist() == ["1", "hi", "1", "2"]


@pytest.mark.parametrize("data", ["", "\n\n", "text,id\n", "text,id\r\n\r\n"])
def test_empty_or_header_only_is_an_empty_frame(tmp_path: Path, data: str) -> None:
    frame = read_predict_csv(csv_file(tmp_path, data))
    assert len(frame) == 0 and list(frame.columns)[:2] == ["id", "text"]


def test_ragged_rows_name_the_physical_line(tmp_path: Path) -> None:
    too_many = csv_file(tmp_path, 'id,text\n1,"two\nlines"\n2,ok,extra\n')
    with raises(r"in\.csv:4: columns: expected 2 fields as in the header, found 3"):
        read_predict_csv(too_many)
    too_few = csv_file(tmp_path, "id,text\n1,a\n2\n", "few.csv")
    with raises(r"few\.csv:3: columns: expected 2 fields as in the header, found 1"):
        read_predict_csv(too_few)


def test_unterminated_quote_names_the_line_where_the_record_starts(tmp_path: Path) -> None:
    path = csv_file(tmp_path, 'id,text\n1,a\n2,"never closed\nmore\n')
    with raises(r"in\.csv:3: csv: .*unexpected end of data"):
        read_predict_csv(path)


def test_embedded_newlines_and_quotes_crlf_bom(tmp_path: Path) -> None:
    data = '\ufeffid,text\r\n7,"say ""hi""\nand, bye"\r\n8,plain\r\n'.encode("utf-8")
    frame = read_predict_csv(csv_file(tmp_path, data))
    assert frame["id"].tolist() == ["7", "8"]
    assert frame["text"].tolist() == ['say "hi"\nand, bye', "plain"]


def test_latin1_file_falls_back_with_a_warning(tmp_path: Path) -> None:
    frame = read_predict_csv(csv_file(tmp_path, "text\ncafé crème\n".encode("latin-1")))
    assert frame["text"].tolist() == ["café crème"]
    assert frame.attrs["warnings"] == [
        f"{tmp_path / 'in.csv'}: 1 line(s) not valid UTF-8, their invalid bytes read as latin-1 (line 2)"]


def test_nul_bytes_are_removed_and_counted(tmp_path: Path) -> None:
    frame = read_predict_csv(csv_file(tmp_path, b"text\nab\x00c\n\x00d\n"))
    assert frame["text"].tolist() == ["abc", "d"]
    assert frame.attrs["warnings"] == [f"{tmp_path / 'in.csv'}: 2 NUL byte(s) removed"]


def test_one_megabyte_tweet(tmp_path: Path) -> None:
    tweet = "fire " * 210_000
    frame = read_predict_csv(csv_file(tmp_path, f'id,text\n1,"{tweet}"\n2,short\n'))
    assert frame["text"].str.len().tolist() == [len(tweet), 5]
    assert csv.field_size_limit() == 131072  # the module-wide limit is restored


def test_blank_or_duplicate_ids(tmp_path: Path) -> None:
    with raises(r"in\.csv:3: id: duplicate id 'a' \(first on line 2\)"):
        read_predict_csv(csv_file(tmp_path, "id,text\na,x\na,y\n"))
    with raises(r"in\.csv:2: id: blank id"):
        read_predict_csv(csv_file(tmp_path, "id,text\n ,x\n"))


def test_duplicate_column_names(tmp_path: Path) -> None:
    with raises(r"in\.csv:1: header: duplicate column names \(text, text\)"):
        read_predict_csv(csv_file(tmp_path, "text,text\na,b\n"))


def test_missing_file(tmp_path: Path) -> None:
    with raises(r"nope\.csv:0: file: not found"):
        read_predict_csv(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- Kaggle CSV
KAGGLE_HEAD = "id,keyword,location,text,target\n"


def test_kaggle_bad_target_and_duplicate_ids_are_dropped_and_counted(tmp_path: Path) -> None:
    rows = ["1,,,a,1", "2,,,b,0", "3,,,c,2", "4,,,d,", "5,,,e,yes", "2,,,dup,1", "6,,,f, 1 "]
    csv_file(tmp_path, KAGGLE_HEAD + "\n".join(rows) + "\n", "train.csv")
    frame, report = load(tmp_path, "kaggle_csv", {"train": "train.csv"}, "disaster")
    assert frame["id"].tolist() == ["1", "2", "6"] and frame["target"].tolist() == [1, 0, 1]
    assert report["files"]["train.csv"]["dropped"] == {"bad_target": 3, "duplicate_id": 1}
    assert (report["files"]["train.csv"]["rows_read"], report["dropped_total"]) == (7, 4)


def test_kaggle_duplicate_id_across_files_is_counted_in_the_later_file(tmp_path: Path) -> None:
    csv_file(tmp_path, KAGGLE_HEAD + "1,,,a,1\n2,,,b,0\n", "train.csv")
    csv_file(tmp_path, "id,keyword,location,text\n2,,,again\n3,,,c\n", "test.csv")
    frame, report = load(tmp_path, "kaggle_csv", {"train": "train.csv", "test": "test.csv"},
                         "disaster")
    assert frame["id"].tolist() == ["1", "2", "3"]
    assert report["files"]["test.csv"]["dropped"] == {"duplicate_id": 1}
    assert report["files"]["test.csv"]["rows_kept"] == 1


@pytest.mark.parametrize(("data", "match"), [
    ("id,keyword,location,body,target\n1,,,a,1\n", r"train\.csv:1: text: missing column 'text'"),
    ("id,keyword,location,text\n1,,,a\n", r"train\.csv:1: target: missing column 'target'"),
    ("", r"train\.csv:0: file: empty file"),
    (KAGGLE_HEAD, r"train\.csv:0: rows: no usable rows \(read 0, dropped: none\)"),
    (KAGGLE_HEAD + "1,,, ,1\n,,,x,1\n", r"train\.csv:0: rows: no usable rows \(read 2, "
                                        r"dropped: missing_id=1, missing_text=1\)"),
    (KAGGLE_HEAD + "1,,,a,1\n2,,b,0\n", r"train\.csv:3: columns: expected 5 fields"),
])
def test_kaggle_unusable_files(tmp_path: Path, data: str, match: str) -> None:
    csv_file(tmp_path, data, "train.csv")
    with raises(match) as err:
        load(tmp_path, "kaggle_csv", {"train": "train.csv"}, "disaster")
    one_line(err)


def test_kaggle_latin1_nul_and_unknown_columns(tmp_path: Path) -> None:
    data = (KAGGLE_HEAD.rstrip("\n") + ",extra\n1,,,caf\xe9\x00,1,z\n").encode("latin-1")
    csv_file(tmp_path, data, "train.csv")
    frame, report = load(tmp_path, "kaggle_csv", {"train": "train.csv"}, "disaster")
    assert frame["text"].tolist() == ["café"]
    entry = report["files"]["train.csv"]
    assert entry["encoding"] == "latin-1" and len(entry["warnings"]) == 2
    assert entry["ignored_columns"] == ["keyword", "location", "extra"]


def test_stratifying_too_few_rows_is_a_data_error(tmp_path: Path) -> None:
    csv_file(tmp_path, KAGGLE_HEAD + "1,,,a,1\n2,,,b,0\n3,,,c,0\n", "train.csv")
    with raises(r"train\.csv:0: split: cannot carve validation \(0\.2\) out of 3 groups: "):
        load(tmp_path, "kaggle_csv", {"all": "train.csv"}, "disaster",
             SplitConfig(validation=0.2, test=0.0, stratify=True))


# --------------------------------------------------------------------------- Yachay JSON Lines
def yachay(tmp_path: Path, lines: list[str]) -> tuple:
    (tmp_path / "y.jsonl.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    return load(tmp_path, "yachay_jsonl", {"all": "y.jsonl.gz"})


def row(coordinates: object, text: object = "hi", region: object = 3) -> str:
    return json.dumps({"text": text, "coordinates": coordinates, "region": region})


@pytest.mark.parametrize(("bad", "reason"), [
    (row(["-73.5", "abc"]), "non_numeric_coordinate"),
    (row(["-73.5", "NaN"]), "non_numeric_coordinate"),
    (row([float("nan"), "40"]), "non_numeric_coordinate"),  # json.dumps writes NaN
    (row(["-73.5", "inf"]), "non_numeric_coordinate"),
    (row([True, "40"]), "non_numeric_coordinate"),
    (row(["-73.5", "95"]), "out_of_range"),
    (row(["-181", "40"]), "out_of_range"),
    (row(["-73.5"]), "missing_coordinate"),
    (row([None, "40"]), "missing_coordinate"),
    (row(["", "40"]), "missing_coordinate"),
    (json.dumps({"text": "hi", "region": 1}), "missing_coordinate"),
    (row(["-73.5", "40"], text=""), "missing_text"),
    (row(["-73.5", "40"], text="  "), "missing_text"),
    (row(["-73.5", "40"], text=None), "missing_text"),
    (json.dumps({"coordinates": ["-73.5", "40"]}), "missing_text"),
    ('{"text": "hi", "coordinates": ["-73.5", "40"]', "bad_json"),
    ("[1, 2]", "bad_json"),
    (row(["-73.5", "40"], region="north"), "bad_region"),
])
def test_yachay_bad_rows_are_dropped_by_reason(tmp_path: Path, bad: str, reason: str) -> None:
    frame, report = yachay(tmp_path, [row(["-73.5", "40.5"]), bad])
    assert frame["id"].tolist() == ["y1"]
    assert report["files"]["y.jsonl.gz"]["dropped"] == {reason: 1}
    assert report["files"]["y.jsonl.gz"]["rows_read"] == 2


def test_yachay_swapped_coordinates_out_of_range_are_dropped(tmp_path: Path) -> None:
    # [lat, lon] instead of [lon, lat] for Los Angeles: "lat" -118.2 is out of range
    frame, report = yachay(tmp_path, [row(["-118.2", "34.0"]), row(["34.0", "-118.2"])])
    assert frame[["lat", "lon"]].values.tolist() == [[34.0, -118.2]]
    assert report["files"]["y.jsonl.gz"]["dropped"] == {"out_of_range": 1}


def test_yachay_invalid_utf8_line_is_bad_json(tmp_path: Path) -> None:
    data = row(["1", "2"]).encode() + b'\n{"text": "caf\xe9", "coordinates": ["1", "2"]}\n'
    (tmp_path / "y.jsonl.gz").write_bytes(gzip.compress(data))
    _, report = load(tmp_path, "yachay_jsonl", {"all": "y.jsonl.gz"})
    assert report["files"]["y.jsonl.gz"]["dropped"] == {"bad_json": 1}


def test_yachay_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf%s\r\n\r\n%s\r\n" % (row(["1", "2"]).encode(), row(["3", "4"]).encode())
    (tmp_path / "y.jsonl").write_bytes(data)  # not gzipped: recognised by the missing magic number
    frame, report = load(tmp_path, "yachay_jsonl", {"all": "y.jsonl"})
    assert frame["id"].tolist() == ["y1", "y3"] and report["dropped_total"] == 0


def test_yachay_one_megabyte_tweet(tmp_path: Path) -> None:
    frame, _ = yachay(tmp_path, [row(["1", "2"], text="x" * 1_000_000)])
    assert len(frame["text"].item()) == 1_000_000


def test_all_rows_dropped_is_a_data_error(tmp_path: Path) -> None:
    with raises(r"y\.jsonl\.gz:0: rows: no usable rows \(read 2, dropped: bad_json=1, "
                r"out_of_range=1\)"):
        yachay(tmp_path, ["{", row(["1", "99"])])


def test_corrupt_gzip(tmp_path: Path) -> None:
    (tmp_path / "y.jsonl.gz").write_bytes(gzip.compress(b"x" * 1000)[:-6])
    with raises(r"y\.jsonl\.gz:0: file: corrupt gzip data"):
        load(tmp_path, "yachay_jsonl", {"all": "y.jsonl.gz"})


def test_group_by_user_without_users(tmp_path: Path) -> None:
    (tmp_path / "y.jsonl.gz").write_bytes(gzip.compress(row(["1", "2"]).encode()))
    with raises(r"y\.jsonl\.gz:0: user: group_by=user needs a value on every row"):
        load(tmp_path, "yachay_jsonl", {"all": "y.jsonl.gz"},
             split=SplitConfig(validation=0.5, test=0.0, group_by="user"))


# --------------------------------------------------------------------------- GeoText
def test_geotext_bad_lines_dropped_by_reason(tmp_path: Path) -> None:
    lines = ["U1\t40.1\t-74.1\tgood ||| tweet",
             "U2\t40.1\tabc\tnon numeric",
             "U3\tnan\t-74.1\tnan",
             "U4\t-118.2\t34.0\tswapped",
             "U5\t40.1\t\tone missing",
             "U6\t40.1\t-74.1",
             "\t40.1\t-74.1\tno user",
             "U7\t40.1\t-74.1\t ",
             "U1\t41.0\t-75.0\tsame user again"]
    (tmp_path / "u.gz").write_bytes(gzip.compress("\n".join(lines).encode("latin-1")))
    frame, report = load(tmp_path, "geotext_user_info", {"all": "u.gz"})
    assert frame["id"].tolist() == ["U1"]
    assert report["files"]["u.gz"]["dropped"] == {
        "duplicate_id": 1, "missing_coordinate": 1, "missing_field": 1, "missing_text": 1,
        "missing_user": 1, "non_numeric_coordinate": 2, "out_of_range": 1}


def test_geotext_latin1_bytes_never_crash_nor_split_lines(tmp_path: Path) -> None:
    # 0x85 is NEL in latin-1: it must not end a line; 0xe9 makes the file invalid UTF-8
    data = b"U1\t40.1\t-74.1\tcaf\xe9 \x85 ok ||| two\nU2\t41\t-75\tb\n"
    (tmp_path / "u.gz").write_bytes(gzip.compress(data))
    frame, report = load(tmp_path, "geotext_user_info", {"all": "u.gz"})
    assert frame["text"].tolist() == ["café \x85 ok ||| two", "b"]
    assert report["files"]["u.gz"]["encoding"] == "latin-1"


def test_data_error_is_one_line_value_error(tmp_path: Path) -> None:
    (tmp_path / "u.gz").write_bytes(gzip.compress(b"only one field\n"))
    with pytest.raises(ValueError) as err:
        load(tmp_path, "geotext_user_info", {"all": "u.gz"})
    assert re.fullmatch(r"\S*u\.gz:0: rows: no usable rows \(read 1, dropped: missing_field=1\)",
                        one_line(err))
