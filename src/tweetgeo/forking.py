"""Work shared between this process and one forked child, for commands that answer many rows.

The child is forked, so it inherits what this process has loaded (a model, a cleaner) without
pickling or loading it again. Only for a process without TensorFlow running (its threads do not
survive a fork).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_IN_TWO = False  # inside in_two_processes (either process): nothing forks again
_CHILD_WORK: Callable[[Any], Any] | None = None  # what the forked child runs (inherited, not pickled)


def may_fork(rows: int, min_rows: int) -> bool:
    """Whether `rows` rows are worth a forked second process: at least min_rows, a multi-core Linux
    machine (fork), and not already inside in_two_processes."""
    return not _IN_TWO and rows >= max(min_rows, 2) and (os.cpu_count() or 1) >= 2 and sys.platform == "linux"


def _child(part: Any) -> Any:
    return _CHILD_WORK(part)


def in_two_processes(work: Callable[[Any], T], here: Any, there: Any) -> tuple[T, T]:
    """(work(here), work(there)): `there` in a forked child, at the same time as `here` in this
    process; the child's result comes back pickled."""
    global _IN_TWO, _CHILD_WORK
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _IN_TWO, _CHILD_WORK = True, work
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            second = pool.submit(_child, there)
            first = work(here)
            return first, second.result()
    finally:
        _IN_TWO, _CHILD_WORK = False, None
