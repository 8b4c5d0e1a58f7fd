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
- Sweeping: before a batch writes anything, the journal records its run id and the folders it
  will write to (fsynced). Temp files are named ``.labeler-<run id>-…`` (``labeler.batch``), so
  after a killed run the next one, under the lock, removes exactly the files named with a
  recorded run id in that run's recorded folders (not recursively): a user's
  ``.labeler-notes.txt`` or a sibling folder is never touched. A batch also sweeps its own
  temps when it ends (a worker killed by a limit or an interruption leaves its temps behind),
  then records the run as swept.

Paths are written with ``ensure_ascii`` JSON, so a file name that is not valid UTF-8 (held by
Python as surrogate escapes) survives the round trip exactly.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import RUN_ID, temp_prefix
from .batch import JOURNAL_NAME, LOCK_NAME
from .errors import OutputError
from .status import PUBLISHED

__all__ = ["DONE", "JOURNAL_NAME", "LOCK_NAME", "Journal", "Run", "output_lock", "sweep_run", "unswept_runs"]
DONE = PUBLISHED


def _open_no_follow(path: Path, flags: int) -> int:
    """Open (creating) a state file, never through a symlink: a planted link could aim the
    lock's truncation or the journal at any file the user can write."""
    return os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)


@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    try:
        handle = open(_open_no_follow(path, os.O_RDWR), "r+")  # noqa: SIM115 - held for the lock's lifetime, closed below
    except OSError as exc:
        raise OutputError(
            f"cannot create the lock file ({exc.strerror or exc}); check that the folder is writable"
            + (" and that it is not a symlink" if exc.errno == errno.ELOOP else ""),
            path,
        ) from exc
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise OutputError(
                f"another labeler (pid {holder}) is writing to {folder}; wait for it to finish or choose another --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


@dataclass(frozen=True)
class Run:
    """A batch as the journal knows it: its temp-file mark and the folders it wrote to."""

    id: str
    folders: tuple[str, ...]


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue  # a line torn by a crash
        if isinstance(data, dict):
            yield data


def unswept_runs(folder: Path) -> list[Run]:
    """Runs recorded in ``folder``'s journal whose temp files were not swept (killed runs)."""
    runs: dict[str, Run] = {}
    for data in _lines(folder / JOURNAL_NAME):
        run, folders = data.get("run"), data.get("folders")
        if isinstance(run, str) and RUN_ID.fullmatch(run) and isinstance(folders, list):
            runs[run] = Run(run, tuple(f for f in folders if isinstance(f, str) and os.path.isabs(f)))
        elif isinstance(data.get("swept"), str):
            runs.pop(data["swept"], None)
    return list(runs.values())


def sweep_run(run: Run) -> int:
    """Remove ``run``'s temp files: names with its mark, directly in its folders, nothing else."""
    prefix = temp_prefix(run.id)
    removed = 0
    for folder in run.folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # gone or unreadable: nothing of ours can be swept there
        for entry in entries:
            if entry.name.startswith(prefix) and not entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
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
        try:
            fd = _open_no_follow(self.path, os.O_RDWR | (os.O_APPEND if resume else os.O_TRUNC))
        except OSError as exc:
            raise OutputError(
                f"cannot open the journal ({exc.strerror or exc}); check that the folder is writable"
                + (" and that it is not a symlink" if exc.errno == errno.ELOOP else ""),
                self.path,
            ) from exc
        size = os.fstat(fd).st_size
        self._handle = open(fd, "a" if resume else "w", encoding="utf-8")  # noqa: SIM115 - the journal's handle, closed by close()
        if resume and size and os.pread(fd, 1, size - 1) != b"\n":
            self._handle.write("\n")  # end a line torn by a kill, so the next line stands alone

    def begin(self, run: Run) -> None:
        """Record ``run`` durably before it writes anything, so a sweep can find its temps."""
        self._write({"run": run.id, "folders": list(run.folders)})
        os.fsync(self._handle.fileno())

    def swept(self, run: Run) -> None:
        self._write({"swept": run.id})

    def _write(self, line: dict[str, Any]) -> None:
        self._handle.write(json.dumps(line) + "\n")  # ensure_ascii: surrogate-escaped names round-trip
        self._handle.flush()

    def _load(self) -> dict[str, Entry]:
        done: dict[str, Entry] = {}
        for data in _lines(self.path):
            try:
                entry = Entry(
                    data["source"],
                    tuple(data["source_stat"]) if data["source_stat"] else None,
                    data["output"],
                    tuple(data["output_stat"]) if data["output_stat"] else None,
                )
            except (KeyError, TypeError):
                continue  # a run line, or a line torn by a crash
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
        self._write(
            {
                "source": os.fspath(source),
                "source_stat": _stat(source),
                "output": os.fspath(output),
                "output_stat": _stat(output),
                "status": status,
            }
        )

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.fsync(self._handle.fileno())
        self._handle.close()
