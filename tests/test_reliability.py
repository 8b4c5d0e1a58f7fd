"""Faults: SIGKILL mid-batch + resume, two writers, disk full, read-only output, vanished inputs,
per-file time and memory limits. Each runs the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labeler import LabelOptions, verify_file
from labeler.api import label_paths
from labeler.cli import main
from labeler.journal import JOURNAL_NAME, LOCK_NAME, output_lock

from .conftest import PRODUCER, sha256

DROP_DAC = ("setpriv", "--bounding-set=-dac_override,-dac_read_search") if os.geteuid() == 0 else ()


def make_inputs(folder: Path, count: int) -> dict[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    kinds = (
        ("md", "# Title {n}\n\nCopy number {n}.\n"),
        ("html", "<html><head><title>{n}</title></head><body><p>Page {n}</p></body></html>\n"),
        ("txt", "Line {n}\n"),
    )
    for n in range(count):
        ext, body = kinds[n % len(kinds)]
        sub = folder / f"d{n % 7}"
        sub.mkdir(exist_ok=True)
        (sub / f"f{n:05d}.{ext}").write_text(body.format(n=n))
    return {p: sha256(p) for p in folder.rglob("*") if p.is_file()}


def cli(*args: str, prefix: tuple[str, ...] = (), **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [*prefix, sys.executable, "-m", "labeler", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )


def visible_outputs(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".aigc.json")]


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in", 600)
    out = tmp_path / "out"
    rng = random.Random(1234)
    args = (
        "label",
        str(tmp_path / "in"),
        "--out",
        str(out),
        "--producer",
        PRODUCER,
        "--no-progress",
        "--format",
        "json",
        "--jobs",
        "2",
        "--resume",
    )
    kills = 0
    for _ in range(4):
        proc = cli(*args, start_new_session=True)
        time.sleep(rng.uniform(0.8, 2.5))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the whole batch: parent and workers
            kills += 1
        proc.communicate()
        # nothing visible is partial: every output present verifies with both labels
        for output in visible_outputs(out):
            assert verify_file(output).status == "compliant", output
        assert {p: sha256(p) for p in inputs} == inputs, "inputs must stay byte-identical"
    assert kills, "the batch finished before any kill; make it bigger"
    done_before = len(visible_outputs(out))
    final = cli(*args)
    stdout, stderr = final.communicate(timeout=600)
    assert final.returncode == 0, stderr
    report = json.loads(stdout)
    redone = {Path(f["source"]) for f in report["files"]}
    resumed = [s for s in report["skipped"] if "earlier run" in s["reason"]]
    assert len(redone) + len(resumed) == len(inputs)
    assert len(resumed) >= done_before - 2 * 2  # at most the files in flight at the kill are redone
    outputs = visible_outputs(out)
    assert len(outputs) == len(inputs)
    assert all(verify_file(p).status == "compliant" for p in outputs)
    assert not [p for p in out.rglob(".labeler-*") if p.name not in (LOCK_NAME, JOURNAL_NAME)], "temp files of killed runs are swept"


def test_second_writer_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Deterministic: this process holds the output folder's lock (as a running batch does) while a
    second labeler starts; no race against a batch that might finish first."""
    make_inputs(tmp_path / "in", 3)
    out = tmp_path / "out"
    args = ["label", str(tmp_path / "in"), "--out", str(out), "--producer", PRODUCER, "--no-progress", "--jobs", "1"]
    with output_lock(out):
        assert main(args) == 2
        assert f"another labeler (pid {os.getpid()}) is writing to" in capsys.readouterr().err
        assert [p.name for p in out.iterdir()] == [LOCK_NAME], "the refused run wrote nothing"
    assert main(args) == 0  # the lock is released with its holder
    outputs = visible_outputs(out)
    assert len(outputs) == 3 and all(verify_file(p).status == "compliant" for p in outputs)


def test_disk_full_gives_clean_per_file_errors(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "small.md").write_text("# small\n")
    (folder / "large.md").write_text("# large\n\n" + "广告文案。\n" * 20000)
    out = tmp_path / "out"

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    proc = cli(
        "label", str(folder), "--out", str(out), "--producer", PRODUCER, "--no-progress", "--format", "json", preexec_fn=limit_file_size
    )
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    report = {Path(f["source"]).name: f for f in json.loads(stdout)["files"]}
    assert report["small.md"]["status"] == "labelled"
    assert report["large.md"]["status"] == "failed" and "File too large" in report["large.md"]["error"]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["small.md"]
    assert not list(out.glob(".labeler-*.md")), "no partial temp file left"


def test_read_only_output_folder_is_a_clear_refusal(tmp_path: Path) -> None:
    make_inputs(tmp_path / "in", 3)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    proc = cli("label", str(tmp_path / "in"), "--out", str(out), "--producer", PRODUCER, "--no-progress", prefix=DROP_DAC)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "check that the folder is writable" in err and "Traceback" not in err
    assert list(out.iterdir()) == []


def test_read_only_subfolder_fails_per_file_and_batch_continues(tmp_path: Path) -> None:
    make_inputs(tmp_path / "in", 14)  # d0..d6
    out = tmp_path / "out"
    (out / "d3").mkdir(parents=True)
    (out / "d3").chmod(0o555)
    proc = cli(
        "label", str(tmp_path / "in"), "--out", str(out), "--producer", PRODUCER, "--no-progress", "--format", "json", prefix=DROP_DAC
    )
    stdout, _ = proc.communicate(timeout=120)
    report = json.loads(stdout)
    failed = [f for f in report["files"] if f["status"] == "failed"]
    assert proc.returncode == 1 and failed and all("/d3/" in f["source"] for f in failed)
    assert all("writable" in f["error"] or "Permission denied" in f["error"] for f in failed)
    assert report["summary"]["labelled"] == 14 - len(failed)


def test_file_deleted_mid_batch(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in", 6)
    victim = sorted(inputs)[2]
    batch = label_paths(
        [tmp_path / "in"], out=tmp_path / "out", options=LabelOptions(producer=PRODUCER), jobs=1, on_plan=lambda n: victim.unlink()
    )
    by_source = {r.source: r for r in batch.results}
    assert by_source[victim].status == "failed" and "does not exist" in by_source[victim].error
    assert sum(r.status == "labelled" for r in batch.results) == 5


@pytest.mark.parametrize("jobs", ["1", "2"])  # with one worker, small.md waits queued behind huge.md
def test_per_file_time_limit(tmp_path: Path, jobs: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "huge.md").write_text("# huge\n\n" + "广告文案，很长很长。\n" * 3_000_000)  # ~90 MB
    (folder / "small.md").write_text("# small\n")
    proc = cli(
        "label",
        str(folder),
        "--out",
        str(tmp_path / "out"),
        "--producer",
        PRODUCER,
        "--no-progress",
        "--format",
        "json",
        "--timeout",
        "1",
        "--jobs",
        jobs,
    )
    stdout, _ = proc.communicate(timeout=120)
    report = {Path(f["source"]).name: f for f in json.loads(stdout)["files"]}
    assert proc.returncode == 1
    assert report["huge.md"]["status"] == "failed" and "timed out after 1 s" in report["huge.md"]["error"]
    assert report["small.md"]["status"] == "labelled"
    assert not (tmp_path / "out" / "huge.md").exists()


def test_per_file_memory_limit(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    # ~90 MB of UTF-8: labelling it takes several times that; an idle worker maps only ~50 MB
    (folder / "huge.md").write_text("# huge\n\n" + "广告文案，很长很长。\n" * 3_000_000)
    (folder / "small.md").write_text("# small\n")
    proc = cli(
        "label",
        str(folder),
        "--out",
        str(tmp_path / "out"),
        "--producer",
        PRODUCER,
        "--no-progress",
        "--format",
        "json",
        "--max-memory",
        "300M",
        "--jobs",
        "1",
    )
    stdout, _ = proc.communicate(timeout=300)
    report = {Path(f["source"]).name: f for f in json.loads(stdout)["files"]}
    assert proc.returncode == 1
    assert report["huge.md"]["status"] == "failed" and ("memory" in report["huge.md"]["error"])
    assert report["small.md"]["status"] == "labelled"
