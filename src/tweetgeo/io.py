"""Atomic writes: a stage killed half-way never leaves a file a later stage trusts.

Every output goes to a temporary file beside the target and is renamed over it only when
the writer succeeded. A target that is not a regular file (a device such as /dev/full or
/dev/stdout, a named pipe) is never renamed over: it is written to directly, so its own
errors (ENOSPC, EPIPE) reach the caller. Any failure to write raises WriteError, one line
naming the target; the previous file, if any, is left as it was. A SIGTERM during a write
removes the temporary file before the process dies (a SIGKILL cannot be caught: it may leave
a hidden `.<name>.<pid>-*.tmp` beside the target, never a half target); such leftovers of a
process that is gone are removed the next time the same target is written.

A folder of several files (a trained model, the TF-IDF features) is written whole with
`atomic_dir`: into a temporary folder beside it, then swapped in by renames.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tweetgeo.errors import WriteError  # noqa: F401  (raised here; callers import it from io too)

if TYPE_CHECKING:  # pandas and matplotlib are imported by the callers that need them
    import pandas as pd
    from matplotlib.figure import Figure

TMP_SUFFIX = ".tmp"
# errno of failures that are about the place written to, not about the data (shown as one line)
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO,
                 errno.EISDIR, errno.ENOTDIR, errno.EFBIG, errno.EPIPE, errno.ENAMETOOLONG, errno.ELOOP}


_LIVE: set[str] = set()  # temporary files being written (removed on SIGTERM)


def _remove(tmp: str) -> None:
    """Remove a temporary file or folder; never raises."""
    try:
        if os.path.isdir(tmp) and not os.path.islink(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.unlink(tmp)
    except OSError:
        pass


def _prefix(name: str) -> str:
    """Start of this process's temporary names for target `name`: `.<name>.<pid>-`."""
    return f".{name}.{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def sweep_stale(target: Path) -> list[Path]:
    """Remove the temporary files/folders a killed writer of `target` left beside it
    (`.<name>.<pid>-*.tmp` whose process is gone); the removed paths."""
    target = Path(target)
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(\d+)-.*{re.escape(TMP_SUFFIX)}$")
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            _remove(entry.path)
            removed.append(Path(entry.path))
    return removed


def _remove_live_and_die(signum: int, _frame: Any) -> None:
    """SIGTERM while temporary files exist: remove them, then die of the signal as usual."""
    for tmp in list(_LIVE):
        _remove(tmp)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _track(tmp: str, live: bool) -> None:
    """Register (or forget) a temporary file; while any is registered, and nobody else handles
    SIGTERM, a SIGTERM removes them before the process dies (SIGKILL cannot be caught)."""
    (_LIVE.add if live else _LIVE.discard)(tmp)
    if threading.current_thread() is not threading.main_thread():
        return
    current = signal.getsignal(signal.SIGTERM)
    if _LIVE and current is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _remove_live_and_die)
    elif not _LIVE and current is _remove_live_and_die:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _write_error(path: Path, err: OSError) -> WriteError:
    reason = err.strerror or str(err)
    return WriteError(f"{path}: cannot write ({reason})")


def _special(path: Path) -> bool:
    """True when path exists and is neither a regular file nor a directory (device, pipe, …)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _direct(path: Path) -> bool:
    """Written in place, never renamed over: devices, pipes, and paths into /dev or /proc
    (such as /dev/stdout, which is a link to /proc/self/fd/1)."""
    if _special(path):
        return True
    return any(name.startswith(("/dev/", "/proc/")) for name in (str(path), os.path.realpath(path)))


def check_writable(path: Path) -> None:
    """Raise WriteError now when `path` cannot be written (before any work is done): it is a
    directory, a folder on its way is a file, or no file can be created in its folder (tried:
    a temporary file is created and removed, which also catches read-only mounts and root)."""
    path = Path(path)
    if path.is_dir():
        raise WriteError(f"{path}: cannot write (is a directory)")
    if _direct(path):
        if path.exists() and not os.access(path, os.W_OK):
            raise WriteError(f"{path}: cannot write (permission denied)")
        return
    if path.is_symlink():  # a link to a file: the file is replaced, the link kept
        path = Path(os.path.realpath(path))
    folder = path.parent
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        folder = folder.parent  # the first existing folder on the way will hold the new ones
    if not folder.is_dir():
        raise WriteError(f"{path}: cannot write ({folder} is not a directory)")
    try:
        fd, probe = tempfile.mkstemp(prefix=_prefix(path.name), suffix=TMP_SUFFIX, dir=folder)
    except OSError as err:
        raise _write_error(path, err) from None
    os.close(fd)
    os.unlink(probe)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it over `path` only on success.

    A `path` that exists and is not a regular file (a device, a pipe), or that leads into /dev
    or /proc, is yielded itself and written directly. A link to a file replaces the file and
    keeps the link. WriteError (one line naming `path`) on any failure to write.
    """
    path = Path(path)
    if _direct(path):
        try:
            yield path
        except OSError as err:
            if err.errno in _WRITE_ERRNOS:
                raise _write_error(path, err) from None
            raise
        return
    if path.is_dir():
        raise WriteError(f"{path}: cannot write (is a directory)")
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(target)
        fd, tmp = tempfile.mkstemp(prefix=_prefix(target.name), suffix=TMP_SUFFIX, dir=target.parent)
        os.close(fd)
    except OSError as err:
        if isinstance(err, FileExistsError) or err.errno == errno.ENOTDIR:
            raise WriteError(f"{path}: cannot write (a folder on its path is a file)") from None
        raise _write_error(path, err) from None
    _track(tmp, True)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, target)
    except OSError as err:
        if err.errno in _WRITE_ERRNOS:
            raise _write_error(path, err) from None
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        _track(tmp, False)


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside `path`; on success it replaces `path` whole.

    The swap is two renames (the old folder aside, the new one in) and then the old one is
    removed: a kill leaves the old folder, or the new one, or (between the two renames, a
    moment) none — never a mix of old and new files. On failure the temporary folder is removed
    and `path` is left as it was. Leftovers of a killed writer are removed on the next write.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(path)
        tmp = tempfile.mkdtemp(prefix=_prefix(path.name), suffix=TMP_SUFFIX, dir=path.parent)
    except OSError as err:
        raise _write_error(path, err) from None
    _track(tmp, True)
    old = None
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes 0700; outputs are ordinary folders
        if path.exists() or path.is_symlink():
            old = str(path.parent / f"{_prefix(path.name)}{secrets.token_hex(4)}.old{TMP_SUFFIX}")
            os.replace(path, old)  # (not removed by a SIGTERM: swept by the next write)
        os.replace(tmp, path)
    except OSError as err:
        if old is not None and not path.exists():
            os.replace(old, path)  # put the old folder back
            old = None
        if err.errno in _WRITE_ERRNOS:
            raise _write_error(path, err) from None
        raise
    finally:
        for leftover in (tmp, old):
            if leftover is not None and os.path.exists(leftover):
                _remove(leftover)
        _track(tmp, False)


def write_json(data: Any, path: Path) -> None:
    """Write JSON (sorted keys, indent 2) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=_jsonable) + "\n",
                       encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def write_figure(fig: Figure, path: Path, **savefig: Any) -> None:
    """Save a matplotlib figure atomically (format from the file suffix, PNG by default)."""
    path = Path(path)
    fmt = savefig.pop("format", None) or path.suffix.lstrip(".").lower() or "png"
    with atomic_path(path) as tmp, open(tmp, "wb") as out:
        fig.savefig(out, format=fmt, **savefig)


def _jsonable(value: Any) -> Any:
    """numpy scalars and arrays → plain Python for json.dumps."""
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
