"""JPEG notice re-encode keeps every application segment: Adobe APP14 (CMYK/YCCK colour transform),
EXIF, ICC, IPTC, comments. Inputs made by ImageMagick and exiftool; outputs read by ImageMagick."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeler import LabelOptions, label_file
from labeler.adapters.image import jpeg

from .conftest import PRODUCER
from .image_tools import lost_tags, needs_exiftool, needs_imagemagick, run

pytestmark = [needs_imagemagick, needs_exiftool]
ADOBE_FLAGS = (0x8000, 0x0001)  # what Photoshop writes (flags0 "Encoded with Blend=1 downsampling")


def adobe_app14(transform: int, version: int = 101) -> bytes:
    payload = b"Adobe" + struct.pack(">HHHB", version, *ADOBE_FLAGS, transform)
    return b"\xff\xee" + struct.pack(">H", len(payload) + 2) + payload


def app_segments(data: bytes) -> list[bytes]:
    return [data[s.start : s.end] for s in jpeg.segments(data) if 0xE0 <= s.marker <= 0xEF or s.marker == 0xFE]


def label(src: Path, out: Path) -> Path:
    result = label_file(src, out, LabelOptions(producer=PRODUCER, ocr_check=False))
    assert result.ok, result.error
    assert result.verdict.status == "compliant", result.verdict.to_dict()
    return out


def imagemagick_rgb(path: Path, tmp: Path) -> np.ndarray:
    """Decoded by ImageMagick (its own libjpeg colour handling), as 8-bit sRGB."""
    png = tmp / (path.stem + "-im.png")
    run("convert", str(path), "-colorspace", "sRGB", "-depth", "8", f"PNG24:{png}")
    with Image.open(png) as image:
        return np.asarray(image.convert("RGB")).astype(np.int16)


def rich_jpeg(tmp: Path, *extra: str) -> Path:
    """A photo-like ImageMagick JPEG with EXIF, IPTC and a comment written by exiftool."""
    path = tmp / "src.jpg"
    run("convert", "-size", "320x240", "-seed", "7", "plasma:fractal", *extra, "-quality", "88", str(path))
    run("exiftool", "-q", "-overwrite_original", "-Artist=Ann Example", "-Copyright=CC0", "-IPTC:Keywords=test",
        "-IPTC:City=Hangzhou", "-Comment=made by ImageMagick", "-EXIF:Make=TestCam", str(path))  # fmt: skip
    return path


def check_kept(src: Path, out: Path, tmp: Path, expected_transform: int) -> None:
    before, after = src.read_bytes(), out.read_bytes()
    wanted = list(app_segments(before))
    got = [s for s in app_segments(after) if not s.startswith(b"\xff\xe1") or b"http://ns.adobe.com/xap/1.0/\0" not in s[:40]]
    adobe = [i for i, s in enumerate(wanted) if s[4:9] == b"Adobe"]
    assert len(adobe) == 1
    assert got[adobe[0]][:-1] == wanted[adobe[0]][:-1], "APP14 version and flags must be the original's"
    assert got[adobe[0]][-1] == expected_transform
    assert [s for i, s in enumerate(got) if i not in adobe] == [s for i, s in enumerate(wanted) if i not in adobe]
    assert lost_tags(src, out, changed_ok=("Adobe:ColorTransform",)) == {}
    a, b = imagemagick_rgb(src, tmp), imagemagick_rgb(out, tmp)
    assert a.shape == b.shape
    corner = (slice(0, 120), slice(0, 160))  # far from the bottom-right notice
    assert float(np.abs(a[corner] - b[corner]).mean()) < 3.0, "colours changed: the APP14 transform does not match the scan"


def test_imagemagick_cmyk_ycck_keeps_app14_and_colours(tmp_path: Path) -> None:
    src = rich_jpeg(tmp_path, "-colorspace", "CMYK")
    assert b"Adobe" in src.read_bytes() and app_segments(src.read_bytes())[-1]  # ImageMagick writes YCCK (transform 2)
    out = label(src, tmp_path / "out.jpg")
    check_kept(src, out, tmp_path, expected_transform=0)  # Pillow re-encodes YCCK as plain (inverted) CMYK
    with Image.open(src) as a, Image.open(out) as b:
        assert a.mode == b.mode == "CMYK" and a.size == b.size


@pytest.mark.parametrize("transform", [1, 0])
def test_ycbcr_jpeg_with_photoshop_app14_keeps_it(transform: int, tmp_path: Path) -> None:
    """Photoshop writes APP14 on RGB JPEGs too (transform 1, YCbCr); exiftool cannot write APP14, so
    it is spliced in after ImageMagick's JFIF segment. Transform 0 on three components means RGB
    stored without conversion; the re-encode is YCbCr, so the byte must become 1."""
    src = rich_jpeg(tmp_path)
    data = src.read_bytes()
    first = jpeg.segments(data)[1]
    if transform == 1:
        src.write_bytes(data[: first.end] + adobe_app14(transform) + data[first.end :])
        out = label(src, tmp_path / "out.jpg")
        check_kept(src, out, tmp_path, expected_transform=1)
    else:
        edited = tmp_path / "rgb0.jpg"
        edited.write_bytes(data[: first.end] + adobe_app14(0) + data[first.end :])  # scan is still YCbCr: only the segment is checked
        out = label(edited, tmp_path / "out.jpg")
        got = [s for s in app_segments(out.read_bytes()) if s[4:9] == b"Adobe"]
        assert got == [adobe_app14(1)]


def test_no_app14_in_source_gets_none_for_ycbcr(tmp_path: Path) -> None:
    src = rich_jpeg(tmp_path)
    out = label(src, tmp_path / "out.jpg")
    assert not any(s[4:9] == b"Adobe" for s in app_segments(out.read_bytes()))
    assert lost_tags(src, out) == {}
