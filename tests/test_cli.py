"""The CLI as users and CI systems run it: exit codes, JSON report contract, help, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labeler.cli import main

from .conftest import FIXTURES, PRODUCER, sha256

TEXT_SAMPLES = FIXTURES / "samples" / "text"


def run_cli(*args: str, cwd: Path | None = None, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "labeler", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def verify_json(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, dict]:
    code = main(["verify", *map(str, paths), "--format", "json", "--no-progress", "--jobs", "1"])
    return code, json.loads(capsys.readouterr().out)


def test_label_then_verify_mirrors_tree_and_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: sha256(p) for p in TEXT_SAMPLES.iterdir()}
    out = tmp_path / "out"
    assert main(["label", str(TEXT_SAMPLES), "--out", str(out), "--producer", PRODUCER, "--no-progress", "--jobs", "2"]) == 0
    assert {p: sha256(p) for p in TEXT_SAMPLES.iterdir()} == before, "inputs must not change"
    labelled = sorted(p.name for p in out.iterdir() if not p.name.endswith(".aigc.json") and not p.name.startswith("."))
    assert labelled == sorted(p.name for p in TEXT_SAMPLES.iterdir())
    capsys.readouterr()
    code, report = verify_json(capsys, out)
    assert code == 0
    assert report["schema"] == "labeler.report/1" and report["tool"]["name"] == "labeler"
    assert report["summary"]["total"] == len(labelled) == report["summary"]["compliant"]
    entry = next(f for f in report["files"] if f["format"] == "md")
    assert entry["media"] == "text" and entry["classification"] == "ai-generated" and entry["error"] is None
    assert entry["implicit"]["carrier"] == "markdown:front-matter:AIGC"
    assert list(entry["implicit"]["label"]) == [
        "Label",
        "ContentProducer",
        "ProduceID",
        "ReservedCode1",
        "ContentPropagator",
        "PropagateID",
        "ReservedCode2",
    ]
    assert entry["explicit"]["present"] is True and entry["implicit"]["problems"] == []


def test_verify_statuses_and_exit_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = verify_json(capsys, FIXTURES / "cases" / "text")
    assert code == 1
    statuses = {Path(f["path"]).name: f["status"] for f in report["files"]}
    assert statuses["labelled-compliant.md"] == "compliant"
    assert statuses["empty.txt"] == "unlabelled"
    assert statuses["two-labels-disagree.html"] == "invalid"
    for entry in report["files"]:
        for problem in entry["implicit"]["problems"] + entry["explicit"]["problems"]:
            rule = problem.split(":", 1)[0]
            assert rule and "." in rule and " " not in rule, problem  # each starts with a stable rule id


def test_classification_follows_article_6(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    only_notice = tmp_path / "a.txt"
    only_notice.write_text("AI生成\nbody\n")
    code, report = verify_json(capsys, only_notice)
    assert code == 1 and report["files"][0]["status"] == "missing-implicit"
    assert report["files"][0]["classification"] == "suspected-ai"


def test_usage_errors_exit_two(tmp_path: Path) -> None:
    assert run_cli("label", str(TEXT_SAMPLES)).returncode == 2  # neither --out nor --in-place
    result = run_cli("label", str(TEXT_SAMPLES), "--out", str(tmp_path / "o"), "--producer", PRODUCER, "--notice-text", "XX生成")
    assert result.returncode == 2 and "AI element" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("verify", str(tmp_path / "missing"))
    assert result.returncode == 2 and "no such file" in result.stderr
    assert run_cli("label", str(TEXT_SAMPLES), "--out", str(tmp_path / "o")).returncode == 2  # no producer


def test_help_teaches() -> None:
    result = run_cli("--help")
    assert result.returncode == 0 and "examples:" in result.stdout and "exit codes" in result.stdout
    label_help = run_cli("label", "--help").stdout
    for option in (
        "--producer",
        "--produce-id",
        "--role",
        "--propagator",
        "--notice-text",
        "--notice-position",
        "--no-explicit",
        "--in-place",
        "--dry-run",
        "--jobs",
        "--label",
    ):
        assert option in label_help


def test_console_script_installed() -> None:
    exe = shutil.which("labeler")
    assert exe, "the labeler console script is not on PATH (pip install -e .)"
    assert subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.startswith("labeler ")


def test_formats_lists_every_adapter(capsys: pytest.CaptureFixture[str]) -> None:
    from labeler.registry import ADAPTERS

    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for adapter in ADAPTERS:
        assert adapter.name in out
    assert "sidecar" in out


def test_inspect_shows_every_carrier(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(FIXTURES / "cases" / "text" / "two-labels-disagree.html")]) == 0
    out = capsys.readouterr().out
    assert out.count("[html:meta:AIGC]") == 2 and "a code: USCC 91110102MACQD9K640 (valid check)" in out
    assert main(["inspect", "--format", "json", str(FIXTURES / "cases" / "text" / "wrapped-label.html")]) == 0
    (doc,) = json.loads(capsys.readouterr().out)
    assert doc["found"][0]["wrapped"] is True


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    assert (
        main(["label", str(TEXT_SAMPLES), "--out", str(out), "--producer", PRODUCER, "--dry-run", "--no-progress", "--format", "json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert not out.exists()
    assert {f["status"] for f in report["files"]} == {"dry-run"}
    assert all(any("add explicit notice" in a for a in f["actions"]) for f in report["files"])


def test_in_place_is_explicit_and_atomic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "a.md"
    shutil.copyfile(TEXT_SAMPLES / "post-plain.md", target)
    assert main(["label", str(target), "--in-place", "--producer", PRODUCER, "--no-progress"]) == 0
    assert "AIGC:" in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".labeler-journal.jsonl", ".labeler.lock", "a.md"]  # no temp files left


def test_out_equal_to_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copyfile(TEXT_SAMPLES / "post-plain.md", tmp_path / "a.md")
    before = sha256(tmp_path / "a.md")
    assert main(["label", str(tmp_path / "a.md"), "--out", str(tmp_path), "--producer", PRODUCER, "--no-progress"]) == 1
    assert "overwrite the input" in capsys.readouterr().out
    assert sha256(tmp_path / "a.md") == before


def test_batch_continues_after_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o"
    code = main(
        [
            "label",
            str(FIXTURES / "cases" / "text"),
            "--out",
            str(out),
            "--producer",
            PRODUCER,
            "--no-progress",
            "--format",
            "json",
            "--jobs",
            "2",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    failed = {Path(f["source"]).name for f in report["files"] if f["status"] == "failed"}
    # label-chinese-producer.md carries another producer's label (豆包): a producer relabel refuses it
    assert failed == {
        "binary-named.txt",
        "invalid-utf8.txt",
        "bad-front-matter.md",
        "alias-bomb-front-matter.md",
        "label-chinese-producer.md",
    }
    assert all(not (out / name).exists() for name in failed)
    assert (out / "labelled-compliant.md").exists() and (out / "no-head.html").exists()


def test_propagator_keeps_producer_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = FIXTURES / "cases" / "text" / "labelled-compliant.md"
    out = tmp_path / "o"
    assert (
        main(
            [
                "label",
                str(src),
                "--out",
                str(out),
                "--role",
                "propagator",
                "--propagator",
                "00119144030008867405X220001",
                "--propagate-id",
                "jm-1",
                "--no-progress",
            ]
        )
        == 0
    )
    capsys.readouterr()
    _, report = verify_json(capsys, out / src.name)
    label = report["files"][0]["implicit"]["label"]
    assert label == {
        "Label": "1",
        "ContentProducer": PRODUCER,
        "ProduceID": "doubao-7f3a",
        "ReservedCode1": "",
        "ContentPropagator": "00119144030008867405X220001",
        "PropagateID": "jm-1",
        "ReservedCode2": "",
    }


def test_produce_id_is_stable_per_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for run in ("a", "b"):
        main(["label", str(TEXT_SAMPLES / "post-plain.md"), "--out", str(tmp_path / run), "--producer", PRODUCER, "--no-progress"])
    capsys.readouterr()
    ids = [verify_json(capsys, tmp_path / run / "post-plain.md")[1]["files"][0]["implicit"]["label"]["ProduceID"] for run in ("a", "b")]
    assert ids[0] == ids[1] and len(ids[0]) == 32
    main(["label", str(TEXT_SAMPLES / "post-front-matter.md"), "--out", str(tmp_path / "c"), "--producer", PRODUCER, "--no-progress"])
    capsys.readouterr()
    other = verify_json(capsys, tmp_path / "c" / "post-front-matter.md")[1]["files"][0]["implicit"]["label"]["ProduceID"]
    assert other != ids[0]  # different content, different ID


def test_unreadable_file_is_a_clean_error(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(TEXT_SAMPLES / "post-plain.md", folder / "secret.md")
    shutil.copyfile(TEXT_SAMPLES / "post-plain.md", folder / "open.md")
    os.chmod(folder / "secret.md", 0)
    # root reads everything; drop the override capabilities so the permission check is real
    prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search") if os.geteuid() == 0 else ()
    result = run_cli("label", str(folder), "--out", str(tmp_path / "o"), "--producer", PRODUCER, "--no-progress", prefix=prefix)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "permission denied" in result.stdout.lower()
    assert (tmp_path / "o" / "open.md").exists() and not (tmp_path / "o" / "secret.md").exists()
    result = run_cli("verify", str(folder / "secret.md"), "--format", "json", prefix=prefix)
    assert result.returncode == 1 and json.loads(result.stdout)["files"][0]["status"] == "error"


def test_hidden_files_and_symlinks_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / ".hidden.txt").write_text("hidden\n")
    (folder / "seen.txt").write_text("seen\n")
    (folder / "link.txt").symlink_to("/etc/hostname")
    (folder / "loop").symlink_to(folder)
    assert main(["label", str(folder), "--out", str(tmp_path / "o"), "--producer", PRODUCER, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")) == ["seen.txt", "seen.txt.aigc.json"]
    assert "symlink not followed" in out and "symlinked folder not followed" in out


def test_odd_file_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    names = ["-leading dash.txt", 'quote\'s "x".txt', "new\nline.txt", "中文 名.txt"]
    for name in names:
        (folder / name).write_text("body\n")
    assert main(["label", str(folder), "--out", str(tmp_path / "o"), "--producer", PRODUCER, "--no-progress", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(Path(f["source"]).name for f in report["files"]) == sorted(names)


@pytest.mark.slow  # labels and verifies every sample and case (>5 s on 2 cores)
def test_json_report_matches_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parent.parent / "docs" / "report.schema.json").read_text())
    main(["label", str(TEXT_SAMPLES), "--out", str(tmp_path / "o"), "--producer", PRODUCER, "--no-progress"])
    capsys.readouterr()
    for target in (tmp_path / "o", FIXTURES / "cases", FIXTURES / "samples"):
        _, report = verify_json(capsys, target)
        jsonschema.validate(report, schema)
