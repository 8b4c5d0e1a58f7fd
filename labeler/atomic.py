"""Atomic writes: a temp file beside the target, fsynced and renamed over it only on success.

- ``atomic_output`` gives a temp path beside the target; on success it is fsynced and renamed
  over the target, on failure removed. Readers never see a half-written file.
- ``scratch_file`` is a temp beside a target that is always removed; ``publish`` renames a
  finished temp over its target while the batch's main process lives.
- ``deferred``: inside a batch worker, finished temps are not fsynced and renamed one by one but
  staged (``Staged``) and handed to the batch's main process, which makes a whole group durable
  at once and only then renames them (``labeler.commit``).
- Temp names carry the run's mark, ``.labeler-<run id>-…``: a random 128-bit id per batch that
  the journal records with the folders the batch writes to, so the sweep after a killed run
  (``labeler.journal``) deletes only files it can prove labeler made, and only in those folders.

Single-file code (``labelling``, report files) imports this, not the batch layer.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError
from .lifeline import require_parent
from .output_paths import check_names, refuse_symlink

TEMP_PREFIX = ".labeler-"
#: A run's mark: 32 hex digits, after TEMP_PREFIX and before a "-". No state file has this form.
RUN_ID = re.compile(r"[0-9a-f]{32}")
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + RUN_ID.pattern + "-")
#: The mark of temp files this process makes now; a batch sets its own (``temp_mark``). Outside a
#: batch (``label_file`` from the API, report files) the process's own mark is never swept.
_mark = secrets.token_hex(16)


@dataclass(frozen=True)
class Staged:
    """A finished, verified temp file whose rename over ``target`` is left to the group commit.
    Its bytes are not yet known to be on disk; nothing may make it visible before they are."""

    temp: str
    target: str


#: Renames staged instead of done, while a ``deferred`` block runs (None: publish at once).
_staged: list[Staged] | None = None


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


@contextlib.contextmanager
def deferred() -> Iterator[list[Staged]]:
    """Within the block, ``atomic_output`` and ``publish`` stage their renames (in order: companions
    before the file) in the yielded list instead of fsyncing and renaming. The caller owns the
    staged temps: it commits them (``labeler.commit``) or removes them (``discard``)."""
    global _staged
    saved, _staged = _staged, []
    try:
        yield _staged
    finally:
        _staged = saved


def discard(staged: list[Staged]) -> None:
    for item in staged:
        with contextlib.suppress(OSError):
            os.unlink(item.temp)
    staged.clear()


def sync_file(fd: int) -> None:
    """fsync a finished temp, unless a group commit will make it durable with its group."""
    if _staged is None:
        os.fsync(fd)


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
        raise OutputError(
            f"cannot create a file in {folder} ({exc.strerror or exc}); check that it exists and is writable", target
        ) from exc
    os.close(fd)
    temp = Path(name)
    staged = False
    try:
        yield temp
        _take_metadata(temp, target, like)
        if _staged is not None:
            refuse_symlink(target)
            _staged.append(Staged(os.fspath(temp), os.fspath(target)))
            staged = True
            return
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        publish(temp, target)
        fsync_dir(folder)
    except OSError as exc:
        raise OutputError(f"cannot write the output ({exc.strerror or exc})", target) from exc
    finally:
        if not staged:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


def publish(temp: Path, target: Path) -> None:
    """Rename a finished temp file over its target, only while the batch's main process (and so its
    lock on the output folder) lives: a worker orphaned by ``kill -9`` of the main publishes nothing.
    Inside a ``deferred`` block the rename is staged for the group commit instead."""
    if _staged is not None:
        refuse_symlink(target)
        _staged.append(Staged(os.fspath(temp), os.fspath(target)))
        return
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
