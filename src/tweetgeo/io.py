"""Atomic writes: a stage killed half-way never leaves a file a later stage trusts.

Every output goes to a temporary file beside the target and is renamed over it only when
the writer succeeded. A target that is not a regular file (a device such as /dev/full or
/dev/stdout, a named pipe) is never renamed over: it is written to directly, so its own
errors (ENOSPC, EPIPE) reach the caller. Any failure to write raises WriteError, one line
naming the target; the previous file, if any, is left as it was.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas and matplotlib are imported by the callers that need them
    import pandas as pd
    from matplotlib.figure import Figure

TMP_SUFFIX = ".tmp"
# errno of failures that are about the place written to, not about the data (shown as one line)
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO,
                 errno.EISDIR, errno.ENOTDIR, errno.EFBIG, errno.EPIPE, errno.ENAMETOOLONG, errno.ELOOP}


class WriteError(OSError):
    """An output that cannot be written; the message is one line naming the file."""


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


def check_writable(path: Path) -> None:
    """Raise WriteError now when `path` clearly cannot be written (before any work is done):
    it is a directory, a folder on its way is a file, or its folder is not writable."""
    path = Path(path)
    if path.is_dir():
        raise WriteError(f"{path}: cannot write (is a directory)")
    if _special(path):
        if not os.access(path, os.W_OK):
            raise WriteError(f"{path}: cannot write (permission denied)")
        return
    folder = path.parent
    while not folder.exists():  # the first existing folder on the way must be a writable folder
        if folder.is_symlink() or folder == folder.parent:
            break
        folder = folder.parent
    if folder.exists() and not folder.is_dir():
        raise WriteError(f"{path}: cannot write ({folder} is not a directory)")
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise WriteError(f"{path}: cannot write (directory {folder} is not writable)")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it over `path` only on success.

    A `path` that exists and is not a regular file (a device, a pipe) is yielded itself and
    written directly. WriteError (one line naming `path`) on any failure to write.
    """
    path = Path(path)
    if _special(path):
        try:
            yield path
        except OSError as err:
            if err.errno in _WRITE_ERRNOS:
                raise _write_error(path, err) from None
            raise
        return
    if path.is_dir():
        raise WriteError(f"{path}: cannot write (is a directory)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
        os.close(fd)
    except OSError as err:
        if isinstance(err, FileExistsError) or err.errno == errno.ENOTDIR:
            raise WriteError(f"{path}: cannot write (a folder on its path is a file)") from None
        raise _write_error(path, err) from None
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except OSError as err:
        if err.errno in _WRITE_ERRNOS:
            raise _write_error(path, err) from None
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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
