"""Progress on stderr: a live bar with counts, rate and ETA on a terminal; plain lines with the same in CI/logs."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from .names import display

#: The bar is redrawn at most this often (thousands of small files finish per second).
REDRAW_SECONDS = 0.1


class Progress:
    def __init__(self, total: int, verb: str, *, enabled: bool = True) -> None:
        self.total, self.verb, self.done = total, verb, 0
        self.started = time.monotonic()
        self.enabled = enabled and total > 0
        interactive = sys.stderr.isatty() and not os.environ.get("CI")
        self._bar: Any = None
        self._drawn = 0.0
        if self.enabled and interactive and total > 1:  # one file: no bar
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                transient=True,
                auto_refresh=False,  # redrawn as files finish: a refresh thread would keep the pool from forking its workers
            )
            self._task = self._bar.add_task(verb, total=total, rate="")
            self._bar.start()

    def advance(self, message: str) -> None:
        if not self.enabled:
            return
        self.done += 1
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, rate=f"{rate:.1f} files/s")
            now = time.monotonic()
            if now - self._drawn >= REDRAW_SECONDS or self.done == self.total:
                self._bar.refresh()
                self._drawn = now
        else:
            left = (self.total - self.done) / rate
            eta = f"{int(left // 3600)}:{int(left % 3600 // 60):02d}:{int(left % 60):02d}"
            print(f"[{self.done}/{self.total}] {display(message)} ({rate:.1f} files/s, ETA {eta})", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        if self.enabled:
            elapsed = time.monotonic() - self.started
            count = f"done: {self.done} files" if self.done == self.total else f"stopped: {self.done} of {self.total} files"
            print(f"{self.verb} {count} in {elapsed:.1f}s", file=sys.stderr)
