"""Where outputs may go (issue 15.3 and 15.4): never through a symlink inside the output tree or
at the output's own name, never under a name the file system refuses. Real CLI runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from labeler import LabelOptions, verify_file
from labeler.journal import JOURNAL_NAME, LOCK_NAME
from labeler.labelling import label_file

from .conftest import PRODUCER, sha256

BODY = "# Title\n\nSome copy.\n"


def label(*args: str) -> tuple[int, dict, str]:
    done = subprocess.run(
        [sys.executable, "-m", "labeler", "label", "--producer", PRODUCER, "--no-progress", "--format", "json", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, json.loads(done.stdout) if done.stdout else {}, done.stderr


def by_name(report: dict) -> dict[str, dict]:
    return {Path(f["source"]).name: f for f in report["files"]}


def test_a_symlinked_folder_inside_out_is_refused_and_nothing_lands_outside(tmp_path: Path) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "sub" / "a.md").write_text(BODY)
    (tmp_path / "in" / "deep" / "er").mkdir(parents=True)
    (tmp_path / "in" / "deep" / "er" / "c.md").write_text(BODY)
    (tmp_path / "in" / "b.md").write_text(BODY)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    (out / "deep").mkdir(parents=True)
    (out / "sub").symlink_to(elsewhere, target_is_directory=True)
    (out / "deep" / "er").symlink_to(elsewhere, target_is_directory=True)
    code, report, _ = label(str(tmp_path / "in"), "--out", str(out))
    files = by_name(report)
    assert code == 1 and files["b.md"]["status"] == "labelled"
    for name in ("a.md", "c.md"):
        assert files[name]["status"] == "failed" and "is a symlink inside the output folder" in files[name]["error"], files[name]
    assert list(elsewhere.iterdir()) == [], "nothing is written outside the output tree"


def test_an_output_that_is_a_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text(BODY)
    (tmp_path / "in" / "b.txt").write_text("plain text\n")
    victim = tmp_path / "victim.md"
    victim.write_text("someone else's file\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.md").symlink_to(victim)
    (out / "b.txt.aigc.json").symlink_to(victim)  # the sidecar's name
    code, report, _ = label(str(tmp_path / "in"), "--out", str(out))
    files = by_name(report)
    assert code == 1 and all(f["status"] == "failed" and "is a symlink" in f["error"] for f in files.values()), files
    assert victim.read_text() == "someone else's file\n" and (out / "a.md").is_symlink() and (out / "b.txt.aigc.json").is_symlink()
    assert not (out / "b.txt").exists(), "no output without its sidecar"
    # --in-place on a symlink given directly: the link is not replaced by a regular file
    link = tmp_path / "link.md"
    link.symlink_to(victim)
    code, report, _ = label("--in-place", str(link))
    assert code == 1 and "is a symlink" in report["files"][0]["error"] and link.is_symlink()
    assert victim.read_text() == "someone else's file\n"


def test_planted_state_file_links_are_refused(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text(BODY)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n" * 100)
    before = sha256(victim)
    for name in (LOCK_NAME, JOURNAL_NAME):
        out = tmp_path / f"out-{name}"
        out.mkdir()
        (out / name).symlink_to(victim)
        code, _, stderr = label(str(tmp_path / "in"), "--out", str(out))
        assert code == 2 and "not a symlink" in stderr and "Traceback" not in stderr, stderr
        assert sha256(victim) == before, f"{name}: the link's target was written"


def test_final_names_are_checked_against_name_max_before_writing(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / ("x" * 246 + ".txt")).write_text("plain text\n")  # 250 bytes; its sidecar NAME.aigc.json: 260
    (folder / ("y" * 250 + ".md")).write_text(BODY)  # 253 bytes; labelled in the file, no sidecar
    (folder / ("z." + "e" * 230)).write_text(BODY)  # a name that fits, an extension no temp name can carry
    out = tmp_path / "out"
    _, report, _ = label(str(folder), "--out", str(out))
    files = by_name(report)
    text = files["x" * 246 + ".txt"]
    assert text["status"] == "failed" and "NAME.aigc.json would be 260 bytes" in text["error"] and "at least 5 bytes" in text["error"], text
    assert files["z." + "e" * 230]["status"] == "failed" and "extension" in files["z." + "e" * 230]["error"]
    assert files["y" * 250 + ".md"]["status"] == "labelled"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["y" * 250 + ".md"]
    assert verify_file(out / ("y" * 250 + ".md")).status == "compliant", "verify agrees with label: no sidecar is needed or looked for"
    assert verify_file(folder / ("y" * 250 + ".md")).status == "unlabelled"


def test_paths_over_path_max_are_refused_before_writing(tmp_path: Path) -> None:
    src = tmp_path / "a.md"
    src.write_text(BODY)
    deep = tmp_path.joinpath(*(["d" * 200] * 21)) / "a.md"  # > 4096 bytes
    result = label_file(src, deep, LabelOptions(producer=PRODUCER))
    assert result.status == "failed" and "PATH_MAX" in (result.error or ""), result.error
    assert not (tmp_path / ("d" * 200)).exists()
