"""Durable group commit (issue 18a): outputs made durable together, renamed only after, journalled last.

The crash tests run the real CLI in a child process that kills itself with SIGKILL at a chosen
point of a group commit (after some of a group's renames, or after the group is durable but before
any rename): every visible output must be complete and verify, and ``--resume`` must finish the rest.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from labeler import LabelOptions, verify_file
from labeler.api import label_paths
from labeler.atomic import Staged, deferred, is_temp_name
from labeler.commit import GroupCommit
from labeler.journal import JOURNAL_NAME, LOCK_NAME
from labeler.labelling import LabelResult

from .conftest import PRODUCER, sha256

#: Runs ``labeler label`` in this process after arming a real SIGKILL at a point of the group commit.
KILLER = """
import os, signal, sys
import labeler.commit as commit
from labeler.cli import main

point, count = sys.argv[1], int(sys.argv[2])
commit.GROUP_FILES = int(sys.argv[3])
done = [0]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "rename":
    original = commit._rename
    def rename(temp, target):
        if done[0] == count:
            die()
        done[0] += 1
        original(temp, target)
    commit._rename = rename
else:
    original_durable = commit.make_durable
    def make_durable(temps):
        how = original_durable(temps)
        if done[0] == count:
            die()
        done[0] += 1
        return how
    commit.make_durable = make_durable
sys.exit(main(sys.argv[4:]))
"""


def make_inputs(folder: Path, count: int) -> dict[Path, str]:
    """JPEGs (label in the file) and text files (label in a sidecar companion, renamed before the file)."""
    folder.mkdir(parents=True)
    for n in range(count):
        if n % 2:
            buffer = io.BytesIO()
            Image.new("RGB", (64 + n, 48), (n * 5 % 256, 90, 160)).save(buffer, "JPEG")
            (folder / f"f{n:03d}.jpg").write_bytes(buffer.getvalue())
        else:
            (folder / f"f{n:03d}.txt").write_text(f"line {n}\n")
    return {p: sha256(p) for p in folder.iterdir()}


def visible(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if not p.name.startswith(".") and not p.name.endswith(".aigc.json"))


def label_args(src: Path, out: Path) -> list[str]:
    return ["label", str(src), "--out", str(out), "--producer", PRODUCER, "--no-explicit", "--no-progress", "--format", "json", "--resume"]


@pytest.mark.parametrize(("point", "count", "expect_visible"), [("rename", 13, True), ("durable", 1, True), ("durable", 0, False)])
def test_kill_inside_a_group_then_resume(tmp_path: Path, point: str, count: int, expect_visible: bool) -> None:
    inputs = make_inputs(tmp_path / "in", 40)
    out = tmp_path / "out"
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, point, str(count), "8", *label_args(tmp_path / "in", out), "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stderr
    shown = visible(out)
    assert bool(shown) == expect_visible, shown
    for output in shown:  # nothing visible is partial: each output verifies, its sidecar is there before it
        assert verify_file(output, check_explicit=False).status == "unverified", output
    staged = [p for p in out.iterdir() if is_temp_name(p.name)]
    assert staged, "the kill came inside a group: finished temps were waiting for their commit"
    assert {p: sha256(p) for p in inputs} == inputs, "inputs must stay byte-identical"
    journal = [json.loads(line) for line in (out / JOURNAL_NAME).read_text().splitlines() if line.strip()]
    journalled = {Path(line["output"]).name for line in journal if "output" in line}
    assert journalled <= {p.name for p in shown}, "a journal line is written only after its file is visible"

    final = subprocess.run(
        [sys.executable, "-m", "labeler", *label_args(tmp_path / "in", out)], capture_output=True, text=True, timeout=300
    )
    assert final.returncode == 0, final.stderr
    report = json.loads(final.stdout)
    resumed = {Path(s["path"]).name for s in report["skipped"] if "earlier run" in s["reason"]}
    assert resumed == journalled
    assert len(visible(out)) == len(inputs)
    assert all(verify_file(p, check_explicit=False).status == "unverified" for p in visible(out))
    assert not [p for p in out.iterdir() if p.name.startswith(".labeler") and p.name not in (LOCK_NAME, JOURNAL_NAME)], "temps are swept"
    assert {f["write"]["durable"].split(" (")[0] for f in report["files"]} == {"group commit"}


def test_group_is_renamed_only_after_it_is_durable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The order inside the main process: make durable -> rename -> journal/report."""
    make_inputs(tmp_path / "in", 6)
    out = tmp_path / "out"
    events: list[str] = []
    import labeler.commit as commit

    real_durable, real_rename = commit.make_durable, commit._rename

    def durable(temps: object) -> str:
        names = list(temps)  # type: ignore[call-overload]
        assert all(Path(n).exists() and not any(p.name == Path(n).name for p in visible(out)) for n in names)
        assert not visible(out), "nothing may be visible before its group is durable"
        events.append(f"durable {len(names)}")
        return real_durable(names)

    def rename(temp: str, target: str) -> None:
        events.append("rename")
        real_rename(temp, target)

    monkeypatch.setattr(commit, "make_durable", durable)
    monkeypatch.setattr(commit, "_rename", rename)
    outcome = label_paths(
        [tmp_path / "in"],
        out=out,
        options=LabelOptions(producer=PRODUCER, explicit=False),
        jobs=1,
        on_result=lambda r: events.append(f"result {r.status}"),
    )
    assert [r.status for r in outcome.results] == ["labelled"] * 6
    assert events[0] == "durable 9"  # 3 JPEGs + 3 text files with 3 sidecars, one group
    assert events[1:10] == ["rename"] * 9 and events[10:] == ["result labelled"] * 6
    assert all(r.staged == () and r.write and r.write["durable"].startswith("group commit") for r in outcome.results)


def test_failed_durability_publishes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_inputs(tmp_path / "in", 4)
    out = tmp_path / "out"
    import labeler.commit as commit

    def broken(temps: object) -> str:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(commit, "make_durable", broken)
    outcome = label_paths([tmp_path / "in"], out=out, options=LabelOptions(producer=PRODUCER, explicit=False), jobs=1)
    assert [r.status for r in outcome.results] == ["failed"] * 4
    assert all("could not be made durable (Input/output error)" in (r.error or "") for r in outcome.results)
    assert not visible(out) and not [p for p in out.iterdir() if is_temp_name(p.name)]
    assert "output" not in (out / JOURNAL_NAME).read_text()


def test_deferred_stages_instead_of_publishing(tmp_path: Path) -> None:
    from labeler.labelling import label_file

    source = tmp_path / "a.txt"
    source.write_text("hello\n")
    target = tmp_path / "out" / "a.txt"
    with deferred() as staged:
        result = label_file(source, target, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.status == "labelled"
    assert [Path(s.target).name for s in staged] == ["a.txt.aigc.json", "a.txt"]  # companion first
    assert not target.exists() and all(Path(s.temp).exists() for s in staged)
    emitted: list[LabelResult] = []
    group = GroupCommit(emitted.append)
    group.add(LabelResult(source, target, "labelled", staged=tuple(staged)))
    assert not emitted and not target.exists()  # waits for its group
    group.flush()
    assert target.read_text() == "hello\n" and verify_file(target, check_explicit=False).status == "unverified"
    assert emitted[0].staged == ()


def test_group_commits_when_full(tmp_path: Path) -> None:
    emitted: list[LabelResult] = []
    group = GroupCommit(emitted.append, files=2, seconds=3600)
    for n in range(3):
        temp = tmp_path / f".labeler-{'0' * 32}-{n}"
        temp.write_text(str(n))
        group.add(LabelResult(tmp_path / f"s{n}", tmp_path / f"t{n}", "labelled", staged=(Staged(str(temp), str(tmp_path / f"t{n}")),)))
    assert [r.output.name for r in emitted if r.output] == ["t0", "t1"] and not (tmp_path / "t2").exists()
    group.flush()
    assert (tmp_path / "t2").read_text() == "2" and len(emitted) == 3


def staged_group(folder: Path, emitted: list[LabelResult], count: int) -> GroupCommit:
    """A group of ``count`` results, each staging a sidecar and its file."""
    group = GroupCommit(emitted.append, files=100)
    for n in range(count):
        temps = []
        for suffix in (".aigc.json", ""):
            temp = folder / f".labeler-{'0' * 32}-{n}{suffix}"
            temp.write_text(f"{n}{suffix}")
            temps.append(Staged(str(temp), str(folder / f"t{n}{suffix}")))
        group.add(LabelResult(folder / f"s{n}", folder / f"t{n}", "labelled", staged=tuple(temps)))
    return group


@pytest.mark.parametrize(("call", "after_rename"), [(4, False), (4, True), (3, True), (8, True)])
def test_an_interrupted_commit_resumes_where_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: int, after_rename: bool
) -> None:
    """Ctrl-C or SIGTERM raise inside a commit, before a rename or just after it (the handler runs as
    ``os.replace`` returns); the batch's ``finally`` flushes again: every file is renamed once and
    reported once (its journal line is not lost)."""
    import labeler.commit as commit

    emitted: list[LabelResult] = []
    group = staged_group(tmp_path, emitted, 4)
    real, calls = commit._rename, [0]

    def rename(temp: str, target: str) -> None:
        calls[0] += 1
        if calls[0] == call and not after_rename:
            raise KeyboardInterrupt
        real(temp, target)
        if calls[0] == call:
            raise KeyboardInterrupt

    monkeypatch.setattr(commit, "_rename", rename)
    with pytest.raises(KeyboardInterrupt):
        group.flush()
    assert emitted == []
    group.flush()
    assert sorted(r.output.name for r in emitted if r.output) == ["t0", "t1", "t2", "t3"]
    assert all(r.status == "labelled" and r.staged == () for r in emitted)
    assert all((tmp_path / f"t{n}").read_text() == str(n) for n in range(4))
    assert not [p for p in tmp_path.iterdir() if is_temp_name(p.name)]


def test_results_renamed_before_a_stop_are_reported_even_if_the_rest_then_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped mid-group, then the rest cannot be made durable: the files already visible still get
    their journal lines, and only the rest fail."""
    import labeler.commit as commit

    emitted: list[LabelResult] = []
    group = staged_group(tmp_path, emitted, 4)
    real, calls = commit._rename, [0]

    def rename(temp: str, target: str) -> None:
        calls[0] += 1
        real(temp, target)
        if calls[0] == 4:  # t1 renamed, its count not yet taken
            raise KeyboardInterrupt

    monkeypatch.setattr(commit, "_rename", rename)
    with pytest.raises(KeyboardInterrupt):
        group.flush()

    def broken(temps: object) -> str:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(commit, "make_durable", broken)
    group.flush()
    assert {r.output.name: r.status for r in emitted if r.output} == {"t0": "labelled", "t1": "labelled", "t2": "failed", "t3": "failed"}
    assert not (tmp_path / "t2").exists() and not [p for p in tmp_path.iterdir() if is_temp_name(p.name)]


def test_a_runner_that_commits_chunks_and_one_that_does_not(tmp_path: Path) -> None:
    """``commit_chunk`` (what a Dask worker runs after each task) makes the chunk durable and visible
    in its own process; a runner that returns staged results still gets them committed by the batch."""
    make_inputs(tmp_path / "in", 4)
    seen: list[tuple[bool, bool]] = []

    def chunk_runner(items: list, work: object, *, on_result: object, **_: object) -> list[LabelResult]:
        staged = [work(i) for i in items]  # type: ignore[operator]
        assert all(r.staged and not r.output.exists() for r in staged)
        results = work.commit_chunk(staged)  # type: ignore[attr-defined]
        for result in results:
            seen.append((bool(result.staged), result.output.exists()))
            on_result(result)  # type: ignore[operator]
        return results

    def plain_runner(items: list, work: object, *, on_result: object, **_: object) -> list[LabelResult]:
        results = [work(i) for i in items]  # type: ignore[operator]
        for result in results:
            on_result(result)  # type: ignore[operator]
        return results

    for name, runner in (("chunks", chunk_runner), ("plain", plain_runner)):
        out = tmp_path / name
        outcome = label_paths(
            [tmp_path / "in"],
            out=out,
            options=LabelOptions(producer=PRODUCER, explicit=False),
            runner=runner,  # type: ignore[arg-type]
        )
        assert [r.status for r in outcome.results] == ["labelled"] * 4, name
        assert all(r.staged == () and r.write and r.write["durable"].startswith("group commit") for r in outcome.results)
        assert [verify_file(p, check_explicit=False).status for p in visible(out)] == ["unverified"] * 4
        assert len((out / JOURNAL_NAME).read_text().splitlines()) >= 4
    assert seen == [(False, True)] * 4


def test_a_temp_that_vanished_before_its_rename_is_not_taken_as_renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped just before a rename, then the temp disappears (not by labeler): the target is not its
    inode, so that file fails instead of being journalled as published."""
    import labeler.commit as commit

    emitted: list[LabelResult] = []
    group = staged_group(tmp_path, emitted, 2)
    real, calls = commit._rename, [0]

    def rename(temp: str, target: str) -> None:
        calls[0] += 1
        if calls[0] == 4:  # t1's file, its sidecar already renamed
            raise KeyboardInterrupt
        real(temp, target)

    monkeypatch.setattr(commit, "_rename", rename)
    with pytest.raises(KeyboardInterrupt):
        group.flush()
    (tmp_path / f".labeler-{'0' * 32}-1").unlink()
    monkeypatch.setattr(commit, "_rename", real)
    group.flush()
    assert {r.output.name: r.status for r in emitted if r.output} == {"t0": "labelled", "t1": "failed"}
    assert not (tmp_path / "t1").exists()
