"""``--engine dask``: a batch's per-file tasks on a Dask distributed cluster.

``DaskEngine.run`` has the signature of ``labeler.batch.run`` (items, work, jobs, on_result,
limits, failed) and returns results in input order, so the CLI's reports, exit codes and progress
are the same as with the local pool. One Dask task is a chunk of files:

- The client submits a bounded window of tasks (``WINDOW_PER_THREAD`` per worker thread) and
  tops it up as results arrive, so a million-file batch never holds a million futures. A task
  carries up to ``MAX_CHUNK`` files, fewer towards the end (``chunk_size``): Dask's cost per task
  is milliseconds, more than labelling a small file's metadata. Each file keeps its own limits and
  its own result; a chunk lost with its worker is run again whole (publishing is idempotent).
- Labelling outputs are made durable per task, on the worker that wrote them: the files are
  staged, then one ``syncfs`` and the renames (``_LabelJob.commit_chunk``, the local pool's group
  commit) instead of an ``fsync`` per file and per folder.
- On the worker, the task hands the file to a long-lived child process of that worker thread
  (``labeler.pool``'s worker: its own process group, the address-space limit, the lifeline), so
  the per-file time and memory limits are the local pool's: a file over its time limit or a child
  that dies is this file's failure (``failed``), the child is replaced, the Dask worker lives on.
- A Dask worker lost mid-file (killed, its machine gone) takes its child with it (the lifeline);
  the scheduler runs the task again on another worker. Only after ``allowed-failures`` such
  losses (Dask's default 3) is the file reported failed.

The scheduler is ``--scheduler tcp://HOST:8786`` or ``$LABELER_DASK_SCHEDULER``; without either, a
``LocalCluster`` of ``--jobs`` single-threaded worker processes runs on this machine. A scheduler
that cannot be reached, or has no worker, is a usage error (``EngineError``), never a hang.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import wait
from typing import Any, TypeVar

from ..errors import LabelerError
from ..pool import QUEUE_DEPTH, Limits, _Worker, default_memory_limit

T = TypeVar("T")
R = TypeVar("R")
ENV = "LABELER_DASK_SCHEDULER"
#: Seconds to reach a scheduler, and to wait for its first worker.
CONNECT_TIMEOUT = 10.0
WORKER_TIMEOUT = 60.0
#: Tasks in flight per worker thread: enough to hide the scheduler's round trip between small files.
WINDOW_PER_THREAD = 4
#: Files per Dask task, at most: Dask costs a few ms of scheduler and network time per task, more
#: than labelling a small file's metadata, and each task's outputs are made durable together (one
#: ``syncfs`` per task). Chunks are guided: each takes 1/``CHUNKS_PER_THREAD`` of a thread's share of
#: the files not yet submitted, so they shrink towards the end and no worker idles long on the tail.
MAX_CHUNK = 64
CHUNKS_PER_THREAD = 4
#: Seconds a new child process may take to import labeler.
START_TIMEOUT = 120.0


class EngineError(LabelerError):
    """The Dask cluster cannot run this batch (unreachable, no workers, dask not installed)."""


class _Child:
    """One limited worker process serving one Dask worker thread, reused across its tasks."""

    def __init__(self, work: Callable[[Any], Any], limits: Limits) -> None:
        # Dask starts its workers as daemonic processes, which multiprocessing forbids to have
        # children. The child dies with this worker all the same: it watches the lifeline pipe.
        multiprocessing.current_process().daemon = False
        context = multiprocessing.get_context("forkserver")
        target = getattr(work, "func", work)
        context.set_forkserver_preload([getattr(target, "__module__", None) or type(target).__module__])
        self.watch, self.lifeline = context.Pipe(duplex=False)
        self.worker: _Worker[Any, Any] = _Worker(context, (self.watch, self.lifeline), work, limits, _threads())
        self.seconds = limits.seconds
        if not self.worker.conn.poll(START_TIMEOUT):
            self.close()
            raise RuntimeError("a labeler worker process did not start")
        self.worker.conn.recv()  # ready: its imports are done
        self.alive = True

    def run(self, items: Sequence[Any]) -> Iterator[tuple[bool, Any]]:
        """Per item in order, ``(True, result)`` or ``(False, reason)`` when the file timed out or
        killed the process. The next item waits in the pipe (``QUEUE_DEPTH``) so the process never
        idles between small files; each item's clock starts when it starts. After a failure the
        child is closed and yields nothing more: the caller runs the rest in a new child."""
        worker, pending = self.worker, list(enumerate(items))[::-1]
        while pending or worker.tasks:
            while pending and len(worker.tasks) < QUEUE_DEPTH:
                worker.give(*pending.pop())
            timeout = None if worker.deadline == float("inf") else max(0.0, worker.deadline - time.monotonic())
            ready = wait([worker.conn, worker.process.sentinel], timeout=timeout)
            if worker.conn in ready:
                try:
                    _, result = worker.conn.recv()
                except (EOFError, OSError):
                    result = None
                if result is not None:
                    worker.done()
                    yield True, result
                    continue
            if ready:
                worker.process.join(1)
                code = worker.process.exitcode
                why = f"the worker died (signal {-code})" if code and code < 0 else f"the worker exited ({code})"
                reason = f"{why} while processing this file; it may be hostile or need more memory than --max-memory allows"
            else:
                reason = f"timed out after {self.seconds:g} s (raise --timeout for very long media)"
            self.close()
            yield False, reason
            return

    def close(self) -> None:
        self.alive = False
        if self.worker.tasks:
            self.worker.kill()
        else:
            self.worker.stop()
        self.watch.close()
        self.lifeline.close()


_state = threading.local()


def _threads() -> int:
    """Each child's share of its machine's cores (for libraries with their own thread pools)."""
    try:
        from distributed import get_worker

        return max(1, (os.cpu_count() or 1) // max(1, get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):
        return 1


def _task(run: str, work: Callable[[Any], Any], items: list[Any], limits: Limits, default_memory: bool) -> list[tuple[bool, Any]]:
    """On a Dask worker: ``work(item)`` for each of a chunk's items, in this thread's child process
    (a new one after a file that failed it); then, when the work has one, its ``commit_chunk`` over
    the chunk's results, here on the machine that wrote the files (labelling: one durable group
    commit per chunk)."""
    outcomes: list[tuple[bool, Any]] = []
    while len(outcomes) < len(items):
        outcomes += _child(run, work, limits, default_memory).run(items[len(outcomes) :])
    commit = getattr(work, "commit_chunk", None)
    if commit is None:
        return outcomes
    committed = iter(commit([value for ok, value in outcomes if ok]))
    return [(True, next(committed)) if ok else (False, value) for ok, value in outcomes]


def _child(run: str, work: Callable[[Any], Any], limits: Limits, default_memory: bool) -> _Child:
    """This thread's child process for ``run`` (started on first use, and again after a failure)."""
    children: dict[str, _Child] = _state.__dict__.setdefault("children", {})
    child = children.get(run)
    if child is None or not child.alive:
        for old in children.values():  # one run at a time per thread: an earlier run's child goes
            if old.alive:
                old.close()
        children.clear()
        if default_memory:
            limits = Limits(limits.seconds, default_memory_limit(max(1, os.cpu_count() or 1)))
        child = children[run] = _Child(work, limits)
    return child


def _client(address: str | None, workers: int) -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EngineError("--engine dask needs Dask: pip install 'gb45438-labeler[dask]'") from None
    if address:
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise EngineError(
                f"cannot reach the Dask scheduler at {address} ({exc}); start it (dask scheduler) or fix --scheduler / ${ENV}"
            ) from None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except (OSError, TimeoutError):
        client.close()
        raise EngineError(
            f"the Dask scheduler at {address} has no worker after {WORKER_TIMEOUT:g} s; start workers (dask worker {address})"
        ) from None
    return client


def chunk_size(remaining: int, threads: int) -> int:
    """Files for the next task when ``remaining`` files are not yet submitted (guided scheduling)."""
    return max(1, min(MAX_CHUNK, remaining // max(1, threads * CHUNKS_PER_THREAD)))


class DaskEngine:
    """A Dask client for one batch (``with DaskEngine(...) as engine: engine.run(...)``)."""

    def __init__(self, address: str | None, workers: int, *, default_memory: bool = False) -> None:
        self.address, self.workers, self.default_memory = address, workers, default_memory
        self.client: Any = None

    def __enter__(self) -> DaskEngine:
        self.client = _client(self.address, self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        cluster = self.client.cluster if self.address is None else None
        self.client.close()
        if cluster is not None:
            cluster.close()

    def run(
        self,
        items: Sequence[T],
        work: Callable[[T], R],
        *,
        jobs: int = 1,
        on_result: Callable[[R], None] | None = None,
        limits: Limits | None = None,
        failed: Callable[[T, str], R] | None = None,
    ) -> list[R]:
        """``[work(i) for i in items]`` on the cluster (see the module docstring)."""
        from distributed import as_completed
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        if failed is None:
            raise ValueError("DaskEngine.run needs failed= to report files whose worker dies")
        run, limits = secrets.token_hex(8), limits or Limits()
        results: dict[int, R] = {}
        threads = sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values())
        window = max(8, WINDOW_PER_THREAD * threads)
        submitted = 0
        where: dict[str, tuple[int, int]] = {}  # task key: (first item, item count)
        running = as_completed()

        def submit() -> None:
            nonlocal submitted
            if submitted == len(items):
                return
            start, count = submitted, chunk_size(len(items) - submitted, threads)
            chunk = list(items[start : start + count])
            memory = self.default_memory and limits.memory_bytes is None
            future = self.client.submit(_task, run, work, chunk, limits, memory, key=f"labeler-{run}-{start}", pure=False)
            where[future.key] = (start, len(chunk))
            running.add(future)
            submitted = start + len(chunk)

        for _ in range(window):
            submit()
        try:
            for future in running:
                start, count = where.pop(future.key)
                try:
                    outcomes = future.result()
                except KilledWorker:
                    why = "the Dask workers running this file died repeatedly (Dask's allowed-failures); it may need more memory than the workers have"
                    outcomes = [(False, why)] * count
                except FutureCancelledError:
                    outcomes = [(False, "the Dask task was cancelled (the scheduler restarted or lost it)")] * count
                future.release()
                for index, (ok, value) in enumerate(outcomes, start):
                    results[index] = value if ok else failed(items[index], value)
                    if on_result:
                        on_result(results[index])
                submit()
        finally:
            if where:  # stopped: nothing more runs for this batch
                self.client.cancel(list(running.futures))
        return [results[i] for i in range(len(items))]
