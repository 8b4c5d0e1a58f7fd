"""The limited worker pool: order, the queued task behind a killed one, deadlines per task."""

from __future__ import annotations

import os
import time

from labeler.pool import Limits, run_limited


def _work(item: float) -> tuple[float, int]:
    time.sleep(item)
    return item, os.getpid()


def _failed(item: float, reason: str) -> tuple[float, str]:
    return item, reason


def test_results_in_input_order_with_tasks_queued_per_worker() -> None:
    items = [0.01 * (i % 3) for i in range(12)]
    results = run_limited(items, _work, _failed, jobs=2, limits=Limits(seconds=30))
    assert [r[0] for r in results] == items
    assert len({r[1] for r in results}) == 2  # both workers took files


def test_a_task_queued_behind_a_timed_out_one_runs_on_a_fresh_worker() -> None:
    seen: list[object] = []
    results = run_limited([5.0, 0.0, 0.0], _work, _failed, jobs=1, limits=Limits(seconds=1.0), on_result=seen.append)
    assert "timed out after 1 s" in str(results[0][1])
    assert [r[0] for r in results[1:]] == [0.0, 0.0] and all(isinstance(r[1], int) for r in results[1:])
    assert len(seen) == 3


def test_each_task_gets_its_own_deadline() -> None:
    # three 0.6 s tasks on one worker with a 1 s limit: each fits, although together they do not
    results = run_limited([0.6, 0.6, 0.6], _work, _failed, jobs=1, limits=Limits(seconds=1.0))
    assert all(isinstance(r[1], int) for r in results), results


def _threads(_: object) -> str:
    return os.environ.get("LABELER_WORKER_THREADS", "")


def test_each_worker_gets_its_share_of_the_cores() -> None:
    cores = os.cpu_count() or 1
    for jobs in (1, 2):
        results = run_limited([0, 1, 2, 3], _threads, _failed, jobs=jobs, limits=Limits(seconds=30))
        assert set(results) == {str(max(1, cores // jobs))}


def test_the_ocr_engine_uses_the_worker_share(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys
    import types

    from labeler.detect import ocr

    made: list[dict[str, object]] = []
    fake = types.ModuleType("rapidocr_onnxruntime")
    fake.RapidOCR = lambda **kwargs: made.append(kwargs) or object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", fake)
    monkeypatch.setenv("LABELER_WORKER_THREADS", "1")
    ocr.engine.cache_clear()
    try:
        ocr.engine()
    finally:
        ocr.engine.cache_clear()
    assert made == [{"intra_op_num_threads": 1}]


def test_no_time_limit_waits_for_results() -> None:
    # --timeout 0: no deadline at all (an infinite wait once overflowed the selector's timeout)
    results = run_limited([0.05, 0.0], _work, _failed, jobs=1, limits=Limits(seconds=None))
    assert [r[0] for r in results] == [0.05, 0.0] and all(isinstance(r[1], int) for r in results)


def _start_method_and_lifeline_writers(_: object) -> tuple[str, bool, int]:
    """In a worker: how it was started, whether its stop signals are unblocked with their default
    handlers, and how many of its descriptors can write to the lifeline pipe it watches (the main
    process must hold the only one)."""
    import multiprocessing
    import signal

    from labeler import lifeline

    assert lifeline._watch is not None
    pipe = os.fstat(lifeline._watch.fileno()).st_ino
    writers = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            same = os.fstat(int(fd)).st_ino == pipe
            flags = int(open(f"/proc/self/fdinfo/{fd}").read().split("flags:")[1].split()[0], 8)  # noqa: SIM115
        except OSError:
            continue
        writers += same and flags & os.O_ACCMODE == os.O_WRONLY
    stops = set(lifeline.STOP_SIGNALS)
    defaults = all(signal.getsignal(sig) == signal.SIG_DFL for sig in stops) and not stops & signal.pthread_sigmask(signal.SIG_BLOCK, [])
    return multiprocessing.get_start_method(), defaults, writers


def test_forked_workers_leave_the_lifeline_to_the_main_process_and_drop_its_handlers() -> None:
    import signal

    from labeler.lifeline import stop_signals

    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with stop_signals():  # as in the CLI: the main process's handlers must not run in a worker
        results = run_limited(list(range(4)), _start_method_and_lifeline_writers, _failed, jobs=2, limits=Limits())
    assert results == [("fork", True, 0)] * 4
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before, "the caller's signal mask is restored"
