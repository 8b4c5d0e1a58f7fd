"""The resume journal of a batch whose outputs are URLs: segment objects beside the outputs.

Object stores cannot append, so the client (which receives every result) writes the journal as
numbered segments, ``OUT/.labeler-journal/<run id>-<n>.jsonl``, each one whole object put at once,
every ``FLUSH_LINES`` results or ``FLUSH_SECONDS``, and at the end. A run's first segment records
the run id before any task starts, so the next run sweeps the temporary keys of a run that was
killed (``storage.sweep``); its last segment records it swept.

``--resume`` reads every segment and skips an object whose line names the same output, whose
source is the same version (size and ETag or mtime, from the listing) and whose output is still
listed. An output only ever appears whole and verified (``storage.publish``), so being listed is
proof enough; results newer than the last segment of a killed client are merely done again, and
doing a file again publishes the same bytes (idempotent). Without ``--resume`` the old segments are
removed once their runs are swept.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import time
from collections.abc import Iterator
from typing import Any

from ..atomic import RUN_ID
from .storage import JOURNAL_DIR, Location, StorageError, describe, sweep

FLUSH_LINES = 1000
FLUSH_SECONDS = 10.0


class RemoteJournal:
    def __init__(self, out: Location, run: str, *, resume: bool) -> None:
        self.out, self.run, self.folder = out, run, out.child(JOURNAL_DIR)
        self.segments = self._segments()
        lines = list(self._lines(self.segments))
        self.done: dict[str, tuple[str, str]] = {}
        if resume:
            for line in lines:
                if isinstance(line.get("source"), str) and isinstance(line.get("output"), str):
                    self.done[line["source"]] = (str(line.get("version")), line["output"])
        self._pending: list[dict[str, Any]] = []
        self._count = 0
        self._flushed = time.monotonic()
        for earlier in _unswept(lines):
            sweep(out, earlier)
            self._pending.append({"swept": earlier})
        if not resume:
            for segment in self.segments:
                with contextlib.suppress(FileNotFoundError):
                    out.fs.rm_file(segment)
        self._pending.append({"run": run})
        self.flush()  # durable before any task can leave a temporary key

    def _segments(self) -> list[str]:
        try:
            return sorted(p for p in self.out.fs.ls(self.folder, detail=False) if p.endswith(".jsonl"))
        except FileNotFoundError:
            return []
        except Exception as exc:  # noqa: BLE001 - store errors share no base class
            raise StorageError(f"cannot read the journal {self.out.url(self.folder)}: {describe(exc)}") from None

    def _lines(self, segments: list[str]) -> Iterator[dict[str, Any]]:
        for segment in segments:
            try:
                text = self.out.fs.cat_file(segment).decode("utf-8", "replace")
            except FileNotFoundError:
                continue  # removed by a concurrent run's cleanup
            for line in text.splitlines():
                with contextlib.suppress(ValueError):
                    data = json.loads(line)
                    if isinstance(data, dict):
                        yield data

    def finished(self, source: str, version: str, output: str, listed: set[str]) -> bool:
        entry = self.done.get(source)
        return entry is not None and entry == (version, output) and output in listed

    def record(self, source: str, version: str, output: str) -> None:
        self._pending.append({"source": source, "version": version, "output": output})
        if len(self._pending) >= FLUSH_LINES or time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        name = posixpath.join(self.folder, f"{self.run}-{self._count:06d}.jsonl")
        self.out.fs.pipe_file(name, "".join(json.dumps(line) + "\n" for line in self._pending).encode("utf-8"))
        self._pending, self._count, self._flushed = [], self._count + 1, time.monotonic()

    def close(self) -> None:
        """Sweep this run's temporary keys and record it swept (the last segment)."""
        sweep(self.out, self.run)
        self._pending.append({"swept": self.run})
        self.flush()


def _unswept(lines: list[dict[str, Any]]) -> list[str]:
    runs: dict[str, None] = {}
    for line in lines:
        if isinstance(line.get("run"), str) and RUN_ID.fullmatch(line["run"]):
            runs[line["run"]] = None
        elif isinstance(line.get("swept"), str):
            runs.pop(line["swept"], None)
    return list(runs)
