"""Signals (issue 15.6): SIGTERM/SIGHUP stop like Ctrl-C, and workers cannot outlive the main process.

Real CLI batches in subprocesses, real signals; the processes are found through /proc.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labeler import verify_file
from labeler.atomic import is_temp_name
from labeler.journal import JOURNAL_NAME

from .conftest import PRODUCER

LABEL = ("label", "--producer", PRODUCER, "--no-progress", "--jobs", "2")


def descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """The pids still running (zombies waiting for a parent count as gone)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def outputs(out: Path) -> set[str]:
    return {p.name for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")}


def temps(out: Path) -> list[Path]:
    return [p for p in out.rglob(".labeler-*") if is_temp_name(p.name)]


def start(folder: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "labeler", *LABEL, str(folder), "--out", str(out), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, seconds: float = 600) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def resume_completes(folder: Path, out: Path, total: int, finished: int) -> None:
    """``--resume`` skips the ``finished`` files and completes the rest."""
    done = subprocess.run(
        [sys.executable, "-m", "labeler", *LABEL, str(folder), "--out", str(out), "--format", "json", "--resume"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    resumed = [s for s in report["skipped"] if "earlier run" in s["reason"]]
    assert len(resumed) == finished and len(report["files"]) == total - finished
    assert len(outputs(out)) == total and temps(out) == []


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_a_stop_signal_ends_the_batch_cleanly(tmp_path: Path, signum: int, status: int) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(400):
        (folder / f"f{n:04d}.md").write_text(f"# Title {n}\n\nCopy {n}.\n")
    out = tmp_path / "out"
    proc = start(folder, out)
    wait_for(lambda: len(outputs(out)) >= 20)
    family = descendants(proc.pid)
    assert len(family) >= 2, "two workers"
    proc.send_signal(signum)  # the main process only, as `kill PID` or a service manager's stop does
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == status, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert f"interrupted by {signal.Signals(signum).name}" in stderr and "--resume" in stderr
    wait_for(lambda: not alive(family), 30)
    assert temps(out) == [], "temps are swept before the main process exits"
    lines = (out / JOURNAL_NAME).read_text().splitlines()
    entries = [json.loads(line) for line in lines]  # no torn line
    done = [e for e in entries if "source" in e]
    assert done and entries[-1].get("swept"), "the journal is closed with the run marked swept"
    # Results a worker sent before the stop are recorded; only one renamed at the very instant of
    # the stop can miss its line (at most one per worker), and --resume labels it again.
    assert 0 <= len(outputs(out)) - len(done) <= 2
    assert all(verify_file(e["output"]).status == "compliant" for e in done)
    resume_completes(folder, out, 400, len(done))


@pytest.mark.slow
def test_killing_only_the_main_process_stops_the_workers_and_publishes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(8):  # each takes a worker about a second: two are queued per worker at any time
        (folder / f"f{n}.md").write_text("# big\n\n" + "广告文案，很长很长。\n\n" * 60_000)
    out = tmp_path / "out"
    proc = start(folder, out)
    wait_for(lambda: len(temps(out)) >= 2)  # workers are mid-file
    family = descendants(proc.pid)
    proc.kill()  # kill -9 of the main process alone (the OOM killer does this)
    proc.wait()
    published = outputs(out)
    started = time.monotonic()
    wait_for(lambda: not alive(family), 60)
    assert time.monotonic() - started < 15, "the workers die with the main process (at once; 15 s for a loaded machine)"
    time.sleep(1)
    assert outputs(out) == published, "nothing is published after the main process (and its lock) is gone"
    assert all(verify_file(out / name).status == "compliant" for name in published)
    resume_completes(folder, out, 8, len(published))
