"""TIFF modes that used to break: 16-bit grey at full depth, bilevel (Group 4, Group 3 fax) drawn in
black and white, planar files written back readable; 16-bit colour refused with the reason.
Inputs made by ImageMagick; outputs read by ImageMagick and exiftool."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeler import LabelOptions, label_file

from .conftest import PRODUCER, sha256
from .image_tools import identify, lost_tags, needs_exiftool, needs_imagemagick, run

pytestmark = [needs_imagemagick, needs_exiftool]
LAYOUT = ("IFD0:StripOffsets", "IFD0:StripByteCounts", "IFD0:RowsPerStrip", "IFD0:PlanarConfiguration")
CASES = {
    "gray16.tif": (["-colorspace", "gray", "-depth", "16", "-compress", "zip"], "16 Gray Zip"),
    "gray16-planar.tif": (["-colorspace", "gray", "-depth", "16", "-interlace", "plane", "-compress", "lzw"], "16 Gray LZW"),
    "bilevel-g4.tif": (["-monochrome", "-compress", "Group4"], "1 Gray Group4"),
    "bilevel-fax.tif": (["-monochrome", "-compress", "Fax"], "1 Gray Fax"),
    "rgb-planar.tif": (["-depth", "8", "-interlace", "plane", "-compress", "lzw"], "8 sRGB LZW"),
}


def make(tmp: Path, name: str, options: list[str]) -> Path:
    path = tmp / name
    run("convert", "-size", "320x240", "-seed", "4", "plasma:fractal", *options, "-set", "comment", "made by ImageMagick", str(path))
    run("exiftool", "-q", "-overwrite_original", "-Artist=Ann Example", "-XMP-dc:Title=tiff", str(path))
    return path


def pixels(path: Path, tmp: Path) -> np.ndarray:
    """Decoded by ImageMagick at 16 bits per sample (an independent decoder)."""
    png = tmp / f"{path.stem}-{path.parent.name}.png"
    run("convert", str(path), "-depth", "16", str(png))
    with Image.open(png) as image:
        return np.asarray(image).astype(np.int64)


@pytest.mark.parametrize("name", sorted(CASES))
def test_tiff_mode_is_kept_and_output_verifies(name: str, tmp_path: Path) -> None:
    options, expected = CASES[name]
    src = make(tmp_path, name, options)
    assert " ".join(identify(src, "%z %[colorspace] %C")) == expected
    before = sha256(src)
    out = tmp_path / "out" / name
    result = label_file(src, out, LabelOptions(producer=PRODUCER, ocr_check=False))
    assert result.ok and result.verdict.status == "compliant", result.error or result.verdict.to_dict()
    assert sha256(src) == before
    assert " ".join(identify(out, "%z %[colorspace] %C")) == expected, "depth, colour space and compression kept"
    assert lost_tags(src, out, changed_ok=LAYOUT) == {}
    x0, y0, x1, y1 = result.verdict.explicit.evidence.detail["box"]
    a, b = pixels(src, tmp_path), pixels(out, tmp_path)
    keep = np.ones(a.shape[:2], bool)
    keep[y0:y1, x0:x1] = False
    assert np.array_equal(a[keep], b[keep]), "pixels outside the notice changed"
    notice = np.unique(b[y0:y1, x0:x1])
    if expected.startswith("1 "):
        assert len(notice) == 2 and notice.min() == 0, "a bilevel notice is pure black and white"  # PNG of a 1-bit TIFF: 0/1
    elif expected.startswith("16 "):
        assert notice.max() >= 65000 and (notice % 257 != 0).any(), "the notice is blended at 16 bits (not 8 bits scaled up)"


def test_16bit_colour_tiff_is_refused_with_the_reason(tmp_path: Path) -> None:
    src = make(tmp_path, "rgb16.tif", ["-depth", "16", "-compress", "zip"])
    out = tmp_path / "out" / "rgb16.tif"
    result = label_file(src, out, LabelOptions(producer=PRODUCER, ocr_check=False))
    assert not result.ok and "16-bit" in result.error and "--no-explicit" in result.error, result.error
    assert not out.exists()
    implicit = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert implicit.ok, implicit.error
    assert identify(out, "%z")[0] == "16" and np.array_equal(pixels(src, tmp_path), pixels(out, tmp_path))
