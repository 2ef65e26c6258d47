"""Where the time goes: per-stage timing files, a readable table, progress lines.

Every stage script runs through `stages/_common.main`, which times it, writes
`reports/timing/<stage>[@<item>].json` (wall seconds, rows, device, extras the
stage returned), prints one summary line, and rewrites `reports/timing.md` from
all timing files present. These files are plain outputs, not DVC metrics, so
they never show up in `dvc metrics diff`.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from tweetgeo.io import atomic_path, read_json, write_json

TIMING_DIR = Path("reports/timing")
TIMING_TABLE = Path("reports/timing.md")
PROGRESS_EVERY_S = 10.0  # a long step prints a progress line at most this often

T = TypeVar("T")
_last_output = [time.monotonic()]  # when a progress line was last printed (heartbeat stays quiet then)


def stage_key(script: str, argv: list[str]) -> str:
    """'clean@yachay' for `stages/clean.py yachay`, 'report' for `stages/report.py`."""
    name = Path(script).stem
    return f"{name}@{argv[0]}" if argv else name


def timing_file(key: str, folder: Path = TIMING_DIR) -> Path:
    return folder / f"{key}.json"


def device() -> str:
    """'gpu:N' or 'cpu' when the stage used TensorFlow; 'cpu' otherwise (TensorFlow is not imported for it)."""
    if "tensorflow" not in sys.modules:
        return "cpu"
    from tweetgeo.runtime import device_name

    return device_name()


def record(key: str, seconds: float, facts: Mapping[str, Any] | None = None,
           folder: Path = TIMING_DIR) -> dict[str, Any]:
    """Write the timing file of one stage run and return its content."""
    stage, _, item = key.partition("@")
    entry: dict[str, Any] = {"stage": stage, "item": item or None, "seconds": round(seconds, 2),
                             "device": device()}
    entry.update({k: v for k, v in (facts or {}).items() if v is not None})
    rows = entry.get("rows")
    if isinstance(rows, int) and rows > 0 and seconds > 0:
        entry["rows_per_s"] = round(rows / seconds, 1)
    write_json(entry, timing_file(key, folder))
    return entry


def summary_line(key: str, entry: Mapping[str, Any]) -> str:
    """One line a person reads at the end of a stage: rows, time, device, best epoch."""
    parts = [f"{key}: done in {_duration(entry['seconds'])}"]
    if entry.get("rows") is not None:
        rate = f" ({entry['rows_per_s']:.0f} rows/s)" if entry.get("rows_per_s") else ""
        parts.append(f"{entry['rows']} rows{rate}")
    if entry.get("best_epoch") is not None:
        ran = f" of {entry['epochs_run']}" if entry.get("epochs_run") is not None else ""
        parts.append(f"best epoch {entry['best_epoch']}{ran}")
    parts.append(f"device {entry['device']}")
    return "; ".join(parts)


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def write_table(folder: Path = TIMING_DIR, out: Path = TIMING_TABLE) -> Path:
    """reports/timing.md: every timing file as one row, slowest first, with the total."""
    entries = [read_json(p) for p in sorted(folder.glob("*.json"))]
    entries.sort(key=lambda e: -float(e.get("seconds", 0)))
    total = sum(float(e.get("seconds", 0)) for e in entries)
    lines = ["# Where the time goes", "",
             "Wall time of the last run of each stage (written by every stage to "
             f"`{folder.as_posix()}/`; not DVC metrics). Total: {_duration(total)}.", "",
             "| stage | item | seconds | share | rows | rows/s | device | notes |",
             "|---|---|---:|---:|---:|---:|---|---|"]
    for e in entries:
        seconds = float(e.get("seconds", 0))
        notes = f"best epoch {e['best_epoch']}" if e.get("best_epoch") is not None else ""
        if e.get("epochs_run") is not None:
            notes += f" of {e['epochs_run']}"
        if e.get("precision"):
            notes += f"{'; ' if notes else ''}{e['precision']} products"
        lines.append(f"| {e.get('stage', '')} | {e.get('item') or ''} | {seconds:.1f} | "
                     f"{100 * seconds / total if total else 0:.0f}% | {e.get('rows', '')} | "
                     f"{e.get('rows_per_s', '')} | {e.get('device', '')} | {notes} |")
    with atomic_path(out) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def progress(items: Iterable[T], total: int, label: str, unit: str = "rows",
             sizes: Iterable[int] | None = None) -> Iterator[T]:
    """Yield items; every PROGRESS_EVERY_S print 'label: done/total unit (rate, ETA)'.

    `sizes` gives how many units each item stands for (e.g. rows per batch); 1 each by default.
    """
    start = last = time.monotonic()
    done = 0
    for item, size in zip(items, sizes if sizes is not None else _ones()):
        yield item
        done += size
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S and done < total:
            rate = done / (now - start)
            eta = (total - done) / rate if rate else float("inf")
            print(f"{label}: {done}/{total} {unit} ({rate:.0f}/s, about {eta:.0f} s left)", flush=True)
            last = _last_output[0] = now


def _ones() -> Iterator[int]:
    while True:
        yield 1


class Heartbeat:
    """A background line 'key: still running (N s)' every `every` seconds without other progress."""

    def __init__(self, key: str, every: float = 30.0) -> None:
        self.key, self.every = key, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._start = time.monotonic()

    def _beat(self) -> None:
        while not self._stop.wait(self.every / 3):
            now = time.monotonic()
            if now - max(_last_output[0], self._start) >= self.every:
                print(f"{self.key}: still running ({now - self._start:.0f} s)", flush=True)
                _last_output[0] = now

    def __enter__(self) -> Heartbeat:
        _last_output[0] = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def headline(metrics: Mapping[str, Any], limit: int = 5) -> str:
    """'accuracy 0.777, f1 0.729, …': the first scalar metrics of a split (a CI dict gives its value)."""
    shown = []
    for name, value in metrics.items():
        if isinstance(value, Mapping):
            value = value.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool) and name != "rows":
            shown.append(f"{name} {value:.4g}")
        if len(shown) == limit:
            break
    return ", ".join(shown) + (f" ({metrics['rows']} rows)" if "rows" in metrics else "")
