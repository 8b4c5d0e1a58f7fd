"""Hostile and unlucky file names (issue 15.2 and 15.5), through the real CLI in subprocesses.

A name that is not valid UTF-8 must not stop the batch, every report must stay valid UTF-8 with
the exact bytes recoverable, and ``--resume`` must recognise the file. Control characters, ANSI
escapes and bidirectional overrides in a name must never reach a terminal or a Markdown summary raw.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema

from labeler import verify_file
from labeler.journal import JOURNAL_NAME

from .conftest import PRODUCER

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))
#: What a UTF-8 desktop terminal session gives Python: strict UTF-8 on stdout.
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}
BAD = b"b-\xff\xfe-latin1-caf\xe9.md"  # Latin-1 bytes: not UTF-8
#: ESC-based colour and window-title sequences, an 8-bit CSI, a newline that forges a line, a
#: right-to-left override, and a bell.
HOSTILE = ["c-\x1b[31mred\x1b[0m.md", "d-\x1b]0;owned\x07.md", "e-\u009b2J.md", "f-forged\nfailed   x.md", "g-\u202edm.exe.md"]
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def labeler(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "labeler", *args], capture_output=True, timeout=300, env=ENV)


def test_a_name_that_is_not_utf8_is_labelled_reported_and_resumed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in (b"a.md", BAD, b"z.md"):  # z.md sorts after the bad name: the batch must reach it
        (Path(os.fsdecode(bytes(folder))) / os.fsdecode(name)).write_bytes(b"# Title\n\nSome copy.\n")
    out = tmp_path / "out"
    done = labeler("label", str(folder), "--out", str(out), "--producer", PRODUCER, "--no-progress", "--format", "json")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    report = json.loads(done.stdout.decode("utf-8"))  # strict: the report is valid UTF-8
    assert [f["status"] for f in report["files"]] == ["labelled"] * 3
    bad = next(f for f in report["files"] if "source_bytes" in f)
    assert base64.b64decode(bad["source_bytes"]) == os.fsencode(folder) + b"/" + BAD
    assert base64.b64decode(bad["output_bytes"]) == os.fsencode(out) + b"/" + BAD
    assert bad["source"].endswith("b-\\xff\\xfe-latin1-caf\\xe9.md")
    assert verify_file(os.fsdecode(os.fsencode(out) + b"/" + BAD)).status == "compliant"
    assert all(json.loads(line) for line in (out / JOURNAL_NAME).read_bytes().decode("ascii").splitlines())

    again = labeler("label", str(folder), "--out", str(out), "--producer", PRODUCER, "--no-progress", "--format", "json", "--resume")
    assert again.returncode == 0, again.stderr.decode(errors="replace")
    resumed = json.loads(again.stdout.decode("utf-8"))
    assert resumed["files"] == [] and len(resumed["skipped"]) == 3
    assert any(base64.b64decode(s.get("path_bytes", "")) == os.fsencode(folder) + b"/" + BAD for s in resumed["skipped"])

    text = labeler("label", str(folder), "--out", str(tmp_path / "text"), "--producer", PRODUCER)
    assert text.returncode == 0 and "b-\\xff\\xfe-latin1-caf\\xe9.md" in text.stdout.decode("utf-8")


def test_every_verify_report_is_valid_utf8_with_the_exact_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / os.fsdecode(BAD)).write_text("# Title\n\nSome copy.\n")
    (folder / "ok.md").write_text("# Title\n\nSome copy.\n")
    reports = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "junit", "sarif", "html", "markdown")}
    args = [arg for fmt, path in reports.items() for arg in ("--report", f"{fmt}={path}")]
    done = labeler("verify", str(folder), "--no-progress", *args)
    assert done.returncode == 1, done.stderr.decode(errors="replace")  # unlabelled files fail the gate; no crash
    assert b"\\xff\\xfe" in done.stdout
    texts = {fmt: path.read_bytes().decode("utf-8") for fmt, path in reports.items()}
    document = json.loads(texts["json"])
    jsonschema.validate(document, SCHEMA)
    bad = next(f for f in document["files"] if "path_bytes" in f)
    assert base64.b64decode(bad["path_bytes"]) == os.fsencode(folder) + b"/" + BAD
    assert next(f for f in document["files"] if f["path"].endswith("ok.md")).get("path_bytes") is None
    assert "b-%FF%FE-latin1-caf%E9.md" in texts["sarif"]  # the location's URI holds the exact bytes
    for fmt in ("junit", "html", "markdown"):
        assert "b-\\xff\\xfe-latin1-caf\\xe9.md" in texts[fmt], fmt


def test_control_characters_in_names_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in HOSTILE:
        (folder / name).write_text("# Title\n\nSome copy.\n")
    label = labeler("label", str(folder), "--out", str(tmp_path / "out"), "--producer", PRODUCER, "--jobs", "1")
    verify = labeler("verify", str(tmp_path / "out"), "--report", f"markdown={tmp_path / 'summary.md'}", "--jobs", "1")
    unlabelled = labeler("verify", str(folder), "--report", f"markdown={tmp_path / 'failing.md'}", "--jobs", "1")
    assert label.returncode == 0 and verify.returncode == 0 and unlabelled.returncode == 1
    shown = {
        "label stdout": label.stdout,
        "label progress": label.stderr,
        "verify stdout": verify.stdout,
        "verify progress": verify.stderr,
        "markdown": (tmp_path / "failing.md").read_bytes(),
        "failing stdout": unlabelled.stdout,
    }
    for where, raw in shown.items():
        text = raw.decode("utf-8")
        assert not RAW_CONTROL.search(text), f"{where}: {RAW_CONTROL.search(text)!r} in {text!r}"
    # each name appears escaped, on one line: a newline in a name forges no report line
    assert "c-\\x1b[31mred\\x1b[0m.md" in label.stdout.decode() and "\\x1b]0;owned\\x07" in verify.stdout.decode()
    assert "e-\\x9b2J.md" in label.stderr.decode() and "g-\\u202edm.exe.md" in label.stdout.decode()
    assert [line for line in label.stdout.decode().splitlines() if line.startswith("failed")] == []
    assert "f-forged\\x0afailed" in (tmp_path / "failing.md").read_text()
    assert (
        sum(line.startswith("| ") and "unlabelled" in line for line in (tmp_path / "failing.md").read_text().splitlines())
        == len(HOSTILE) + 1
    )


def test_usage_errors_escape_the_name_too(tmp_path: Path) -> None:
    missing = tmp_path / "gone-\x1b]0;owned\x07.md"
    done = labeler("verify", str(missing))
    text = done.stderr.decode("utf-8")
    assert done.returncode == 2 and "no such file" in text and "gone-\\x1b]0;owned\\x07.md" in text
    assert not RAW_CONTROL.search(text)
