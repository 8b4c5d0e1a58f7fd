"""labeler label --watermark and labeler verify's signals.watermark, through the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from labeler.cli import main

from .conftest import FIXTURES, PRODUCER, ROOT
from .image_tools import needs_exiftool

sys.path.insert(0, str(ROOT / "scripts"))
import watermark_corpus

SCHEMA = ROOT / "docs" / "report.schema.json"
BASE = ["--no-config", "--no-progress", "-j", "1"]
LABEL = ["label", *BASE, "--producer", PRODUCER, "--no-ocr-check"]


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wm-src")
    rng = np.random.default_rng(7)
    path = folder / "photo.jpg"
    watermark_corpus.photo(rng, 960, 720).save(path, quality=90)
    return path


def verify(capsys: pytest.CaptureFixture[str], path: Path, *flags: str) -> dict[str, Any]:
    capsys.readouterr()
    main(["verify", *BASE, "--format", "json", str(path), *flags])
    document = json.loads(capsys.readouterr().out)
    import jsonschema

    jsonschema.validate(document, json.loads(SCHEMA.read_text(encoding="utf-8")))
    [entry] = document["files"]
    return dict(entry)


def test_label_verify_strip_and_keys(tmp_path: Path, photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main([*LABEL, "--watermark", "--watermark-key", "s3cret", "--out", str(out), str(photo), "--produce-id", "img-1"]) == 0
    labelled = out / "photo.jpg"
    entry = verify(capsys, labelled, "--watermark-key", "s3cret")
    assert entry["status"] == "compliant"
    mark = entry["signals"]["watermark"]
    assert set(mark) == {"present", "payload", "matches_label", "confidence"}
    assert mark["present"] is True and mark["matches_label"] is True and len(mark["payload"]) == 16 and mark["confidence"] > 0.9
    # Without the key, or with another, nothing is found.
    for flags in ((), ("--watermark-key", "other")):
        assert verify(capsys, labelled, *flags)["signals"]["watermark"] == {
            "present": False,
            "payload": None,
            "matches_label": None,
            "confidence": 0.0,
        }
    assert verify(capsys, labelled, "--no-watermark-check")["signals"]["watermark"] is None
    # The key from a file (one trailing newline is not part of it).
    keyfile = tmp_path / "wm.key"
    keyfile.write_text("s3cret\n", encoding="utf-8")
    assert verify(capsys, labelled, "--watermark-key-file", str(keyfile))["signals"]["watermark"]["present"] is True


@needs_exiftool
def test_stripped_metadata_stays_missing_implicit(tmp_path: Path, photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main([*LABEL, "--watermark", "--out", str(out), str(photo)]) == 0
    stripped = tmp_path / "stripped.jpg"
    shutil.copyfile(out / "photo.jpg", stripped)
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-all=", str(stripped)], check=True)
    entry = verify(capsys, stripped, "--watermark-producer", PRODUCER)
    assert entry["status"] == "missing-implicit" and entry["implicit"]["present"] is False
    mark = entry["signals"]["watermark"]
    assert mark["present"] is True and mark["matches_label"] is None
    [warning] = [w for w in entry["signals"]["warnings"] if w.startswith("watermark.without-label")]
    assert f"watermark found: payload {mark['payload']} (producer {PRODUCER})" in warning
    # Not a configured producer: the digest is named instead.
    entry = verify(capsys, stripped)
    assert any(f"payload {mark['payload']} (producer digest {mark['payload'][2:8]}" in w for w in entry["signals"]["warnings"])
    # The text report says it too, and the gate still fails.
    capsys.readouterr()
    assert main(["verify", *BASE, str(stripped)]) == 1
    assert "watermark found: payload" in capsys.readouterr().out


def test_contradicting_label_is_a_warning(tmp_path: Path, photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert main([*LABEL, "--watermark", "--out", str(first), str(photo), "--produce-id", "one"]) == 0
    # Only the metadata label is rewritten (another ProduceID); the pixels keep the first watermark.
    assert main([*LABEL, "--no-explicit", "--out", str(second), str(first / "photo.jpg"), "--produce-id", "two"]) == 0
    entry = verify(capsys, second / "photo.jpg")
    assert entry["status"] == "compliant"  # a warning never fails a file
    assert entry["signals"]["watermark"]["matches_label"] is False
    assert any(w.startswith("watermark.mismatch") and "ProduceID two" in w for w in entry["signals"]["warnings"])


def test_relabelling_keeps_the_watermark_and_refuses_another(tmp_path: Path, photo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, again, other = tmp_path / "out", tmp_path / "again", tmp_path / "other"
    assert main([*LABEL, "--watermark", "--out", str(out), str(photo), "--produce-id", "one"]) == 0
    capsys.readouterr()
    assert main([*LABEL, "--watermark", "--out", str(again), str(out / "photo.jpg"), "--produce-id", "one", "-v"]) == 0
    assert "invisible watermark already present" in capsys.readouterr().out
    assert (again / "photo.jpg").read_bytes() == (out / "photo.jpg").read_bytes()
    assert main([*LABEL, "--watermark", "--out", str(other), str(out / "photo.jpg"), "--produce-id", "two"]) == 1
    assert "already carries a labeler watermark" in capsys.readouterr().out
    assert not (other / "photo.jpg").exists()


def test_refusals_and_media_without_a_watermark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*LABEL, "--watermark", "--no-implicit", "--out", str(tmp_path / "o"), str(FIXTURES / "samples" / "text")]) == 2
    assert "drop --no-implicit or --watermark" in capsys.readouterr().err
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (120, 90), (10, 120, 200)).save(tiny)
    text = tmp_path / "note.txt"
    text.write_text("hello\n", encoding="utf-8")
    capsys.readouterr()
    assert main([*LABEL, "--watermark", "-v", "--out", str(tmp_path / "o"), str(tiny), str(text)]) == 1
    report = capsys.readouterr().out
    assert "the watermark needs at least 256 pixels on each side" in report and not (tmp_path / "o" / "tiny.png").exists()
    assert "no watermark: text files cannot carry one" in report and (tmp_path / "o" / "note.txt").exists()


def test_config_section(tmp_path: Path, photo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "labeler.toml").write_text(
        f'[label]\nproducer = "{PRODUCER}"\n\n[watermark]\nembed = true\nkey = "from-config"\nproducers = ["{PRODUCER}"]\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert main(["label", "--no-progress", "-j", "1", "--no-ocr-check", "--out", "out", str(photo)]) == 0
    capsys.readouterr()
    main(["verify", "--no-progress", "-j", "1", "--format", "json", "out/photo.jpg"])
    [entry] = json.loads(capsys.readouterr().out)["files"]
    assert entry["signals"]["watermark"]["present"] is True and entry["signals"]["watermark"]["matches_label"] is True


def test_watermark_label_and_verify_read_each_file_once(tmp_path: Path, photo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    import io
    import os
    from collections import Counter

    from labeler import LabelOptions, label_file
    from labeler.verify import verify_file
    from labeler.watermark import WatermarkSettings

    counted: Counter[str] = Counter()
    real = builtins.open

    def counting(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if isinstance(file, (str, os.PathLike)) and not any(c in mode for c in "wax+"):
            counted[os.path.abspath(os.fspath(file))] += 1
        return real(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", counting)
    monkeypatch.setattr(io, "open", counting)
    out = tmp_path / "photo.jpg"
    options = LabelOptions(producer=PRODUCER, explicit=False, watermark=WatermarkSettings())
    result = label_file(photo, out, options)
    assert result.ok, result.error
    assert counted[str(photo)] == 1  # sniff, plan (watermark already there?), watermark and label share one read
    counted.clear()
    verdict = verify_file(out)
    assert verdict.signals is not None and verdict.signals.watermark is not None and verdict.signals.watermark.matches_label
    assert counted[str(out)] == 1
