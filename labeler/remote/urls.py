"""Batches whose inputs or outputs are URLs: list, plan, run on an engine, journal.

``label_urls`` mirrors ``labeler.api.label_paths`` (same options, results, ``BatchOutcome``) for
inputs and an output that may be URLs; ``verify_plan`` gives ``labeler verify`` the objects to
check and the task that checks one. Both run on any engine with ``labeler.batch.run``'s
signature: the local pool, or ``DaskEngine.run``.

What differs from local folders, and why:
- No lock: object stores have none. Two runs writing the same prefix each publish only whole,
  verified objects, so the worst case is work done twice, never a torn output.
- ``--in-place`` is refused for URLs: an object store cannot swap an object for its labelled
  version without a window in which readers see one or the other; label into another prefix.
- ``.labelerignore`` rules are anchored at local folders and do not apply to URLs.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..api import BatchOutcome
from ..atomic import new_run_id
from ..batch import Skipped, run
from ..c2pa import SignalOptions
from ..labelling import LabelResult
from ..policy import Policy
from ..roles import LabelOptions
from ..status import PUBLISHED
from .journal import RemoteJournal
from .storage import Location, StorageError, check_writable, companions, is_companion, list_objects, open_location, reported
from .tasks import LabelTask, RemoteItem, VerifyTask

Target = str | os.PathLike[str]
Runner = Callable[..., list[Any]]  # labeler.batch.run's signature


def list_items(
    roots: Sequence[Location], *, include_hidden: bool = False, exclude: Location | None = None
) -> tuple[list[RemoteItem], list[Skipped]]:
    """Every input object under ``roots``, listed page by page; companions travel with their file.
    With several roots each keeps its own name in the output, as ``discover`` does."""
    items: list[RemoteItem] = []
    for index, root in enumerate(roots):
        objects = list(list_objects(root, include_hidden=include_hidden, exclude=exclude))
        names = {o.path for o in objects}
        prefix = posixpath.basename(root.root.rstrip("/")) if len(roots) > 1 else ""
        for o in objects:
            if not is_companion(o.path, names):
                items.append(
                    RemoteItem(
                        index,
                        o.path,
                        posixpath.join(prefix, o.relative) if prefix else o.relative,
                        f"{o.size}:{o.version}",
                        companions(o.path, names),
                    )
                )
    return items, []


def _listed(out: Location) -> set[str]:
    try:
        return {o.path for o in list_objects(out, include_hidden=True)}
    except StorageError:
        return set()  # nothing there yet


def label_urls(
    paths: Sequence[Target],
    *,
    out: Target | None,
    options: LabelOptions,
    storage_options: Mapping[str, Any],
    runner: Runner = run,
    jobs: int = 1,
    include_hidden: bool = False,
    resume: bool = False,
    limits: Any = None,
    on_result: Callable[[LabelResult], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    ignore: Sequence[Any] = (),
) -> BatchOutcome:
    """Label every object under ``paths`` into ``out``; only whole, verified objects are published."""
    options = options.validated()
    if out is None or options.in_place:
        raise StorageError(
            "--in-place is not available for URLs (an object store cannot replace an object atomically with its labelled "
            "version while readers may fetch it): label into another prefix with --out"
        )
    roots = tuple(open_location(p, storage_options) for p in paths)
    target = open_location(out, storage_options)
    items, skipped = list_items(roots, include_hidden=include_hidden, exclude=target)
    task = LabelTask(roots, target, options, new_run_id())
    if options.dry_run:
        if on_plan:
            on_plan(len(items))
        return BatchOutcome(run(items, task, jobs=1, on_result=on_result), skipped)
    check_writable(target)
    journal = RemoteJournal(target, task.run, resume=resume)
    try:
        listed: set[str] = {target.url(p) for p in _listed(target)} if journal.done else set()
        source: dict[int, str] = {id(i): roots[i.root].url(i.path) for i in items}
        finished = {id(i) for i in items if journal.finished(source[id(i)], i.version, target.url(task.target(i)), listed)}
        todo = [i for i in items if id(i) not in finished]
        versions = {source[id(i)]: i.version for i in todo}
        if on_plan:
            on_plan(len(todo))

        def record(result: LabelResult) -> None:
            if result.status in PUBLISHED and result.output is not None:
                journal.record(os.fspath(result.source), versions.get(os.fspath(result.source), ""), os.fspath(result.output))
            if on_result:
                on_result(result)

        results = runner(todo, task, jobs=jobs, limits=limits, failed=task.failed, on_result=record)
    finally:
        journal.close()
    resumed = [reported(roots[i.root].url(i.path)) for i in items if id(i) in finished]
    return BatchOutcome(results, skipped, resumed)


def verify_plan(
    paths: Sequence[Target],
    *,
    policy: Policy,
    signals: SignalOptions | None,
    storage_options: Mapping[str, Any],
    include_hidden: bool = False,
) -> tuple[list[RemoteItem], list[Skipped], VerifyTask]:
    """The objects ``labeler verify`` checks under ``paths`` and the task that checks one."""
    roots = tuple(open_location(p, storage_options) for p in paths)
    items, skipped = list_items(roots, include_hidden=include_hidden)
    return items, skipped, VerifyTask(roots, policy, signals)
