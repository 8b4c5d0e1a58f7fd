"""Effects at the edge: find files, write them atomically, run many in parallel.

- ``discover`` walks folders recursively in sorted order without following symlinks, skipping
  hidden entries (unless asked), ``*.aigc.json`` sidecars and the output folder itself.
- ``atomic_output`` gives a temp path beside the target; on success it is fsynced and renamed
  over the target, on failure removed. Readers never see a half-written file.
- Temp names carry the run's mark, ``.labeler-<run id>-…``: a random 128-bit id per batch that
  the journal records with the folders the batch writes to, so the sweep after a killed run
  (``labeler.journal``) deletes only files it can prove labeler made, and only in those folders.
- ``run`` maps a picklable function over items, in limited worker processes (``labeler.pool``)
  when ``jobs > 1`` or limits are set, calling back as each finishes; results keep input order.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .errors import OutputError
from .lifeline import require_parent
from .output_paths import check_names, refuse_symlink
from .pool import Limits, run_limited
from .sidecar import is_sidecar

T = TypeVar("T")
R = TypeVar("R")
TEMP_PREFIX = ".labeler-"
#: A run's mark: 32 hex digits, after TEMP_PREFIX and before a "-". No state file has this form.
RUN_ID = re.compile(r"[0-9a-f]{32}")
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + RUN_ID.pattern + "-")
#: The batch state files in a folder labeler writes to (``labeler.journal``); never inputs.
LOCK_NAME = ".labeler.lock"
JOURNAL_NAME = ".labeler-journal.jsonl"
#: The mark of temp files this process makes now; a batch sets its own (``temp_mark``). Outside a
#: batch (``label_file`` from the API, report files) the process's own mark is never swept.
_mark = secrets.token_hex(16)


def new_run_id() -> str:
    return secrets.token_hex(16)


def temp_prefix(run: str | None = None) -> str:
    """The name prefix of every temp file of ``run`` (default: the current mark)."""
    return f"{TEMP_PREFIX}{run or _mark}-"


def is_temp_name(name: str) -> bool:
    return _TEMP_NAME.match(name) is not None


@contextlib.contextmanager
def temp_mark(run: str) -> Iterator[None]:
    """Mark every temp file made inside the block with ``run``."""
    global _mark
    if not RUN_ID.fullmatch(run):
        raise ValueError(f"not a run id: {run!r}")
    saved, _mark = _mark, run
    try:
        yield
    finally:
        _mark = saved


@dataclass(frozen=True)
class Item:
    """A discovered input file and its path relative to the folder mirrored into ``--out``."""

    path: Path
    relative: Path


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def _hidden(name: str) -> bool:
    return name.startswith(".")


def discover(roots: Sequence[Path], *, include_hidden: bool = False, exclude: Path | None = None) -> tuple[list[Item], list[Skipped]]:
    """Files under ``roots`` (files given directly are always taken), and what was skipped and why."""
    items: list[Item] = []
    skipped: list[Skipped] = []
    keep_root_name = len(roots) > 1
    excluded = exclude.resolve() if exclude else None
    for root in roots:
        if root.is_symlink() and root.is_dir():
            skipped.append(Skipped(root, "symlinked folder not followed"))
            continue
        if not root.is_dir():
            items.append(Item(root, Path(root.name)))
            continue
        prefix = Path(root.resolve().name) if keep_root_name else Path()
        for folder, dirs, files in os.walk(root, followlinks=False):
            here = Path(folder)
            kept_dirs = []
            for name in sorted(dirs):
                sub = here / name
                if (_hidden(name) and not include_hidden) or (excluded and sub.resolve() == excluded):
                    continue
                if sub.is_symlink():
                    skipped.append(Skipped(sub, "symlinked folder not followed"))
                    continue
                kept_dirs.append(name)
            dirs[:] = kept_dirs
            for name in sorted(files):
                path = here / name
                if (_hidden(name) and not include_hidden) or is_sidecar(path) or is_temp_name(name) or name in (LOCK_NAME, JOURNAL_NAME):
                    continue
                if path.is_symlink():
                    skipped.append(Skipped(path, "symlink not followed"))
                    continue
                if not path.is_file():
                    skipped.append(Skipped(path, "not a regular file (device, FIFO or socket)"))
                    continue
                items.append(Item(path, prefix / path.relative_to(root)))
    return items, skipped


def fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _take_metadata(temp: Path, target: Path, like: Path | None) -> None:
    """Give the finished temp the metadata its target should have (mkstemp makes it 0600).

    In place (``like`` is ``target``): the file keeps its permission bits, owner and group where
    the user may set them, and its modification time (the access time is when labeler read it,
    as for any reader; a date-sorted library keeps its order). A new output takes the
    permission bits (not setuid/setgid/sticky) of ``like``, its source; without a source, an
    existing target's bits, else the umask default, as any new file would get."""
    source = _stat_or_none(like) if like is not None else None
    existing = _stat_or_none(target)
    if source is not None and existing is not None and (source.st_dev, source.st_ino) == (existing.st_dev, existing.st_ino):
        with contextlib.suppress(PermissionError):  # another owner: only root may give the file back
            os.chown(temp, existing.st_uid, existing.st_gid)
        os.chmod(temp, stat.S_IMODE(existing.st_mode))  # after chown, which clears setuid/setgid
        os.utime(temp, ns=(existing.st_atime_ns, existing.st_mtime_ns))
    elif source is not None:
        os.chmod(temp, stat.S_IMODE(source.st_mode) & 0o777)
    else:
        os.chmod(temp, stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~_umask())


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


@contextlib.contextmanager
def atomic_output(target: Path, *, like: Path | None = None) -> Iterator[Path]:
    """Yield a temp path beside ``target``; rename it over ``target`` only if the block succeeds.
    The output gets ``like``'s mode (its source; in place also owner and times, see ``_take_metadata``).

    Refused up front: a ``target`` that is a symlink, or whose name (or the temp's) is too long."""
    folder = target.parent
    refuse_symlink(target)
    check_names(target)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=temp_prefix(), suffix=target.suffix, dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot create a file in {folder} ({exc.strerror or exc}); check that it exists and is writable", target) from exc
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        _take_metadata(temp, target, like)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        publish(temp, target)
        fsync_dir(folder)
    except OSError as exc:
        raise OutputError(f"cannot write the output ({exc.strerror or exc})", target) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def publish(temp: Path, target: Path) -> None:
    """Rename a finished temp file over its target, only while the batch's main process (and so its
    lock on the output folder) lives: a worker orphaned by ``kill -9`` of the main publishes nothing."""
    require_parent(target)
    refuse_symlink(target)
    os.replace(temp, target)


@contextlib.contextmanager
def scratch_file(beside: Path, suffix: str) -> Iterator[Path]:
    """A temp file in the target's folder (so a later rename stays on one file system), always removed."""
    fd, name = tempfile.mkstemp(prefix=temp_prefix(), suffix=suffix, dir=beside.parent)
    os.close(fd)
    try:
        yield Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def run(
    items: Sequence[T],
    work: Callable[[T], R],
    *,
    jobs: int,
    on_result: Callable[[R], None] | None = None,
    limits: Limits | None = None,
    failed: Callable[[T, str], R] | None = None,
) -> list[R]:
    """``[work(i) for i in items]``; ``work`` must not raise.

    With ``jobs > 1`` or ``limits``, files run in limited worker processes (``labeler.pool``) and
    ``failed(item, reason)`` gives the result for a file whose worker timed out or died.
    """
    if not items or (jobs <= 1 and limits is None):
        results = []
        for item in items:
            result = work(item)
            if on_result:
                on_result(result)
            results.append(result)
        return results
    if failed is None:
        raise ValueError("run() with workers needs failed= to report files whose worker dies")
    return run_limited(items, work, failed, jobs=jobs, limits=limits or Limits(), on_result=on_result)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
