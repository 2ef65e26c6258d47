"""Silence TensorFlow's C++ start-up lines (absl/oneDNN/CUDA notices) that ignore
TF_CPP_MIN_LOG_LEVEL, so a failing command prints its one `error:` line and nothing else."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to a temporary file for the block; on an exception, replay
    what was written (a failing import still shows why). Set TWEETGEO_TF_LOGS=1 to keep it."""
    if os.environ.get("TWEETGEO_TF_LOGS") == "1":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable fd 2 (embedded interpreters): nothing to do
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            sys.stderr.flush()
            os.dup2(saved, 2)
            sink.seek(0)
            os.write(2, sink.read())
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
