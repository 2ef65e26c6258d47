"""Shared start of every stage script: params loaded and validated, errors as one line, timing.

Every stage is timed: `reports/timing/<stage>[@<item>].json` (declared in dvc.yaml as an
uncached out, not a metric), one summary line at the end, `reports/timing.md` rewritten.
A stage may return a dict of facts for them (rows, best_epoch, epochs_run, …).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from tweetgeo.config import ConfigError, Params, load_params


def one_line(err: BaseException) -> str:
    """A (possibly multi-line) message as one line: 'head: item; item'."""
    head, *items = str(err).splitlines() or [""]
    items = [item.strip() for item in items if item.strip()]
    return f"{head.rstrip(':')}: {'; '.join(items)}" if items else head


def main(stage: Callable[[Params, list[str]], Mapping[str, Any] | None]) -> None:
    """Run `stage(params, argv)` timed; known input errors exit 1 with their message, no traceback."""
    from tweetgeo import timing
    from tweetgeo.errors import USER_ERRORS

    argv = sys.argv[1:]
    key = timing.stage_key(sys.argv[0], argv)
    start = time.perf_counter()
    try:
        with timing.Heartbeat(key):
            facts = stage(load_params(), argv)
    except (ConfigError, *USER_ERRORS) as err:
        sys.exit(f"error: {one_line(err)}")
    entry = timing.record(key, time.perf_counter() - start, facts if isinstance(facts, Mapping) else None)
    timing.write_table()
    print(timing.summary_line(key, entry), flush=True)
