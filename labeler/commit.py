"""Durable group commit: a batch's finished outputs made durable together, then published.

Each output used to cost an ``fsync`` of its own before its rename (and one of its folder after):
on ext4 every one of them waits for a journal commit, which cost more than labelling a JPEG. In a
batch the workers now only stage their finished, verified temp files (``atomic.deferred``), and
the batch's main process commits them in groups:

1. **durable**: one ``syncfs`` per file system the group's temps live on (Linux), so their data
   and inodes reach the disk in one journal commit (elsewhere an ``fdatasync`` of each temp);
2. **publish**: each temp renamed over its target, companions (sidecars) before the file;
3. one ``fsync`` of each folder renamed into;
4. only then do the results go on: journal line, report, progress.

The guarantee of one-by-one fsyncs stays: no output is visible before its bytes are on disk (the
rename comes after step 1), and a kill at any point leaves only complete outputs; temps not yet
renamed carry the run's mark, are swept by the next run, and ``--resume`` redoes their files (their
journal lines were never written). A group is committed when it holds ``GROUP_FILES`` files, when
its oldest file has waited ``GROUP_SECONDS`` (checked as results arrive), and when the batch ends
or is stopped (finished files are kept).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from .atomic import Staged, fsync_dir
from .labelling import LabelResult
from .output_paths import refuse_symlink
from .status import Outcome

#: Files per group: enough to amortise a journal commit, few enough that progress stays lively.
GROUP_FILES = 128
#: The longest a finished file waits for its group (a long video elsewhere in the pool keeps no one waiting).
GROUP_SECONDS = 1.0


def _syncfs() -> Callable[[int], int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_SYNCFS = _syncfs()


def make_durable(temps: Iterable[str]) -> str:
    """Bring the data and metadata of every temp to disk; returns how (``syncfs`` or ``fdatasync``).
    Raises ``OSError`` when the file system reports a write-back error."""
    by_device: dict[int, str] = {}
    paths = list(temps)
    for path in paths:
        by_device.setdefault(os.stat(path).st_dev, path)
    if _SYNCFS is not None:
        for path in by_device.values():
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if _SYNCFS(fd) != 0:  # Linux >= 5.8 reports write-back errors of the file system here
                    error = ctypes.get_errno()
                    raise OSError(error, os.strerror(error), path)
            finally:
                os.close(fd)
        return "syncfs"
    for path in paths:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fdatasync(fd)
        finally:
            os.close(fd)
    return "fdatasync"


def _rename(temp: str, target: str) -> None:
    refuse_symlink(Path(target))
    os.replace(temp, target)


class GroupCommit:
    """Collects results with staged outputs and commits them in groups; ``emit`` gets every result
    once its output is visible (or at once, when it staged nothing)."""

    def __init__(self, emit: Callable[[LabelResult], None], *, files: int | None = None, seconds: float | None = None) -> None:
        self.emit = emit
        self.files = files or GROUP_FILES
        self.seconds = GROUP_SECONDS if seconds is None else seconds
        self.pending: list[LabelResult] = []
        self.since = 0.0
        #: Results changed by their commit (staged cleared, or failed), by the id of the original.
        self.committed: dict[int, tuple[LabelResult, LabelResult]] = {}
        #: Progress of the group being committed: renames done per pending result, results renamed but not
        #: yet emitted, folders renamed into but not yet fsynced.
        self.renamed: dict[int, int] = {}
        #: The staged rename under way and its temp's inode: a stop can land between ``os.replace`` and its count.
        self.renaming: tuple[Staged, int] | None = None
        self.ready: dict[int, LabelResult] = {}  # by the original's id: a stop cannot queue one twice
        self.folders: set[str] = set()
        #: How the last group was made durable (``syncfs`` or ``fdatasync``): a flush resumed after a
        #: stop may only have files the interrupted one already made durable.
        self.how = ""

    def add(self, result: LabelResult) -> None:
        if not result.staged:
            self.emit(result)
            return
        if not self.pending:
            self.since = time.monotonic()
        self.pending.append(result)
        if len(self.pending) >= self.files or time.monotonic() - self.since >= self.seconds:
            self.flush()

    def flush(self) -> None:
        """Commit the pending group. Safe to call again after an interruption (Ctrl-C, SIGTERM
        raise inside it): each step resumes where it stopped; no renamed file loses its journal line."""
        group = self.pending
        if group:
            try:
                self.how = make_durable(s.temp for r in group for s in self._left(r))
            except OSError as exc:
                # Those a stopped flush already renamed were durable then; the rest fail.
                self.pending = [r for r in group if not self._left(r)]
                for result in group:
                    if self._left(result):
                        self._fail(result, f"the output could not be made durable ({exc.strerror or exc}); nothing was published")
            while self.pending:
                result = self.pending[0]
                try:
                    for item in self._left(result):
                        self.renaming = (item, os.lstat(item.temp).st_ino)
                        self.folders.add(os.path.dirname(item.target))
                        _rename(item.temp, item.target)
                        self.renamed[id(result)] += 1
                        self.renaming = None
                except OSError as exc:
                    self.pending.pop(0)
                    self._fail(result, f"cannot publish the output ({exc.strerror or exc})")
                    continue
                write = {**(result.write or {}), "durable": f"group commit ({self.how}, {len(group)} files)"}
                self.ready[id(result)] = self._keep(result, replace(result, staged=(), write=write))
                self.pending.pop(0)
                del self.renamed[id(result)]
        while self.folders:
            fsync_dir(Path(min(self.folders)))
            self.folders.discard(min(self.folders))
        while self.ready:
            self.emit(self.ready.pop(next(iter(self.ready))))

    def _left(self, result: LabelResult) -> tuple[Staged, ...]:
        """The staged renames of ``result`` not yet done (all of them, unless a flush was interrupted)."""
        done = self.renamed.setdefault(id(result), 0)
        if self.renaming is not None and result.staged[done : done + 1] == (self.renaming[0],) and self._renamed(*self.renaming):
            done = self.renamed[id(result)] = done + 1  # stopped after the rename, before its count
            self.renaming = None
        return result.staged[done:]

    @staticmethod
    def _renamed(item: Staged, inode: int) -> bool:
        """True when ``item``'s rename took effect: its temp is gone and the target is that very inode."""
        try:
            return not os.path.lexists(item.temp) and os.lstat(item.target).st_ino == inode
        except OSError:
            return False

    def _keep(self, original: LabelResult, result: LabelResult) -> LabelResult:
        self.committed[id(original)] = (original, result)  # the original too: its id stays its own while it lives
        return result

    def _fail(self, result: LabelResult, reason: str) -> None:
        for item in self._left(result):
            with contextlib.suppress(OSError):
                os.unlink(item.temp)
        self.renamed.pop(id(result), None)
        self.emit(self._keep(result, replace(result, status=Outcome.FAILED, staged=(), error=f"{result.source.name}: {reason}")))

    def final(self, results: list[LabelResult]) -> list[LabelResult]:
        """``results`` as committed (the runner returns the objects it reported, before their commit)."""
        return [done[1] if (done := self.committed.get(id(r))) is not None and done[0] is r else r for r in results]


__all__ = ["GROUP_FILES", "GROUP_SECONDS", "GroupCommit", "Staged", "make_durable"]
