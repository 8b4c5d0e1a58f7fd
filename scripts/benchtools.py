"""What every benchmark shares: run a tool, time it, and take the peak RSS of its whole process tree.

Worker processes are the fork server's children, which ``RUSAGE_CHILDREN`` never sees, and a child
forked from a large parent (the benchmark runner after generating 24 MP inputs) reports the
parent's high-water mark as its own ``ru_maxrss``. So a small runner process starts the tool and
samples ``VmHWM`` of every process in the tool's tree every 50 ms.
"""

from __future__ import annotations

import argparse
import compileall
import functools
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

PEAK_RUNNER = """
import os, resource, subprocess, sys, time
def tree(root):
    children = {}
    for name in os.listdir("/proc"):
        try:
            children.setdefault(int(open(f"/proc/{name}/stat").read().rsplit(")", 1)[1].split()[1]), []).append(int(name))
        except (ValueError, OSError, IndexError):
            continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found
def hwm(pid):
    try:
        return next((int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith("VmHWM")), 0)
    except OSError:
        return 0
start = time.perf_counter()
proc, peak = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL), 0
while True:
    peak = max([peak, *map(hwm, tree(proc.pid))])
    try:
        proc.wait(timeout=0.05)  # returns the moment the tool exits
        break
    except subprocess.TimeoutExpired:
        pass
seconds = time.perf_counter() - start
print(proc.returncode, max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), seconds)
"""


@functools.cache
def byte_compiled() -> None:
    """Compile labeler's modules once, as ``pip install`` of a wheel does: an editable install under
    ``PYTHONDONTWRITEBYTECODE`` (this VM sets it) would otherwise compile every module from source in
    every timed process, ~0.3 s that no installed copy pays."""
    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "labeler"), quiet=1)


def measured(command: Sequence[str], *, ok: Sequence[int] = (0,), cwd: Path | None = None) -> tuple[float, float, str]:
    """(wall seconds of the tool from start to exit, peak RSS in MB of its largest process, stderr)
    of ``command``; raises if its exit code is not in ``ok``. The tool's stdout is discarded."""
    byte_compiled()
    os.sync()  # every tool starts without the previous one's dirty pages to write back
    run = subprocess.run([sys.executable, "-c", PEAK_RUNNER, *command], capture_output=True, text=True, cwd=cwd, check=False)
    try:
        code, peak, seconds = int(run.stdout.split()[-3]), int(run.stdout.split()[-2]), float(run.stdout.split()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"{list(command[:3])} could not be run: {run.stderr[-2000:]}") from None
    if code not in ok:
        raise RuntimeError(f"{list(command[:3])} failed ({code}): {run.stderr[-2000:]}")
    return seconds, peak / 1024, run.stderr


def parser(doc: str | None, *, implicit_on: bool = False) -> argparse.ArgumentParser:
    """The family benchmarks' command line: ``--quick``, ``--help`` printing the script's docstring,
    and with ``implicit_on`` the ``--implicit-on DIR`` option of the benchmarks that can clone."""
    out = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    out.add_argument("--quick", action="store_true", help="tiny inputs, seconds: the smoke run the tests use")
    if implicit_on:
        out.add_argument(
            "--implicit-on",
            type=Path,
            metavar="DIR",
            help="only the implicit-label case, inputs and outputs in DIR (e.g. an XFS mount: cloning)",
        )
    return out
