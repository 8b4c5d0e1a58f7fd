"""Crash safety for batches: an exclusive lock on the output folder and a resume journal.

- ``OutputLock``: ``flock`` on ``DIR/.labeler.lock`` for the whole batch; a second labeler writing
  to the same folder gets a clear refusal instead of racing. The kernel drops the lock when the
  holder dies, so a killed batch never leaves a stale lock.
- ``Journal``: ``DIR/.labeler-journal.jsonl``, one line per finished file (source and output
  size + mtime), flushed to the kernel at once, so a killed process loses nothing. ``--resume``
  skips files whose journal line still matches both, so a batch killed at any point completes the
  rest without redoing finished files. A torn last line is ignored. Lines are not fsynced one by
  one (that cost as much as labelling a JPEG): after a power loss the newest lines may be gone,
  and those files are merely labelled again (relabelling is idempotent); an output whose rename
  was lost no longer matches its line and is redone too.
- ``sweep_temp_files``: temp files of a killed run (``.labeler-*``) are removed under the lock,
  when no other labeler can be writing them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .batch import TEMP_PREFIX
from .errors import OutputError

LOCK_NAME = ".labeler.lock"
JOURNAL_NAME = ".labeler-journal.jsonl"
DONE = frozenset({"labelled", "unchanged"})


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    try:
        handle = open(path, "a+")
    except OSError as exc:
        raise OutputError(f"cannot create the lock file ({exc.strerror or exc}); check that the folder is writable", path) from exc
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise OutputError(f"another labeler (pid {holder}) is writing to {folder}; wait for it to finish or choose another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


def sweep_temp_files(folder: Path) -> int:
    removed = 0
    for path in folder.rglob(TEMP_PREFIX + "*"):
        if path.is_file() and path.name not in (LOCK_NAME, JOURNAL_NAME):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


@dataclass(frozen=True)
class Entry:
    source: str
    source_stat: tuple[int, int] | None
    output: str
    output_stat: tuple[int, int] | None


class Journal:
    def __init__(self, folder: Path, *, resume: bool) -> None:
        self.path = folder / JOURNAL_NAME
        self.done: dict[str, Entry] = self._load() if resume else {}
        mode = "a" if resume else "w"
        self._handle = open(self.path, mode, encoding="utf-8")

    def _load(self) -> dict[str, Entry]:
        done: dict[str, Entry] = {}
        if not self.path.exists():
            return done
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                data = json.loads(line)
                entry = Entry(data["source"], tuple(data["source_stat"]) if data["source_stat"] else None, data["output"], tuple(data["output_stat"]) if data["output_stat"] else None)  # type: ignore[arg-type]
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a crash
            done[entry.source] = entry
        return done

    def finished(self, source: Path, output: Path) -> bool:
        """True when an earlier run finished this file and neither side changed since."""
        entry = self.done.get(os.fspath(source))
        if entry is None or entry.output != os.fspath(output) or _stat(output) != entry.output_stat:
            return False
        return source == output or _stat(source) == entry.source_stat

    def record(self, source: Path, output: Path, status: str) -> None:
        if status not in DONE:
            return
        line = {"source": os.fspath(source), "source_stat": _stat(source), "output": os.fspath(output), "output_stat": _stat(output), "status": status}
        self._handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.fsync(self._handle.fileno())
        self._handle.close()

