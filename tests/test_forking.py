"""in_two_processes: one half here, the other in a forked child that inherits the work."""

from __future__ import annotations

import os
import sys

import pytest

from tweetgeo.forking import in_two_processes, may_fork

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork is Linux's")


def test_each_half_is_answered_once_and_the_child_is_another_process() -> None:
    loaded = {"offset": 100}  # what a model would be: inherited by the child, never pickled

    def work(part: list[int]) -> tuple[list[int], int, bool]:
        return [x + loaded["offset"] for x in part], os.getpid(), may_fork(10_000, 2)

    (first, pid_here, nested_here), (second, pid_there, nested_there) = in_two_processes(work, [1, 2], [3])
    assert first == [101, 102] and second == [103]
    assert pid_here == os.getpid() != pid_there
    assert not nested_here and not nested_there  # neither process forks again
    assert may_fork(10_000, 2) == ((os.cpu_count() or 1) >= 2)  # the flag is reset


def test_an_error_in_the_child_reaches_the_caller() -> None:
    def work(part: list[int]) -> int:
        if part == ["bad"]:
            raise ValueError("row bad: no text")
        return len(part)

    with pytest.raises(ValueError, match="row bad"):
        in_two_processes(work, [1], ["bad"])
    assert may_fork(10_000, 2) == ((os.cpu_count() or 1) >= 2)


def test_few_rows_do_not_fork() -> None:
    assert not may_fork(4_999, 5_000) and not may_fork(1, 1)
