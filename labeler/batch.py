"""Effects at the edge: find files and run many in parallel.

- ``discover`` walks folders recursively in sorted order without following symlinks, skipping
  hidden entries (unless asked), ``*.aigc.json`` sidecars and the output folder itself.
- Writes are atomic (``labeler.atomic``): temp files carry the batch's run mark (``temp_mark``)
  so the sweep after a killed run deletes only what this batch made.
- ``run`` maps a picklable function over items, in limited worker processes (``labeler.pool``)
  when ``jobs > 1`` or limits are set, calling back as each finishes; results keep input order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .atomic import is_temp_name
from .pool import Limits, run_limited
from .sidecar import is_sidecar

T = TypeVar("T")
R = TypeVar("R")
#: The batch state files in a folder labeler writes to (``labeler.journal``); never inputs.
LOCK_NAME = ".labeler.lock"
JOURNAL_NAME = ".labeler-journal.jsonl"


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
