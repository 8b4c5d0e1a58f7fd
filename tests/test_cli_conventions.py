"""CLI conventions: run-wide errors are usage errors said once, and a gate never passes over nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from labeler.cli import main
from labeler.cli.gate import parse_fail_on
from labeler.verify import STATUSES

from .conftest import PRODUCER


def _video(path: Path) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=1", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )
    return path


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--producer", "Acme Marketing"], "--producer: ContentProducer contains the forbidden character ' '"),
        (["--producer", "豆包"], "not a Chinese name"),
        (["--producer", PRODUCER, "--propagator", "x\\y", "--role", "propagator"], "--propagator"),
        (["--producer", PRODUCER, "--notice-duration", "1"], "--notice-duration: the notice duration 1 s is refused"),
        (["--producer", PRODUCER, "--notice-duration", "nan"], "--notice-duration: the notice duration nan s is refused"),
    ],
)
def test_run_wide_errors_are_one_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], said: str) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    for n in range(3):
        (assets / f"post{n}.md").write_text(f"# Post {n}\n\nBody.\n", encoding="utf-8")
    _video(assets / "clip.mp4")
    out = tmp_path / "out"
    code = main(["label", str(assets), "--out", str(out), "--no-progress", "--jobs", "1", "--no-ocr-check", *flags])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("labeler label:") == 1 and said in captured.err, captured.err
    assert captured.out == "" and not out.exists(), "refused before any file is touched"


def _verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(["verify", *args, "--format", "json", "--no-progress", "--jobs", "1", "--no-config"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def test_empty_gate_fails_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, report, err = _verify(capsys, str(empty))
    assert code == 1 and report["gate"]["failed"] is True and "no file was checked" in err and "--allow-empty" in err
    code, report, err = _verify(capsys, str(empty), "--allow-empty")
    assert code == 0 and report["gate"]["failed"] is False
    # Only files labeler does not handle: nothing was checked either.
    (empty / "data.json").write_text(json.dumps({"a": 1}), encoding="utf-8")
    code, report, _ = _verify(capsys, str(empty))
    assert code == 1 and report["summary"]["unsupported"] == 1


def test_unsupported_is_reported_and_fails_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "post.md").write_text("# Post\n\nBody.\n", encoding="utf-8")
    (assets / "data.json").write_text(json.dumps({"k": [1, 2]}), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["label", str(assets / "post.md"), "--out", str(out), "--producer", PRODUCER, "--no-progress", "--jobs", "1"]) == 0
    (out / "data.json").write_bytes((assets / "data.json").read_bytes())
    capsys.readouterr()
    code, report, _ = _verify(capsys, str(out))
    statuses = {Path(f["path"]).name: f["status"] for f in report["files"]}
    assert statuses == {"post.md": "compliant", "data.json": "unsupported"} and code == 0 and report["gate"]["failed"] is False
    for fail_on in ("unsupported", "any", "invalid,unsupported"):
        code, report, _ = _verify(capsys, str(out), "--fail-on", fail_on)
        assert code == 1 and report["gate"]["failed"] is True, fail_on
    code, _, _ = _verify(capsys, str(out), "--fail-on", "invalid")
    assert code == 0
    assert parse_fail_on("any") == frozenset(STATUSES) and parse_fail_on("") is None


def test_inspect_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.png"
    subprocess.run(["convert", "-size", "32x32", "xc:navy", str(good)], check=True)
    broken = tmp_path / "broken.png"
    broken.write_bytes(good.read_bytes()[:40])
    assert main(["inspect", str(good)]) == 0
    assert main(["inspect", str(broken)]) == 1
    capsys.readouterr()
    assert main(["inspect", "--format", "json", str(good), str(broken)]) == 1
    assert [d["status"] for d in json.loads(capsys.readouterr().out)] == ["unlabelled", "error"]
    assert main(["inspect", str(tmp_path)]) == 2
    assert "a folder; inspect reads single files" in capsys.readouterr().err


def _help_examples() -> list[str]:
    """Every ``labeler ...`` line of every ``--help`` (top level and each subcommand), in order."""
    import argparse
    import shlex

    from labeler.cli import build_parser

    parser = build_parser()
    helps = [parser.format_help()]
    for action in parser._actions:  # the subcommand parsers
        if isinstance(action, argparse._SubParsersAction):
            helps += [sub.format_help() for sub in action.choices.values()]
    examples = []
    for text in helps:
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("labeler ") and not stripped.startswith("labeler: "):
                examples.append(shlex.join(shlex.split(stripped, comments=True)))
    return examples


@pytest.mark.slow  # ~12 s on a busy 2-core machine: it labels twice with worker processes
def test_every_help_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    examples = _help_examples()
    assert len(examples) >= 5 and any(e.startswith("labeler verify") and "report.json" in e for e in examples)
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "poster.md").write_text("# Poster\n\nSpring sale.\n", encoding="utf-8")
    subprocess.run(["convert", "-size", "240x160", "gradient:red-blue", str(assets / "banner.png")], check=True)
    monkeypatch.chdir(tmp_path)
    import shlex

    for example in examples:
        argv = shlex.split(example)[1:]
        if argv[0] == "serve":  # runs until stopped: tests/test_serve_api.py starts real servers instead
            continue
        code = main(
            [*argv, *(["--no-progress", "--no-ocr-check"] if argv[0] == "label" else ["--no-progress"] if argv[0] == "verify" else [])]
        )
        captured = capsys.readouterr()
        assert code == 0, f"{example}: exit {code}\n{captured.out}{captured.err}"
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["schema"] == "labeler.report/1" and report["summary"]["compliant"] == 2


def test_label_prints_one_line_per_file_quiet_and_verbose(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    for n in range(3):
        (assets / f"post{n}.md").write_text(f"# Post {n}\n\nBody.\n", encoding="utf-8")
    (assets / "data.json").write_text(json.dumps({"k": 1}), encoding="utf-8")

    def label(out: str, *flags: str) -> tuple[int, str]:
        code = main(["label", str(assets), "--out", str(tmp_path / out), "--producer", PRODUCER, "--no-progress", "--jobs", "1", *flags])
        return code, capsys.readouterr().out

    code, out = label("a")
    lines = out.splitlines()
    assert code == 1 and "ContentProducer" not in out
    assert [line.split()[0] for line in lines[:5]] == ["failed", "data.json:", "labelled", "labelled", "labelled"], out
    assert lines[-1] == "4 files: 1 failed, 3 labelled"
    code, out = label("b", "-v")
    assert out.count('"ContentProducer":"' + PRODUCER + '"') == 3, out
    code, out = label("c", "-q")
    assert "labelled " not in out and "data.json" in out and out.splitlines()[-1] == "4 files: 1 failed, 3 labelled"
    code, out = label("d", "-q", "--format", "json")
    assert len(json.loads(out)["files"]) == 4  # -q/-v shape text only; the JSON report is whole
    with pytest.raises(SystemExit) as usage:
        main(["label", str(assets), "--out", str(tmp_path / "e"), "--producer", PRODUCER, "-q", "-v"])
    assert usage.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_verify_quiet_shows_only_failing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "post.md").write_text("# Post\n\nBody.\n", encoding="utf-8")
    assert (
        main(["label", str(tmp_path / "post.md"), "--out", str(tmp_path / "out"), "--producer", PRODUCER, "--no-progress", "--jobs", "1"])
        == 0
    )
    (tmp_path / "out" / "raw.md").write_text("# Raw\n\nNo labels.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(tmp_path / "out"), "-q", "--jobs", "1", "--no-config"]) == 1
    out = capsys.readouterr().out
    assert "raw.md" in out and "post.md" not in out and "gate failed (1 file(s))" in out
