"""CSV evidence export and the ``--evidence`` bundle (issue 17 item 12).

Inputs are written by hand (the seven-field front matter, as a CMS would) and by ImageMagick, under
names that break naive CSV writers. The CSV is read back with the ``csv`` module, the manifest is
checked with ``hashlib`` and, when present, with GNU ``sha256sum -c`` (an independent reader).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from labeler._version import __version__
from labeler.cli import main
from labeler.label import KEY_NAMES
from labeler.report import DEFAULT_NAMES, FORMATS
from labeler.report.csv import HEADER, neutralise
from labeler.report.evidence import MANIFEST, manifest_line

from .conftest import PRODUCER

LABELLED = """---
AIGC:
  Label: "1"
  ContentProducer: "{producer}"
  ProduceID: "{produce_id}"
  ReservedCode1: ""
  ContentPropagator: ""
  PropagateID: ""
  ReservedCode2: ""
---
本内容由人工智能生成

Body.
"""
#: Names with CSV delimiters, quotes, line breaks, control characters and formula starters.
ODD_NAMES = ("a,b.md", 'q"uote.md', "new\nline.md", "cr\rret.md", "ctl\x01\x1f.md", "=SUM(A1).md", "+1.md", "-2.md", "@cmd.md", "\ttab.md")


@pytest.fixture()
def assets(tmp_path: Path) -> Path:
    folder = tmp_path / "assets"
    folder.mkdir()
    for name in ODD_NAMES:
        (folder / name).write_text(LABELLED.format(producer=PRODUCER, produce_id="doc-1"), encoding="utf-8")
    # A label value that is a formula: printable ASCII, so a valid ProduceID, and it must stay inert.
    (folder / "formula-id.md").write_text(LABELLED.format(producer=PRODUCER, produce_id='=HYPERLINK(\\"x\\")'), encoding="utf-8")
    (folder / "plain.txt").write_text("Some text without any notice.\n", encoding="utf-8")
    if shutil.which("convert"):
        subprocess.run(["convert", "-size", "64x48", "xc:skyblue", str(folder / "photo.png")], check=True)
    return folder


def read_csv(text: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == HEADER
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def unprefixed(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell


def test_neutralise_follows_owasp() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(start + "1+1") == "'" + start + "1+1"
    assert neutralise("plain") == "plain" and neutralise("") == "" and neutralise("a=b") == "a=b"


def test_csv_rows_round_trip_odd_names(assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative paths, so a name's first character starts the cell
    out = tmp_path / "report.csv"
    assert main(["verify", "assets", "--format", "csv", "--output", str(out), "--no-progress", "--jobs", "1"]) == 1
    raw = out.read_bytes()
    assert raw.endswith(b"\r\n")
    rows = read_csv(raw.decode("utf-8"))
    by_name = {Path(unprefixed(r["path"])).name: r for r in rows}
    expected = {*ODD_NAMES, "formula-id.md", "plain.txt"} | ({"photo.png"} if (assets / "photo.png").exists() else set())
    assert set(by_name) == expected  # every odd name survives the CSV exactly (after the OWASP prefix)
    for name in ODD_NAMES:
        r = by_name[name]
        assert r["sha256"] == hashlib.sha256((assets / name).read_bytes()).hexdigest()
        assert r["status"] == "compliant" and r["passed"] == "yes"
        assert [r[k] for k in KEY_NAMES] == ["1", PRODUCER, "doc-1", "", "", "", ""]
        assert "人工智能生成" in r["notice_text"] and r["notice_measured"]
        assert r["tool_version"] == __version__ and r["checked_at"].endswith("+00:00")
    for r in rows:  # no cell a spreadsheet would evaluate
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in r.values()), r
    assert by_name["=SUM(A1).md"]["path"] == "assets/=SUM(A1).md"
    assert rows[0]["path"].startswith("assets/")
    assert by_name["formula-id.md"]["ProduceID"] == '\'=HYPERLINK("x")'
    assert by_name["plain.txt"]["passed"] == "no" and by_name["plain.txt"]["ContentProducer"] == ""


def test_evidence_bundle_manifest(assets: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "evidence"
    assert (
        main(["verify", str(assets), "--evidence", str(bundle), "--no-progress", "--jobs", "1", "--output", str(tmp_path / "out.txt")]) == 1
    )
    assert sorted(p.name for p in bundle.iterdir()) == sorted([*(DEFAULT_NAMES[f] for f in FORMATS), MANIFEST])
    sums: dict[bytes, str] = {}
    for line in (bundle / MANIFEST).read_bytes().splitlines():
        escaped = line.startswith(b"\\")
        digest, _, name = (line[1:] if escaped else line).partition(b"  ")
        if escaped:
            name = name.replace(b"\\\\", b"\0").replace(b"\\n", b"\n").replace(b"\\r", b"\r").replace(b"\0", b"\\")
        sums[name] = digest.decode()
    checked = list(assets.iterdir())
    assert set(sums) == {os.fsencode(DEFAULT_NAMES[f]) for f in FORMATS} | {os.fsencode(p.absolute()) for p in checked}
    for name, digest in sums.items():
        target = Path(os.fsdecode(name)) if name.startswith(b"/") else bundle / os.fsdecode(name)
        assert hashlib.sha256(target.read_bytes()).hexdigest() == digest, name
    # Every report of the bundle tells the same run: CSV rows and JSON files agree.
    document = json.loads((bundle / DEFAULT_NAMES["json"]).read_text(encoding="utf-8"))
    rows = read_csv((bundle / DEFAULT_NAMES["csv"]).read_bytes().decode("utf-8"))  # newline="" semantics
    assert [unprefixed(r["path"]) for r in rows] == [f["path"] for f in document["files"]]
    if shutil.which("sha256sum"):
        done = subprocess.run(["sha256sum", "--check", "--strict", MANIFEST], cwd=bundle, capture_output=True)
        assert done.returncode == 0, done.stdout + done.stderr
        (assets / "plain.txt").write_text("changed\n", encoding="utf-8")
        assert subprocess.run(["sha256sum", "--check", "--quiet", MANIFEST], cwd=bundle, capture_output=True).returncode == 1


def test_manifest_line_escapes_like_gnu() -> None:
    assert manifest_line("ab", b"plain") == b"ab  plain\n"
    assert manifest_line("ab", b"a\nb\\c") == b"\\ab  a\\nb\\\\c\n"
