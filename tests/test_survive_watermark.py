"""``labeler survive`` with the invisible watermark layer: files labelled ``--watermark`` (under a key),
then re-encoded by ImageMagick and Pillow; the watermark cell reads verify's ``signals.watermark``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from labeler.cli import main

from .conftest import PRODUCER, ROOT

KEY = "team-secret-19"


def _survive(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["survive", *args, "--format", "json", "--no-progress", "--jobs", "1"])
    report = json.loads(capsys.readouterr().out)
    jsonschema.validate(report, json.loads((ROOT / "docs" / "survive.schema.json").read_text(encoding="utf-8")))
    return code, report


def _cells(report: dict, layer: str) -> dict[str, dict[str, str]]:
    (entry,) = report["files"]
    return {row["transform"]: row["layers"][layer] for row in entry["rows"]}


@pytest.mark.slow  # ~15 s: a watermarked 1024x768 poster through three transforms, three times
def test_the_watermark_outlives_the_metadata_and_needs_its_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in" / "poster.jpg"
    source.parent.mkdir()
    subprocess.run(["convert", "-size", "1024x768", "-seed", "5", "plasma:fractal", str(source)], check=True)
    out = tmp_path / "out"
    code = main(
        ["label", str(source), "--out", str(out), "--producer", PRODUCER, "--watermark", "--watermark-key", KEY]
        + ["--no-progress", "--jobs", "1", "--no-ocr-check"]
    )
    assert code == 0
    labelled = str(out / "poster.jpg")
    code, report = _survive(capsys, labelled, "-t", "strip", "-t", "wechat", "-t", "jpeg-q50", "--watermark-key", KEY)
    assert code == 0
    marks, metadata = _cells(report, "watermark"), _cells(report, "metadata")
    assert marks["original"]["state"] == "present" and "matches the label" in marks["original"]["reason"]
    assert marks["strip"]["state"] == "survived", "the pixels are untouched: the mark must be there"
    assert metadata["strip"]["state"] == "lost" and metadata["wechat"]["state"] == "lost"
    assert marks["wechat"]["state"] == "survived" and marks["jpeg-q50"]["state"] == "survived", marks
    # without the key the mark cannot be found: the original shows none, so nothing can be said to survive
    code, report = _survive(capsys, labelled, "-t", "strip")
    assert _cells(report, "watermark") == {
        "original": {"state": "absent", "reason": _cells(report, "watermark")["original"]["reason"]},
        "strip": {"state": "absent", "reason": "not in the original"},
    }
    code, report = _survive(capsys, labelled, "-t", "strip", "--no-watermark-check")
    assert {c["state"] for c in _cells(report, "watermark").values()} == {"undecided"}
    assert "check is off" in _cells(report, "watermark")["strip"]["reason"]
