"""No silent data loss through encodings: raw files are decoded line by line (UTF-8 first, the
declared latin-1 fallback only for the invalid bytes of a line that is not UTF-8), the lines
that needed the fallback are counted in the data-quality report and printed as a warning;
a predict input in UTF-8 with a BOM, UTF-16 or UTF-32 is read correctly, UTF-16 without a
byte-order mark is refused in one line."""

from __future__ import annotations

import codecs
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cli_checks import ROOT, assert_one_error, assert_one_error_text, cli_env, run_cli, tiny_binary_run
from tweetgeo.cli import main
from tweetgeo.config import DatasetConfig, SplitConfig, load_params
from tweetgeo.datasets import FALLBACK_ENCODING, DataError, load_dataset, read_predict_csv

pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")

MIXED = ("U1\t40.1\t-74.1\tcafé “crème”\n".encode()
         + b"U2\t41.0\t-75.0\tcaf\xe9 au lait\n"  # a latin-1 line
         + "U3\t42.0\t-76.0\t“quoted” ".encode() + b"\xff end\n"  # UTF-8 with one stray byte
         + b"U4\t43.0\t-77.0\tplain ascii\n")


def geotext(tmp_path: Path, data: bytes) -> tuple[pd.DataFrame, dict]:
    (tmp_path / "u.gz").write_bytes(gzip.compress(data))
    cfg = DatasetConfig(task="geo", format="geotext_user_info", files={"train": "u.gz"},
                        split=SplitConfig(validation=0.0, test=0.0))
    return load_dataset("g", cfg, 0, tmp_path)


def test_mixed_file_is_decoded_per_line_and_counted(tmp_path: Path) -> None:
    frame, report = geotext(tmp_path, MIXED)
    texts = frame.set_index("id")["text"].to_dict()
    assert texts == {"U1": "café “crème”", "U2": "café au lait", "U3": "“quoted” ÿ end",
                     "U4": "plain ascii"}
    entry = report["files"]["u.gz"]
    assert (entry["encoding"], entry["fallback_lines"]) == ("utf-8+latin-1", 2)
    assert entry["warnings"] == [f"{tmp_path / 'u.gz'}: 2 line(s) not valid UTF-8, their invalid "
                                 "bytes read as latin-1 (line 2, 3)"]
    assert (report["fallback_encoding"], report["fallback_lines"]) == (FALLBACK_ENCODING, 2)


def test_kaggle_csv_keeps_utf8_rows_when_one_row_is_latin1(tmp_path: Path) -> None:
    data = ("id,keyword,location,text,target\n1,,,naïve “fire”,1\n".encode()
            + b"2,,,caf\xe9 flood,0\n")
    (tmp_path / "t.csv").write_bytes(data)
    cfg = DatasetConfig(task="disaster", format="kaggle_csv", files={"train": "t.csv"},
                        split=SplitConfig(validation=0.0, test=0.0))
    frame, report = load_dataset("d", cfg, 0, tmp_path)
    assert frame["text"].tolist() == ["naïve “fire”", "café flood"]
    assert report["files"]["t.csv"]["fallback_lines"] == 1


def test_shipped_geotext_dev_file_is_no_longer_garbled() -> None:
    """The shipped dev file has 27 lines that are not UTF-8; every other user's text must be
    read as UTF-8 (read whole as latin-1, 541 users' texts were mojibake such as 'â\\x80\\x9c')."""
    params = load_params(ROOT / "params.yaml")
    frame, report = load_dataset("geotext", params.datasets["geotext"], params.seed, ROOT)
    entry = report["files"]["data/raw/geotext/user_info.dev.gz"]
    assert (entry["encoding"], entry["fallback_lines"]) == ("utf-8+latin-1", 27)
    assert "27 line(s) not valid UTF-8" in entry["warnings"][0]
    raw = gzip.decompress((ROOT / "data/raw/geotext/user_info.dev.gz").read_bytes())
    whole_latin1 = [line.split("\t", 3)[3] for line in raw.decode("latin-1").split("\n") if line.strip()]
    assert sum(text not in set(frame["text"]) for text in whole_latin1) >= 541
    # UTF-8 punctuation read as latin-1 ("â\x80\x9c" for “): 154 users before; now 2 are left,
    # one already double-encoded in the source, one a cut UTF-8 sequence on a fallback line
    mojibake = "â\x80|Ã[\xa0-\xbf]"
    assert pd.Series(whole_latin1).str.contains(mojibake, regex=True).sum() >= 150
    assert frame["text"].str.contains(mojibake, regex=True).sum() <= 2


# --------------------------------------------------------------------------- predict inputs
ROWS = "id,text\nt1,café “fire”\nt2,plain\n"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_predict_input_encodings_are_read(tmp_path: Path, encoding: str) -> None:
    data = ROWS.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):  # with their byte-order mark
        data = (codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE) + data
    (tmp_path / "in.csv").write_bytes(data)
    frame = read_predict_csv(tmp_path / "in.csv")
    assert list(frame.columns) == ["id", "text"]
    assert frame.values.tolist() == [["t1", "café “fire”"], ["t2", "plain"]]
    assert frame.attrs["warnings"] == []


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_refused(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(ROWS.encode(encoding))
    with pytest.raises(DataError, match=r"in\.csv:1: file: looks like UTF-16 without a byte-order mark"):
        read_predict_csv(path)


def test_utf16_without_bom_through_the_command(tmp_path: Path, run_dir: Path) -> None:
    path, out = tmp_path / "in.csv", tmp_path / "o.csv"
    path.write_bytes(ROWS.encode("utf-16-le"))
    proc = run_cli("predict", "--model", run_dir, "--input", path, "--output", out)
    assert_one_error(proc, path, "UTF-16 without a byte-order mark")
    assert not out.exists() and proc.tf is False


def test_broken_utf16_after_its_bom_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "id,text\n".encode("utf-16-le") + b"\x00\xd8")  # lone surrogate
    with pytest.raises(DataError, match=r"in\.csv:0: file: starts with a utf-16 byte-order mark"):
        read_predict_csv(path)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return tiny_binary_run(tmp_path_factory.mktemp("run") / "tiny")


def test_predict_prints_the_readers_warnings(tmp_path: Path, run_dir: Path, capsys) -> None:
    inp, out = tmp_path / "in.csv", tmp_path / "o.csv"
    inp.write_bytes(b"id,text\n1,caf\xe9 fire\n2,ok\x00 flood\n")
    code = main(["predict", "--model", str(run_dir), "--input", str(inp), "--output", str(out)])
    captured = capsys.readouterr()
    assert code == 0 and "wrote 2 predictions" in captured.out
    assert captured.err.splitlines() == [
        f"warning: {inp}: 1 line(s) not valid UTF-8, their invalid bytes read as latin-1 (line 2)",
        f"warning: {inp}: 1 NUL byte(s) removed"]
    assert pd.read_csv(out)["id"].tolist() == [1, 2]


def test_predict_utf16_input_keeps_its_ids(tmp_path: Path, run_dir: Path, capsys) -> None:
    """Before: exit 0 with the ids lost (the byte-order mark stuck to the header)."""
    inp, out = tmp_path / "in.csv", tmp_path / "o.csv"
    inp.write_bytes(ROWS.encode("utf-16"))
    code = main(["predict", "--model", str(run_dir), "--input", str(inp), "--output", str(out)])
    assert code == 0 and capsys.readouterr().err == ""
    assert pd.read_csv(out)["id"].tolist() == ["t1", "t2"]


def test_bad_encoding_of_a_missing_model_is_still_one_line(tmp_path: Path, capsys) -> None:
    code = main(["predict", "--model", str(tmp_path / "none"), "--input", "x", "--output", "y"])
    assert_one_error_text(code, capsys.readouterr().err, tmp_path / "none", "not a directory")


# --------------------------------------------------------------------------- the prepare stage
def test_prepare_stage_prints_the_warnings_and_reports_the_count(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "stages", tmp_path / "stages", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw/u.gz").write_bytes(gzip.compress(MIXED * 1))
    params = {"datasets": {"g": {"task": "geo", "format": "geotext_user_info",
                                 "files": {"train": "raw/u.gz"},
                                 "split": {"validation": 0.0, "test": 0.0}}},
              "models": {}, "runs": {}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    proc = subprocess.run([sys.executable, "stages/prepare.py", "g"], cwd=tmp_path, env=cli_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "warning: raw/u.gz: 2 line(s) not valid UTF-8, their invalid bytes read as latin-1 (line 2, 3)"]
    assert "2 line(s) read as latin-1" in proc.stdout
    report = json.loads((tmp_path / "reports/data/g.json").read_text())
    assert report["fallback_lines"] == 2 and report["files"]["raw/u.gz"]["fallback_lines"] == 2
