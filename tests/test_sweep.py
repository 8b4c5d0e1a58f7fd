"""The temp-file sweep deletes only temps labeler can prove it made (issue 15.1).

Temp names carry the run's mark (``.labeler-<run id>-…``), the journal records the run and the
folders it writes to, and the sweep removes only marked names in those folders. Real CLI runs in
subprocesses, a real ``kill -9``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labeler import verify_file
from labeler.atomic import is_temp_name
from labeler.journal import JOURNAL_NAME, LOCK_NAME

from .conftest import PRODUCER, sha256

LABEL = ("label", "--producer", PRODUCER, "--no-progress")


def labeler(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labeler", *args], capture_output=True, text=True, timeout=300)


def user_files(*paths: Path) -> dict[Path, str]:
    """Files a user owns whose names look like labeler's: each must survive every run."""
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"user data " + path.name.encode())
    return {p: sha256(p) for p in paths}


def temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".labeler-*") if is_temp_name(p.name)]


def test_in_place_never_deletes_user_files_named_like_temps(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "a.md").write_text("# A\n\ntext\n")
    (project / "sub" / "b.md").write_text("# B\n\ntext\n")
    single = tmp_path / "dir"
    single.mkdir()
    (single / "file.md").write_text("# F\n\ntext\n")
    kept = user_files(
        project / "sub" / ".labeler-notes.txt",
        project / ".labeler-tmpabc.md",
        single / "other" / ".labeler-cache.db",
        single / ".labeler-x.md",
        single / ".labeler-0123.md",
    )
    # each run sweeps at its start (temps of killed runs) and at its end (its own)
    assert labeler(*LABEL, "--in-place", str(project)).returncode == 0
    assert labeler(*LABEL, "--in-place", str(single / "file.md")).returncode == 0
    assert {p: sha256(p) for p in kept} == kept


def test_out_folder_keeps_user_files_named_like_temps(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("# A\n\ntext\n")
    out = tmp_path / "out"
    kept = user_files(out / ".labeler-notes.txt", out / "deep" / ".labeler-cache.db", out / ".labeler-a1b2c3.md")
    assert labeler(*LABEL, str(tmp_path / "in"), "--out", str(out)).returncode == 0
    assert {p: sha256(p) for p in kept} == kept
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".labeler-notes.txt", "deep", ".labeler-a1b2c3.md", "a.md", LOCK_NAME, JOURNAL_NAME]
    )


@pytest.mark.slow
def test_a_killed_runs_temps_are_swept_and_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "big.md").write_text("# big\n\n" + "广告文案，很长很长。\n\n" * 150_000)  # ~4.5 MB: a second or two to label
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "labeler", *LABEL, str(folder), "--out", str(out), "--jobs", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600  # a loaded CI machine can be very slow to get there
    while not temps(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole batch, mid-write
    proc.wait()
    left = temps(out)
    assert left and all(p.parent == out / "sub" for p in left), "the kill must land while the temps exist"
    # A user drops files that look like temps, even with a marked-looking name of another run.
    kept = user_files(out / "sub" / ".labeler-notes.txt", out / ".labeler-cache.db", out / "sub" / (".labeler-" + "f" * 32 + "-mine.md"))
    done = labeler(*LABEL, str(folder), "--out", str(out), "--resume")
    assert done.returncode == 0, done.stderr
    assert temps(out) == [out / "sub" / (".labeler-" + "f" * 32 + "-mine.md")]
    assert {p: sha256(p) for p in kept} == kept
    assert verify_file(out / "sub" / "big.md").status == "compliant"


def worker_of(pid: int) -> int:
    """The pool's worker under ``pid``: a descendant leading its own process group."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry.name) == int(fields[2]) and _descends(int(entry.name), pid):
                return int(entry.name)
    raise AssertionError("no worker found")


def _descends(child: int, ancestor: int) -> bool:
    while child > 1:
        try:
            child = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            return False
        if child == ancestor:
            return True
    return False


@pytest.mark.slow
def test_temps_of_a_killed_worker_are_swept_when_the_batch_ends(tmp_path: Path) -> None:
    # A worker killed mid-file (by --timeout, --max-memory or the OOM killer) leaves its temps; the
    # batch reports the file and sweeps them before it ends, not only on the next run.
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "big.md").write_text("# big\n\n" + "广告文案，很长很长。\n\n" * 150_000)
    (folder / "small.md").write_text("# small\n")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "labeler", *LABEL, str(folder), "--out", str(out), "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 600
    while not temps(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert temps(out), "the worker must be killed while its temps exist"
    os.killpg(worker_of(proc.pid), signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 1 and "the worker died (signal 9)" in stdout, stdout + stderr
    assert temps(out) == [], "the killed worker's temps are swept before the batch ends"
    assert (out / "small.md").exists() and not (out / "big.md").exists()
