"""JPEG XL beyond the contract suite: a container with Exif (made by libjxl through
pillow-jxl-plugin) keeps its Exif box through the notice's re-encode, ExifTool reads the label, and
broken or unsupported containers get a clear reason instead of a traceback."""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from labeler import LabelOptions, label_file, verify_file
from labeler.adapters.image import jxl

from .conftest import FIXTURES, PRODUCER, ROOT

pillow_jxl = pytest.importorskip("pillow_jxl")
EXIF = Image.Exif()
EXIF[0x010F] = "LabelerTestCam"  # Make


def _container_with_exif(path: Path) -> bytes:
    with Image.open(FIXTURES / "samples" / "image" / "png-rgb.png") as image:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JXL", lossless=True, use_container=True, exif=EXIF.tobytes())
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


@pytest.mark.slow  # ~8 s on a loaded 2-core machine: a lossless libjxl encode and the notice check
def test_notice_keeps_the_exif_box_and_exiftool_reads_the_label(tmp_path: Path) -> None:
    src = tmp_path / "camera.jxl"
    data = _container_with_exif(src)
    exif_box = next(data[b.offset : b.end] for b in jxl.boxes(data) if b.type == b"Exif")
    out = tmp_path / "out" / "camera.jxl"
    result = label_file(src, out, LabelOptions(producer=PRODUCER, produce_id="jxl-1"))
    assert result.ok and result.verdict.status == "compliant", result.error
    labelled = out.read_bytes()
    assert exif_box in labelled
    if shutil.which("exiftool"):
        config = ROOT / "labeler" / "data" / "exiftool-tc260.config"
        shown = json.loads(
            subprocess.run(
                ["exiftool", "-config", str(config), "-j", "-XMP-TC260:AIGC", "-IFD0:Make", str(out)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )[0]
        assert json.loads(shown["AIGC"])["ProduceID"] == "jxl-1" and shown["Make"] == "LabelerTestCam"


def test_truncated_container_is_a_clear_error(tmp_path: Path) -> None:
    data = _container_with_exif(tmp_path / "whole.jxl")
    cut = tmp_path / "cut.jxl"
    cut.write_bytes(data[: len(data) - 10])
    verdict = verify_file(cut)
    assert verdict.status == "error" and "truncated" in (verdict.error or ""), verdict.error
    assert "internal" not in (verdict.error or "")


def test_brotli_compressed_xmp_is_refused_with_the_fix(tmp_path: Path) -> None:
    data = _container_with_exif(tmp_path / "plain.jxl")
    brob = struct.pack(">I", 8 + 4 + 16) + b"brob" + b"xml " + bytes(16)
    split = next(b.end for b in jxl.boxes(data) if b.type == b"ftyp")
    path = tmp_path / "brob.jxl"
    path.write_bytes(data[:split] + brob + data[split:])
    result = label_file(path, tmp_path / "out" / "brob.jxl", LabelOptions(producer=PRODUCER, explicit=False))
    assert not result.ok and "compress_boxes=0" in (result.error or ""), result.error
