"""How a batch stops: signals in the main process, and workers that cannot outlive it.

- ``stop_signals``: SIGTERM and SIGHUP stop the CLI the way Ctrl-C does. The handler raises
  ``Stopped`` (a ``KeyboardInterrupt``), so every ``finally`` runs: the pool kills its workers,
  the batch sweeps its temps and closes the journal, the lock is released; the CLI exits with
  128 + the signal number (130 SIGINT, 143 SIGTERM, 129 SIGHUP). Further stop signals are
  ignored while that cleanup runs, so a second Ctrl-C cannot tear it.
- ``attach`` (in a worker): the main process holds the only write end of a pipe the worker
  watches and never writes to it, so the pipe reads as closed exactly when the main process is
  gone, however it died (``kill -9``, the OOM killer). A thread blocked on it then kills the
  worker's whole process group (the worker and any ffmpeg it started); ``PR_SET_PDEATHSIG``
  makes the kernel kill the worker even if that thread cannot run. ``require_parent`` is called
  right before every rename that publishes a file: with the main process gone, its lock on the
  output folder is gone too, and nothing is published.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType

from .errors import OutputError

#: The signals that stop a run like Ctrl-C (SIGINT keeps Python's KeyboardInterrupt meaning).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_watch: Connection | None = None


class Stopped(KeyboardInterrupt):
    """The run was stopped by ``signum``; the exit status is ``128 + signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum: int, frame: FrameType | None) -> None:
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Stopped(signum)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """Within the block, every stop signal raises ``Stopped``; the old handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    saved = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    try:
        for sig in STOP_SIGNALS:
            signal.signal(sig, _stop)
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def exit_status(stopped: KeyboardInterrupt) -> int:
    return 128 + getattr(stopped, "signum", signal.SIGINT)


def attach(watch: Connection) -> None:
    """In a worker that leads its own process group: die with the main process, publish nothing after it."""
    global _watch
    _watch = watch
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the watching thread alone
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    threading.Thread(target=_die_with_parent, args=(watch,), name="labeler-lifeline", daemon=True).start()


def _die_with_parent(watch: Connection) -> None:
    try:
        closed = watch.poll(None)
    except (OSError, EOFError):
        return  # this worker is shutting down and closed its end
    if closed:
        os.killpg(0, signal.SIGKILL)


def parent_gone() -> bool:
    """True in a worker whose main process has died (the main never writes: readable means closed)."""
    return _watch is not None and _watch.poll(0)


def require_parent(target: Path) -> None:
    if parent_gone():
        raise OutputError(
            "the batch's main process is gone, and with it the lock on the output folder; "
            "nothing was published (run the batch again with --resume)",
            target,
        )
