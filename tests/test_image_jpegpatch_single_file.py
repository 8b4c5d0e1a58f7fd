"""``labeler label one.jpg`` pays for no worker pool it does not need: workers of a single-threaded
process are forked from it (labeler already imported), with the same limits; a caller with threads
gets fork-server workers."""

from __future__ import annotations

import io
import os
import sys
import threading
import time

import pytest

from labeler.pool import Limits, run_limited
from labeler.progress import Progress


def _parent(item: float) -> tuple[int, int]:
    time.sleep(item)
    return os.getppid(), os.getpid()


def _failed(item: float, reason: str) -> tuple[int, str]:
    return -1, reason


def _allocate(megabytes: int) -> tuple[int, int]:
    block = bytearray(megabytes << 20)
    return len(block), os.getpid()


def test_one_file_runs_in_a_worker_forked_from_this_process() -> None:
    [(parent, worker)] = run_limited([0.0], _parent, _failed, jobs=4, limits=Limits(seconds=30))
    assert parent == os.getpid() and worker != os.getpid()


def test_several_files_run_in_workers_forked_from_this_process() -> None:
    results = run_limited([0.0] * 4, _parent, _failed, jobs=2, limits=Limits(seconds=30))
    assert all(parent == os.getpid() != worker for parent, worker in results), results


def test_a_caller_with_threads_keeps_the_fork_server() -> None:
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)
    helper.start()
    try:
        [(parent, _)] = run_limited([0.0], _parent, _failed, jobs=1, limits=Limits(seconds=30))
    finally:
        stop.set()
        helper.join()
    assert parent != os.getpid()


def test_the_forked_worker_keeps_the_time_limit() -> None:
    started = time.monotonic()
    [(code, reason)] = run_limited([30.0], _parent, _failed, jobs=1, limits=Limits(seconds=1.0))
    assert code == -1 and "timed out after 1 s" in str(reason)
    assert time.monotonic() - started < 20


def test_the_forked_worker_keeps_the_memory_limit() -> None:
    """The limit counts from the worker's start: a caller that has mapped gigabytes (as this test process
    has, late in a full run) still gives the file the whole limit."""
    ballast = bytearray(1536 << 20)  # the caller's own mappings, inherited by the forked worker
    limit = 1 << 30
    [(size, _)] = run_limited([768], _allocate, _failed, jobs=1, limits=Limits(seconds=60, memory_bytes=limit))
    assert size == 768 << 20
    [(code, reason)] = run_limited([1280], _allocate, _failed, jobs=1, limits=Limits(seconds=60, memory_bytes=limit))
    assert code == -1 and "worker" in str(reason), reason
    del ballast


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_live_bar_runs_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refresh thread would make the pool fall back to a fork server (a new interpreter) for its workers."""
    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.delenv("CI", raising=False)
    for total in (1, 2, 500):
        before = threading.active_count()
        progress = Progress(total, "labelling", enabled=True)
        try:
            assert progress._bar is not None or total == 1
            progress.advance("a.jpg")
            assert threading.active_count() == before, total
        finally:
            progress.close()
