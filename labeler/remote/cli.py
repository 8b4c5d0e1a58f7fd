"""The command line's side of URLs and engines: ``--engine``, ``--scheduler``, ``--storage-option``.

``label_batch`` and ``verify_batch`` pick the path: local paths on the local pool are exactly the
old ``label_paths`` / ``verify_paths`` flow; local paths on Dask are that same flow with the Dask
engine as its runner (the output folder's lock, journal and temp sweep unchanged; the workers
must see the same paths, e.g. a shared file system); any URL goes through ``labeler.remote.urls``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import Any

from ..api import BatchOutcome, _unchecked, label_paths
from ..batch import Skipped, discover, run
from ..ignore import filter_ignored
from ..verify import Verdict, verify_file
from .dask_engine import ENV, DaskEngine
from .storage import StorageError, is_url, parse_storage_options
from .urls import label_urls, verify_plan


def add_engine_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("object storage and Dask (pip install 'gb45438-labeler[dask]')")
    g.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="where files are processed: local worker processes (default), or a Dask cluster",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=f"Dask scheduler, e.g. tcp://HOST:8786 (default ${ENV}; neither: a local Dask cluster of --jobs workers)",
    )
    g.add_argument(
        "--storage-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fsspec option for URLs (s3://, gs://, az://), repeatable: endpoint_url=http://HOST:9000, anon=true, "
        "client_kwargs.region_name=eu-west-1 (credentials otherwise come from AWS_* variables, config files or roles)",
    )


@contextlib.contextmanager
def engine(args: argparse.Namespace, jobs: int) -> Iterator[Callable[..., list[Any]]]:
    """The runner for this command: ``labeler.batch.run`` (local pool) or a connected Dask engine."""
    if args.engine != "dask":
        yield run
        return
    address = args.scheduler or os.environ.get(ENV) or None
    with DaskEngine(address, jobs, default_memory=address is not None and args.max_memory is None) as dask:
        yield dask.run


def _has_url(args: argparse.Namespace) -> bool:
    return any(is_url(p) for p in [*args.paths, getattr(args, "out", None)])


def label_batch(args: argparse.Namespace, jobs: int, **kwargs: Any) -> BatchOutcome:
    """``label_paths`` for local paths, ``label_urls`` when a path or ``--out`` is a URL."""
    with engine(args, jobs) as runner:
        if _has_url(args):
            return label_urls(
                args.paths, out=args.out, storage_options=parse_storage_options(args.storage_option), runner=runner, jobs=jobs, **kwargs
            )
        return label_paths(args.paths, out=args.out, runner=runner, jobs=jobs, **kwargs)


def verify_batch(
    args: argparse.Namespace,
    jobs: int,
    *,
    policy: Any,
    signals: Any,
    limits: Any,
    ignore: Any,
    on_plan: Callable[[int], Callable[[Verdict], None]],
) -> tuple[list[Verdict], list[Skipped]]:
    """The verdicts for ``labeler verify`` and the files skipped; ``on_plan(total)`` returns the
    per-result callback (progress needs the total first)."""
    if _has_url(args):
        if getattr(args, "evidence", None) is not None:
            raise StorageError(
                "--evidence hashes the checked files themselves and needs local paths; copy the objects "
                "(e.g. aws s3 sync) and verify the copies, or use --report for the reports"
            )
        items, skipped, task = verify_plan(
            args.paths,
            policy=policy,
            signals=signals,
            include_hidden=args.include_hidden,
            storage_options=parse_storage_options(args.storage_option),
        )
        work: Callable[[Any], Verdict] = task
        failed: Callable[[Any, str], Verdict] = task.failed
        todo: list[Any] = list(items)
    else:
        found, skipped = discover(args.paths, include_hidden=args.include_hidden)
        found, ignored = filter_ignored(found, ignore)
        skipped += ignored
        todo, work, failed = [i.path for i in found], functools.partial(verify_file, policy=policy, signals=signals), _unchecked
    on_result = on_plan(len(todo))
    with engine(args, jobs) as runner:
        return runner(todo, work, jobs=jobs, limits=limits, failed=failed, on_result=on_result), skipped
