"""Output failures of `tweetgeo predict` and of the atomic writer: a device given as output is
written directly (never replaced by a regular file) and its errors surface; a directory, a
file on the path, an unwritable folder, a full disk or the input itself as output each give
one line `error: <output>: …`, exit 1, and leave every existing file as it was."""

from __future__ import annotations

import errno
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from cli_checks import assert_one_error, run_cli, snapshot, tiny_binary_run
from tweetgeo.io import WriteError, atomic_path, check_writable, write_csv, write_figure

pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.is_char_device(), reason="no /dev/full here")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return tiny_binary_run(tmp_path_factory.mktemp("run") / "tiny")


@pytest.fixture
def inp(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text("id,text\na,Forest fire evacuate now\nb,sunny brunch today\n")
    return path


def predict(run_dir: Path, inp: Path | str, out: Path | str, **kw) -> subprocess.CompletedProcess:
    return run_cli("predict", "--model", run_dir, "--input", inp, "--output", out, **kw)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- the command
def test_output_is_a_directory(run_dir: Path, inp: Path, tmp_path: Path) -> None:
    out = tmp_path / "outdir"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    before = snapshot(out, inp)
    proc = predict(run_dir, inp, out)
    assert_one_error(proc, out, "is a directory")
    assert snapshot(out, inp) == before and proc.tf is False  # answered before TensorFlow


def test_output_parent_is_a_file(run_dir: Path, inp: Path, tmp_path: Path) -> None:
    parent = tmp_path / "afile"
    parent.write_text("precious\n")
    proc = predict(run_dir, inp, parent / "sub" / "out.csv")
    assert_one_error(proc, parent / "sub" / "out.csv", f"{parent} is not a directory")
    assert parent.read_text() == "precious\n" and proc.tf is False


@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink"])
def test_output_equal_to_input_is_refused(run_dir: Path, inp: Path, tmp_path: Path,
                                          spelling: str) -> None:
    out = {"same": inp, "dotted": tmp_path / "." / "in.csv", "symlink": tmp_path / "link.csv"}[spelling]
    if spelling == "symlink":
        out.symlink_to(inp)
    before = inp.read_bytes()
    proc = predict(run_dir, inp, out)
    assert_one_error(proc, out, "is the input file", "refusing")
    assert inp.read_bytes() == before and proc.tf is False


def test_unwritable_system_folder(run_dir: Path, inp: Path) -> None:
    """sysfs refuses new files even to root: the probe before TensorFlow says so."""
    if not Path("/sys/kernel").is_dir():
        pytest.skip("no sysfs")
    out = Path("/sys/kernel/tweetgeo-out.csv")
    proc = predict(run_dir, inp, out)
    assert_one_error(proc, out, "cannot write")
    assert not out.exists() and proc.tf is False


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_directory(run_dir: Path, inp: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "out.csv").write_text("previous\n")
    folder.chmod(0o555)
    try:
        proc = predict(run_dir, inp, folder / "out.csv")
    finally:
        folder.chmod(0o755)
    assert_one_error(proc, folder / "out.csv", "Permission denied")
    assert (folder / "out.csv").read_text() == "previous\n"


@needs_dev_full
def test_device_output_full_disk_is_reported_and_device_kept(run_dir: Path, inp: Path) -> None:
    """/dev/full as the output: written directly, so ENOSPC is seen; the device stays a device."""
    proc = predict(run_dir, inp, FULL)
    assert_one_error(proc, FULL, "No space left on device")
    assert stat.S_ISCHR(FULL.stat().st_mode)


@needs_dev_full
def test_stdout_on_a_full_device(run_dir: Path, inp: Path) -> None:
    with FULL.open("wb") as full:
        proc = predict(run_dir, inp, "-", stdout=full)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.count("\n") == 1, err
    assert err.startswith("error: <stdout>: cannot write (No space left on device)"), err


def _small_file_limit() -> None:
    """In the child: files may not grow past 32 KiB (a "full disk" for the output)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))


def test_disk_full_mid_write_keeps_previous_output(run_dir: Path, tmp_path: Path) -> None:
    inp, out = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.DataFrame({"id": range(10_000), "text": ["forest fire evacuate now"] * 10_000}).to_csv(inp, index=False)
    out.write_text("previous\n")
    proc = predict(run_dir, inp, out, preexec_fn=_small_file_limit)
    assert_one_error(proc, out, "cannot write", "File too large")
    assert out.read_text() == "previous\n" and leftovers(tmp_path) == []


# --------------------------------------------------------------------------- the writer
@needs_dev_full
def test_atomic_writer_writes_devices_directly() -> None:
    with pytest.raises(WriteError, match=r"^/dev/full: cannot write \(No space left on device\)$"):
        write_csv(pd.DataFrame({"x": range(10_000)}), FULL)
    assert stat.S_ISCHR(FULL.stat().st_mode)
    with atomic_path(Path("/dev/null")) as target:
        assert target == Path("/dev/null")
        target.write_text("discarded")
    assert Path("/dev/null").is_char_device()


def test_links_are_kept_and_their_targets_written(tmp_path: Path) -> None:
    """A link to a file: the file gets the new content, the link stays a link. A link into
    /proc (as /dev/stdout is) is written through, never renamed over."""
    (tmp_path / "real.csv").write_text("old\n")
    (tmp_path / "link.csv").symlink_to(tmp_path / "real.csv")
    write_csv(pd.DataFrame({"x": [1]}), tmp_path / "link.csv")
    assert (tmp_path / "link.csv").is_symlink() and (tmp_path / "real.csv").read_text() == "x\n1\n"
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc")
    (tmp_path / "stdout").symlink_to("/proc/self/fd/1")
    child = ("import pandas as pd, sys\nfrom tweetgeo.io import write_csv\n"
             "write_csv(pd.DataFrame({'x': [1, 2]}), sys.argv[1])\n")
    with (tmp_path / "captured.txt").open("w") as captured:
        subprocess.run([sys.executable, "-c", child, str(tmp_path / "stdout")], stdout=captured, check=True)
    assert (tmp_path / "stdout").is_symlink() and os.readlink(tmp_path / "stdout") == "/proc/self/fd/1"
    assert (tmp_path / "captured.txt").read_text() == "x\n1\n2\n" and leftovers(tmp_path) == []


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT, errno.EIO])
def test_atomic_writer_names_the_target_on_write_errors(tmp_path: Path, err: int) -> None:
    target = tmp_path / "t.csv"
    target.write_text("old\n")

    class Failing(pd.DataFrame):
        def to_csv(self, path, **kwargs):
            Path(path).write_text("half")
            raise OSError(err, os.strerror(err))

    with pytest.raises(WriteError) as caught:
        write_csv(Failing({"x": [1]}), target)
    assert str(caught.value) == f"{target}: cannot write ({os.strerror(err)})"
    assert target.read_text() == "old\n" and leftovers(tmp_path) == []


def test_atomic_writer_folder_errors(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(WriteError, match="is a directory"):
        write_csv(pd.DataFrame({"x": [1]}), tmp_path / "d")
    (tmp_path / "f").write_text("keep")
    with pytest.raises(WriteError, match="a folder on its path is a file"):
        write_csv(pd.DataFrame({"x": [1]}), tmp_path / "f" / "x.csv")
    assert (tmp_path / "f").read_text() == "keep"

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    with pytest.raises(WriteError, match=r"x\.csv: cannot write \(Read-only file system\)"):
        write_csv(pd.DataFrame({"x": [1]}), tmp_path / "x.csv")
    with pytest.raises(WriteError, match="Read-only file system"):
        check_writable(tmp_path / "x.csv")


def test_failed_figure_keeps_the_old_one_and_leaves_no_temp(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    target = tmp_path / "eda.png"
    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [0, 1])
    write_figure(fig, target, dpi=50)
    old = target.read_bytes()
    assert old.startswith(b"\x89PNG") and leftovers(tmp_path) == []
    with pytest.raises(ValueError):
        write_figure(fig, target, format="no-such-format")
    assert target.read_bytes() == old and leftovers(tmp_path) == []


def test_figure_writers_use_the_atomic_helper() -> None:
    """eda, plots and labels save figures only through io.write_figure."""
    src = Path(__file__).resolve().parents[1] / "src" / "tweetgeo"
    for name in ("eda.py", "plots.py", "labels.py"):
        text = (src / name).read_text()
        assert "write_figure(" in text and ".savefig(" not in text, name


CHILD = """
import sys
import numpy as np, pandas as pd
from tweetgeo.io import write_parquet
frame = pd.DataFrame({"x": np.random.default_rng(0).normal(size=2_000_000)})
print("ready", flush=True)
while True:
    write_parquet(frame, sys.argv[1])
"""


def test_sigterm_mid_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    """A stage terminated (SIGTERM, as by a scheduler) while writing removes its temp file."""
    target = tmp_path / "big.parquet"
    for delay in (0.05, 0.3, 0.6):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(target)], stdout=subprocess.PIPE,
                                 text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            time.sleep(delay)
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=60)
        finally:
            child.kill()
            child.wait()
        assert child.returncode == -signal.SIGTERM
        assert leftovers(tmp_path) == [], leftovers(tmp_path)
        if target.exists():
            assert len(pd.read_parquet(target)) == 2_000_000
