"""Run the transforms over files and verify every result: ``survive_file`` / ``survive_paths``.

Per file: verify the original (the reference row), copy it once, read-only, into a private temp
folder under a fixed name (``source.FORMAT``: no user file name ever reaches a tool), run each
transform that applies to the file's media in its own sub-folder, verify the output with labeler's
own ``verify_file`` (OCR included when installed) and compare each layer with the original. The
input is only ever read. ``keep`` copies the transformed files out for a person to look at.

Nothing here raises for a bad file or a failing tool: each becomes a message on its file or row.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..batch import default_jobs, discover, run
from ..c2pa import SignalOptions
from ..errors import LabelerError
from ..names import with_exact_bytes
from ..pool import Limits
from ..status import Status
from ..verify import verify_file
from .layers import LAYERS, Cell, Seen, observe, original_cells, transformed_cells
from .transforms import NAMES, Transform, select

ORIGINAL = "original"
#: Temp folders are named PREFIX + the worker's pid: a worker killed at its time limit cannot clean
#: up, so each run removes the folders of processes that no longer exist.
PREFIX = "labeler-survive-"


@dataclass(frozen=True)
class Row:
    """One transform applied to one file (or the ``original`` reference row)."""

    transform: str
    cells: dict[str, Cell] = field(default_factory=dict)  # layer -> cell; empty when ``error``
    status: str | None = None  # verify's status of the transformed file
    output: str | None = None  # the kept copy (--keep), else None
    seconds: float = 0.0  # transform + verify
    error: str | None = None  # the transform could not be made or checked

    def as_dict(self) -> dict[str, Any]:
        return {
            "transform": self.transform,
            "status": self.status,
            "layers": {layer: cell.as_dict() for layer, cell in self.cells.items()},
            "output": self.output,
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


@dataclass(frozen=True)
class FileResult:
    path: Path
    media: str = "unknown"
    format: str | None = None
    rows: tuple[Row, ...] = ()
    error: str | None = None  # the file itself could not be checked: no transform ran
    note: str | None = None  # why there are no transform rows (unsupported, none applies)

    @property
    def failed(self) -> bool:
        """The file or one of its transforms could not be run or checked."""
        return self.error is not None or any(r.error for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        entry = {
            "path": os.fspath(self.path),
            "media": self.media,
            "format": self.format,
            "error": self.error,
            "note": self.note,
            "rows": [r.as_dict() for r in self.rows],
        }
        return with_exact_bytes(entry, "path")


def _message(exc: BaseException) -> str:
    if isinstance(exc, LabelerError):
        return exc.message  # the temp path it may name means nothing to the user
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


def _keep_folder(keep: Path, path: Path) -> Path:
    """A new folder under ``keep`` for this file's outputs (never one that exists: nothing is overwritten)."""
    keep.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        folder = keep / (path.name if n == 1 else f"{path.name}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"no free folder name for {path.name} under {keep}")


def _one(
    transform: Transform, source: Path, work: Path, fmt: str, before: dict[str, Seen], kept: Path | None, signals: SignalOptions
) -> Row:
    started = time.monotonic()
    folder = work / transform.name
    folder.mkdir()
    try:
        out = transform.make(source, folder, fmt)
        verdict = verify_file(out, signals=signals)
        output = None
        if kept is not None:
            target = kept / f"{transform.name}{out.suffix}"
            shutil.copyfile(out, target)
            output = os.fspath(target)
    except Exception as exc:  # noqa: BLE001 - one transform must never stop the others (a decompression bomb, a tool bug)
        # the temp folder means nothing to the user: name its files only
        error = _message(exc).replace(f"{work}{os.sep}", "")
        return Row(transform.name, seconds=time.monotonic() - started, error=error)
    finally:
        if source.exists():
            source.chmod(stat.S_IRUSR)  # a tool must not have made it writable
    cells = transformed_cells(before, observe(verdict))
    row = Row(transform.name, cells, verdict.status.value, output, time.monotonic() - started)
    shutil.rmtree(folder, ignore_errors=True)  # big videos: one transform's output on disk at a time
    return row


def survive_file(path: Path, transforms: Sequence[Transform], keep: Path | None = None, signals: SignalOptions | None = None) -> FileResult:
    """Verify ``path``, apply each applicable transform to a private copy, verify each result
    (``signals``: verify's C2PA and watermark options, e.g. the watermark key)."""
    started = time.monotonic()
    signals = signals or SignalOptions()
    original = verify_file(path, signals=signals)
    if original.status == Status.UNSUPPORTED:
        return FileResult(path, note=f"not a file labeler handles ({original.error})")
    if original.status == Status.ERROR:
        return FileResult(path, original.media, original.format, error=original.error or "could not be read")
    seen = observe(original)
    rows = [Row(ORIGINAL, original_cells(seen), original.status.value, seconds=time.monotonic() - started)]
    fmt = original.format or "bin"
    chosen = [t for t in transforms if t.applies(original.media, fmt)]
    note = _not_applied(transforms, chosen, original.media, fmt)
    if not chosen:
        return FileResult(path, original.media, original.format, tuple(rows), note=note)
    try:
        kept = _keep_folder(keep, path) if keep is not None else None
        with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-") as temp:
            work = Path(temp)
            source = work / f"source.{fmt}"
            shutil.copyfile(path, source)
            source.chmod(stat.S_IRUSR)
            for transform in chosen:
                rows.append(_one(transform, source, work, fmt, seen, kept, signals))
    except OSError as exc:  # the copy or the temp folder itself (disk full, permission)
        return FileResult(path, original.media, original.format, tuple(rows), error=f"cannot prepare the transforms: {_message(exc)}")
    return FileResult(path, original.media, original.format, tuple(rows), note=note)


def _not_applied(transforms: Sequence[Transform], chosen: Sequence[Transform], media: str, fmt: str) -> str | None:
    """Why a transform asked for by name made no row: another medium, or a format it cannot take
    (the default set is every transform: only a file none applies to gets a note)."""
    every = {t.name for t in transforms} == set(NAMES)
    names = {t.name for t in chosen}
    same_media = [t.name for t in transforms if media in t.media and t.name not in names]
    if same_media and not every:
        return f"{', '.join(dict.fromkeys(same_media))}: does not apply to {fmt} files"
    if names:
        return None
    if every:
        return f"no transform applies to {media} files (the harness covers images, audio and video)"
    return f"none of the chosen transforms ({', '.join(dict.fromkeys(t.name for t in transforms))}) applies to {media} files"


def _by_names(path: Path, names: tuple[str, ...] | None, keep: Path | None, signals: SignalOptions | None) -> FileResult:
    """``survive_file`` with the transforms named (rows hold functions: workers get names, not rows)."""
    return survive_file(path, select(names), keep, signals)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def sweep_dead(root: Path | None = None) -> list[Path]:
    """Remove the temp folders (under ``root``, default the system temp folder) of survive workers
    that no longer run; return what was removed."""
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        pid = folder.name[len(PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and folder.is_dir() and not folder.is_symlink() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _failed(path: Path, reason: str) -> FileResult:
    return FileResult(path, error=reason)


def survive_paths(
    paths: Iterable[str | os.PathLike[str]],
    names: Sequence[str] | None = None,
    *,
    keep: Path | None = None,
    jobs: int | None = None,
    include_hidden: bool = False,
    limits: Limits | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    signals: SignalOptions | None = None,
) -> tuple[list[FileResult], list[tuple[str, str]]]:
    """Every file under ``paths`` through the ``names`` transforms (default: all); with the skipped
    entries (path, reason). Files run in worker processes with ``limits`` like ``verify``."""
    items, skipped = discover([Path(p) for p in paths], include_hidden=include_hidden)
    if on_plan is not None:
        on_plan(len(items))
    work = functools.partial(_by_names, names=tuple(names) if names else None, keep=keep, signals=signals)
    try:
        results = run([i.path for i in items], work, jobs=jobs or default_jobs(), limits=limits, failed=_failed, on_result=on_result)
    finally:
        sweep_dead()  # a worker killed at --timeout left its copy and outputs behind
    return results, [(os.fspath(s.path), s.reason) for s in skipped]


__all__ = ["LAYERS", "ORIGINAL", "PREFIX", "FileResult", "Row", "survive_file", "survive_paths", "sweep_dead"]
