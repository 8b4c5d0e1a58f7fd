"""The Python API for pipelines: the same objects the CLI reports.

    >>> from labeler import LabelOptions, label_paths, verify_paths
    >>> batch = label_paths(["assets"], out="labelled", options=LabelOptions(producer="001191110102MACQD9K64010000"))
    >>> [r.status for r in batch.results]
    ['labelled', 'labelled']
    >>> [v.status for v in verify_paths(["labelled"])]
    ['compliant', 'compliant']

Batches hold an exclusive lock on the output folder, journal every finished file (``resume=True``
skips them after a crash), and run each file under a time and memory limit.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic import deferred, discard, new_run_id, temp_mark
from .batch import Item, Skipped, default_jobs, discover, run
from .commit import GroupCommit
from .errors import OutputError
from .ignore import IgnoreRules, filter_ignored
from .journal import Journal, Run, output_lock, sweep_run, unswept_runs
from .labelling import LabelResult, label_file
from .output_paths import check_tree
from .policy import Policy, get_policy
from .pool import Limits
from .roles import LabelOptions
from .status import Outcome, Status
from .verify import Verdict, verify_file

PathLike = str | os.PathLike[str]
Runner = Callable[..., list[Any]]  # labeler.batch.run's signature
#: Per-file wall-time defaults: long video re-encodes are legitimate, a verify is not.
LABEL_TIMEOUT = 3600.0
VERIFY_TIMEOUT = 600.0


def _unchecked(path: Path, reason: str) -> Verdict:
    return Verdict(path, Status.ERROR, error=f"{path.name}: {reason}")


def verify_paths(
    paths: Iterable[PathLike],
    *,
    jobs: int | None = None,
    include_hidden: bool = False,
    limits: Limits | None = None,
    on_result: Callable[[Verdict], None] | None = None,
    policy: Policy | str | None = None,
    ignore: Sequence[IgnoreRules] = (),
    runner: Runner = run,
) -> list[Verdict]:
    """Verify every file under ``paths`` (folders walked recursively, symlinks not followed).

    ``policy``: a ``Policy`` or profile name (``gb45438`` default, ``strict``, ``report-only``);
    ``ignore``: rules whose files are skipped (e.g. ``labeler.config.load_config().ignore_rules()``);
    ``runner``: the engine (``labeler.batch.run``'s signature; ``DaskEngine(...).run`` for Dask).
    Gate a pipeline with ``labeler.verify.gate_failures(verdicts, policy)``:

        >>> from labeler import verify_paths
        >>> from labeler.verify import gate_failures
        >>> failing = gate_failures(verify_paths(["labelled"], policy="strict"), "strict")
    """
    items, _ = discover([Path(p) for p in paths], include_hidden=include_hidden)
    items, _ = filter_ignored(items, ignore)
    work = functools.partial(verify_file, policy=get_policy(policy))
    return runner([i.path for i in items], work, jobs=jobs or default_jobs(), limits=limits, failed=_unchecked, on_result=on_result)


class _LabelJob:
    """Picklable per-file work for the worker processes; its temp files carry the run's mark.
    Finished outputs are staged for a durable group commit (``labeler.commit``): the local pool's
    main process commits them; a runner on other machines calls ``commit_chunk`` where the files
    were written (``DaskEngine`` does, per task)."""

    def __init__(self, options: LabelOptions, out: Path | None, run: str) -> None:
        self.options, self.out, self.run = options, out, run

    def target(self, item: Item) -> Path:
        return item.path if self.out is None else self.out / item.relative

    def __call__(self, item: Item) -> LabelResult:
        with temp_mark(self.run), deferred() as staged:
            result = self._label(item)
            if not staged:
                return result
            if not result.ok:
                discard(staged)
                return result
            return dataclasses.replace(result, staged=tuple(staged))

    def commit_chunk(self, results: list[LabelResult]) -> list[LabelResult]:
        """Make the staged outputs of ``results`` durable together and publish them, in this process:
        run on the machine that wrote them, its ``syncfs`` covers their bytes (one per chunk instead
        of an ``fsync`` per file and per folder). Results that staged nothing pass through."""
        group = GroupCommit(lambda _: None, files=len(results) + 1, seconds=float("inf"))
        for result in results:
            group.add(result)
        group.flush()
        return group.final(results)

    def _label(self, item: Item) -> LabelResult:
        if self.out is not None:
            try:
                check_tree(self.out, self.target(item))
            except OutputError as exc:
                return LabelResult(item.path, self.target(item), Outcome.FAILED, error=exc.message)
        return label_file(item.path, None if self.out is None else self.target(item), self.options)


@dataclass
class BatchOutcome:
    results: list[LabelResult]
    skipped: list[Skipped] = field(default_factory=list)
    resumed: list[Path] = field(default_factory=list)  # finished by an earlier run, not redone

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def label_paths(
    paths: Iterable[PathLike],
    *,
    out: PathLike | None,
    options: LabelOptions,
    jobs: int | None = None,
    include_hidden: bool = False,
    resume: bool = False,
    limits: Limits | None = None,
    on_result: Callable[[LabelResult], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    ignore: Sequence[IgnoreRules] = (),
    runner: Runner = run,
) -> BatchOutcome:
    """Label every file under ``paths`` into ``out`` (``None`` = in place, with ``options.in_place``)
    on ``runner`` (the local pool; ``DaskEngine(...).run`` runs the files on a Dask cluster).

    Options that concern the whole run (a label value Annex E forbids, a notice under the rules)
    raise ``LabelFormatError`` once, before any file is touched."""
    options = options.validated()
    roots = [Path(p) for p in paths]
    out_dir = Path(out) if out is not None else None
    items, skipped = discover(roots, include_hidden=include_hidden, exclude=out_dir)
    items, ignored = filter_ignored(items, ignore)
    skipped += ignored
    # Workers stage their outputs for a durable group commit: a Dask worker commits each chunk it
    # ran (``commit_chunk``); whatever a runner returns still staged is committed here.
    job = _LabelJob(options, out_dir, new_run_id())
    state_dir = out_dir or (roots[0] if roots[0].is_dir() else roots[0].parent)
    if options.dry_run:
        if on_plan:
            on_plan(len(items))
        return BatchOutcome(run(items, job, jobs=1, on_result=on_result), skipped)
    with output_lock(state_dir):
        killed = unswept_runs(state_dir)  # read before the journal is reopened (and truncated)
        for earlier in killed:
            sweep_run(earlier)
        journal = Journal(state_dir, resume=resume)
        for earlier in killed:
            journal.swept(earlier)
        this_run = Run(job.run, ())
        group: GroupCommit | None = None
        try:
            resumed = [i.path for i in items if journal.finished(i.path, job.target(i))]
            finished = set(resumed)
            todo = [i for i in items if i.path not in finished]
            this_run = Run(job.run, tuple(sorted({os.path.abspath(job.target(i).parent) for i in todo})))
            journal.begin(this_run)
            if on_plan:
                on_plan(len(todo))

            def record(result: LabelResult) -> None:
                if result.output is not None:
                    journal.record(result.source, result.output, result.status)
                if on_result:
                    on_result(result)

            def failed(item: Item, reason: str) -> LabelResult:
                return LabelResult(item.path, job.target(item), Outcome.FAILED, error=reason)

            jobs = jobs or default_jobs()
            group = GroupCommit(record)
            results = runner(todo, job, jobs=jobs, limits=limits, failed=failed, on_result=group.add)
            group.flush()
            results = group.final(results)
        finally:
            if group is not None:
                group.flush()  # stopped: the files already finished are kept (a no-op after a normal end)
            # The workers are gone: temps of one killed by a limit or an interruption are ours to sweep.
            sweep_run(this_run)
            journal.swept(this_run)
            journal.close()
    return BatchOutcome(results, skipped, resumed)
