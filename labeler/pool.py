"""A worker pool with per-file time and memory limits.

``concurrent.futures`` cannot stop one task, so a single pathological file (a decoder stuck in C,
an ffmpeg that never ends, a decompression bomb) could hang or exhaust a whole batch. Here every
worker is a long-lived process in its own process group with an address-space limit; the parent
tracks a deadline per task, kills the worker's whole group when it passes, reports that file as
failed and starts a fresh worker. A worker that dies (out of memory, a crash in native code) is
reported the same way. Results arrive through ``on_result`` as they finish and are returned in
input order. Workers die with the main process and publish nothing after it (``labeler.lifeline``).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.spawn
import os
import resource
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from . import lifeline

T = TypeVar("T")
R = TypeVar("R")
#: Tasks in flight per worker: the running one and the next, already in the pipe.
QUEUE_DEPTH = 2
#: Each worker's share of the cores, for libraries with their own thread pools (the OCR engine):
#: two workers each running onnxruntime on every core made ``--jobs 2`` slower than ``--jobs 1``.
THREADS_ENV = "LABELER_WORKER_THREADS"


_starting = threading.local()
_MAIN_KEYS = ("init_main_from_name", "init_main_from_path")


def _preparation_data(name: str, _original: Callable[[str], dict[str, Any]] = multiprocessing.spawn.get_preparation_data) -> dict[str, Any]:
    """multiprocessing tells each new process to re-import the caller's ``__main__``, which runs a
    script's top-level code again in every worker (a script without ``if __name__ == "__main__":``
    then starts workers of its own, and they die). A labeler worker needs only labeler: while this
    thread starts one, the main module is left out; other processes are untouched."""
    data = _original(name)
    if getattr(_starting, "worker", False):
        for key in _MAIN_KEYS:
            data.pop(key, None)
    return data


multiprocessing.spawn.get_preparation_data = _preparation_data


@dataclass(frozen=True)
class Limits:
    seconds: float | None = None  # wall time per file
    memory_bytes: int | None = None  # address space a worker may add to what it starts with


Context = multiprocessing.context.ForkServerContext | multiprocessing.context.ForkContext


def _address_space() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _serve(
    conn: Connection, watch: Connection, lifeline_end: int | None, work: Callable[[T], R], memory_bytes: int | None, threads: int
) -> None:
    if lifeline_end is not None:  # forked: only the main process may hold the write end, or its death goes unseen
        os.close(lifeline_end)
    os.setpgrp()  # the parent kills the group: this worker and any ffmpeg it started
    for sig in lifeline.STOP_SIGNALS:  # a forked worker inherits the main process's stop handlers (blocked until here)
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, lifeline.STOP_SIGNALS)
    lifeline.attach(watch)
    os.environ[THREADS_ENV] = str(threads)
    if memory_bytes:
        # Counted from the worker's own start: one forked from the caller inherits the caller's mappings
        # (shared copy-on-write; gigabytes in a process that loaded onnxruntime or OpenCV), a fork-server
        # worker starts at ~50 MB. Either way a file gets the same headroom.
        limit = memory_bytes + _address_space()
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send(None)  # ready: imports are done, so a file's time limit measures only its own work
        while True:
            message = conn.recv()
            if message is None:
                return
            index, item = message
            conn.send((index, work(item)))
    except (EOFError, OSError):
        return  # the main process is gone or stopping: leave quietly, it reports the files


class _Worker(Generic[T, R]):
    """One worker process and the tasks sent to it, oldest first. The head task is running; the
    one queued behind it is already in the pipe, so the worker never waits for the parent between
    small files. The head's deadline starts when it starts."""

    def __init__(
        self,
        context: Context,
        watch: tuple[Connection, Connection],
        work: Callable[[T], R],
        limits: Limits,
        threads: int,
    ) -> None:
        self.conn, child = context.Pipe()
        read_end, write_end = watch
        forked = isinstance(context, multiprocessing.context.ForkContext)
        args = (child, read_end, write_end.fileno() if forked else None, work, limits.memory_bytes, threads)
        self.process = context.Process(target=_serve, args=args, daemon=True)
        _starting.worker = True
        # A stop signal landing in a forked child before it leaves the terminal's process group would run
        # the main process's handler there: the child starts with them blocked and unblocks them in _serve.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, lifeline.STOP_SIGNALS)
        try:
            self.process.start()
        finally:
            _starting.worker = False
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        child.close()
        self.ready = False
        self.tasks: deque[tuple[int, T]] = deque()
        self.seconds = limits.seconds
        self.deadline = float("inf")

    def give(self, index: int, item: T) -> None:
        if not self.tasks:
            self._start_clock()
        self.tasks.append((index, item))
        self.conn.send((index, item))

    def done(self) -> None:
        self.tasks.popleft()
        self._start_clock()

    def _start_clock(self) -> None:
        self.deadline = time.monotonic() + self.seconds if self.seconds else float("inf")

    def kill(self) -> list[tuple[int, R]]:
        """Kill the worker's group; return the results it sent before it died (files it finished)."""
        pid = self.process.pid
        if pid is not None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        self.process.join(5)
        sent = []
        with contextlib.suppress(EOFError, OSError):  # EOF: it died mid-message
            while self.conn.poll(0):
                sent.append(self.conn.recv())
        self.conn.close()
        return sent

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.kill()


def _context(work: Callable[[Any], Any]) -> Context:
    """How to start a worker: fork this process when it runs no other thread (the CLI: labeler is
    imported, ~5 ms per worker); a fork server otherwise (a library caller's threads could hold a lock
    at the fork), a new interpreter that imports labeler again (~0.3 s, before the first file)."""
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    # Import the work's module once in the fork server: workers fork with it loaded instead of each
    # importing labeler afresh (paid again for every replaced worker).
    target = getattr(work, "func", work)
    context.set_forkserver_preload([getattr(target, "__module__", None) or type(target).__module__])
    return context


def run_limited(
    items: Sequence[T],
    work: Callable[[T], R],
    failed: Callable[[T, str], R],
    *,
    jobs: int,
    limits: Limits,
    on_result: Callable[[R], None] | None = None,
) -> list[R]:
    """Map ``work`` over ``items`` in ``jobs`` limited workers; ``failed(item, reason)`` builds the
    result for a file whose worker timed out or died."""
    results: dict[int, R] = {}
    pending = list(enumerate(items))[::-1]
    count = max(1, min(jobs, len(items)))
    threads = max(1, (os.cpu_count() or 1) // count)
    # The workers watch this pipe; only this process holds its write end, and never writes.
    watch, lifeline_end = multiprocessing.Pipe(duplex=False)
    workers = [_Worker(_context(work), (watch, lifeline_end), work, limits, threads) for _ in range(count)]

    def finish(index: int, result: R) -> None:
        results[index] = result
        if on_result:
            on_result(result)

    try:
        while len(results) < len(items):
            for worker in workers:
                while worker.ready and len(worker.tasks) < QUEUE_DEPTH and pending:
                    worker.give(*pending.pop())
            busy = [w for w in workers if w.tasks]
            starting = [w for w in workers if not w.ready]
            deadline = min((w.deadline for w in busy), default=float("inf"))
            timeout = max(0.0, deadline - time.monotonic()) if deadline != float("inf") else None  # no limit: wait for news
            ready = wait([w.conn for w in busy + starting] + [w.process.sentinel for w in busy + starting], timeout=timeout)
            for worker in starting:
                if worker.conn in ready:
                    try:
                        worker.conn.recv()
                        worker.ready = True
                    except (EOFError, OSError):
                        raise RuntimeError("a labeler worker process failed to start") from None
                elif worker.process.sentinel in ready:
                    raise RuntimeError(f"a labeler worker process failed to start (exit code {worker.process.exitcode})")
            for position, worker in enumerate(workers):
                if not worker.tasks:
                    continue
                index, item = worker.tasks[0]
                if worker.conn in ready:
                    try:
                        got_index, result = worker.conn.recv()
                    except (EOFError, OSError):
                        got_index, result = index, None
                    if result is not None:
                        worker.done()
                        finish(got_index, result)
                        continue
                if worker.process.sentinel in ready or worker.conn in ready:
                    worker.process.join(1)  # the pipe's EOF can arrive before the exit status
                    code = worker.process.exitcode
                    reason = f"the worker died (signal {-code})" if code and code < 0 else f"the worker exited ({code})"
                    finish(
                        index,
                        failed(
                            item, f"{reason} while processing this file; it may be hostile or need more memory than --max-memory allows"
                        ),
                    )
                elif time.monotonic() >= worker.deadline:
                    finish(index, failed(item, f"timed out after {limits.seconds:g} s (raise --timeout for very long media)"))
                else:
                    continue
                worker.kill()
                worker.tasks.popleft()
                pending.extend(reversed(worker.tasks))  # queued behind the failed file: not started, run them again
                workers[position] = _Worker(_context(work), (watch, lifeline_end), work, limits, threads)
    finally:
        sent = []
        for worker in workers:
            if worker.tasks:
                sent += worker.kill()
            else:
                worker.stop()
        watch.close()
        lifeline_end.close()
        # Stopped (Ctrl-C, SIGTERM): files finished just before still reach on_result (the journal).
        for index, result in sent:
            if index not in results and result is not None:
                finish(index, result)
    return [results[i] for i in range(len(items))]


def default_memory_limit(jobs: int) -> int:
    """Three quarters of physical memory shared among the workers, at least 2 GiB each."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 8 << 30
    return max(2 << 30, int(total * 0.75) // max(1, jobs))
