"""JPEG notices re-encode only the 8x8 blocks under the notice (``jpegpatch``).

Inputs are made by ImageMagick and Pillow (4:4:4 / 4:2:2 / 4:2:0, progressive, restart markers,
greyscale, odd sizes, EXIF orientation) with tags written by exiftool. Outputs are judged by
independent readers: Pillow's decode (pixels more than 32 px from the notice box identical),
jpeglib's coefficient arrays (every block outside the notice's MCUs identical), exiftool (every
original tag still there) and labeler's own verify (compliant, receipt box where it was planned).
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps, JpegImagePlugin

from labeler import LabelOptions, label_file
from labeler.adapters.image import jpegpatch, mpf
from labeler.adapters.image.pixels import stored_box
from labeler.notice import Notice
from labeler.registry import sniff
from labeler.render import plan_banner

from .conftest import FIXTURES, PRODUCER
from .image_tools import lost_tags, needs_exiftool, needs_imagemagick, run

jpeglib = pytest.importorskip("jpeglib", reason="jpeglib (the independent coefficient reader) is in the test extra")
pytestmark = [
    needs_imagemagick,
    needs_exiftool,
    pytest.mark.skipif(not all(map(shutil.which, jpegpatch.TOOLS)), reason="jpegtran/djpeg not installed (libjpeg-turbo-progs)"),
]
MARGIN = 32  # pixels further than this from the notice box must decode identically


def photo(size: tuple[int, int], seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = size
    small = rng.integers(0, 255, (max(2, height // 40), max(2, width // 40), 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(small).resize(size, Image.Resampling.BICUBIC), np.float32)
    return Image.fromarray(np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8))


def tag(path: Path, *extra: str) -> Path:
    run("exiftool", "-q", "-overwrite_original", "-Artist=Ann Example", "-Copyright=CC0", "-IPTC:Keywords=test",
        "-Comment=kept comment", "-EXIF:Make=TestCam", "-XMP-dc:Title=kept title", *extra, str(path))  # fmt: skip
    return path


def pillow_jpeg(tmp: Path, name: str, size: tuple[int, int] = (1001, 667), **options: object) -> Path:
    size = options.pop("size", size)  # type: ignore[assignment]
    path = tmp / name
    photo(size, len(name)).save(path, "JPEG", icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), **options)
    return tag(path)


def magick_jpeg(tmp: Path, name: str, *options: str) -> Path:
    path = tmp / name
    photo((960, 720), 5).save(tmp / "base.png")
    run("convert", str(tmp / "base.png"), *options, str(path))
    return tag(path)


def restart_interval(data: bytes) -> int:
    at = data.find(b"\xff\xdd\x00\x04")
    return struct.unpack(">H", data[at + 4 : at + 6])[0] if at >= 0 else 0


def label(src: Path, out: Path) -> Path:
    result = label_file(src, out, LabelOptions(producer=PRODUCER, ocr_check=False))
    assert result.ok, result.error
    assert result.verdict is not None and result.verdict.status == "compliant", result.verdict
    return out


def receipt(path: Path) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
    evidence = sniff(path).adapter.detect_explicit(path)
    assert evidence.detail["method"] == "receipt", evidence
    return tuple(evidence.detail["box"]), tuple(evidence.detail["frame"])  # type: ignore[return-value]


def far_from(box: tuple[int, int, int, int], shape: tuple[int, ...], margin: int = MARGIN) -> np.ndarray:
    keep = np.ones(shape[:2], dtype=bool)
    x0, y0, x1, y1 = box
    keep[max(0, y0 - margin) : y1 + margin, max(0, x0 - margin) : x1 + margin] = False
    return keep


def coefficients(path: Path) -> list[np.ndarray]:
    dct = jpeglib.read_dct(str(path))
    return [a for a in (dct.Y, dct.Cb, dct.Cr) if a is not None]


def changed_blocks(a: Path, b: Path) -> list[tuple[int, int, int, int] | None]:
    """Per component, the bounding box (in blocks) of the blocks whose coefficients differ."""
    boxes: list[tuple[int, int, int, int] | None] = []
    for ca, cb in zip(coefficients(a), coefficients(b), strict=True):
        assert ca.shape == cb.shape
        ys, xs = np.nonzero(np.any(ca != cb, axis=(2, 3)))
        boxes.append((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1) if len(xs) else None)
    return boxes


def check_patched(src: Path, out: Path) -> None:
    """Only the notice's MCUs changed; everything else is the source, bit for bit at the coefficient level."""
    box, frame = receipt(out)
    with Image.open(src) as a, Image.open(out) as b:
        assert a.quantization == b.quantization
        assert JpegImagePlugin.get_sampling(a) == JpegImagePlugin.get_sampling(b)
        assert bool(a.info.get("progressive")) == bool(b.info.get("progressive"))
        assert a.info.get("icc_profile") == b.info.get("icc_profile")
        orientation = a.getexif().get(0x0112, 1)
        assert frame == ImageOps.exif_transpose(a).size
        assert box == plan_banner("AI生成", frame).box
        stored = stored_box(box, a.size, orientation)
        pa, pb = np.asarray(a), np.asarray(b)
        keep = far_from(stored, pa.shape)
        assert np.array_equal(pa[keep], pb[keep]), "a pixel far from the notice changed"
        assert not np.array_equal(pa[~keep], pb[~keep]), "the notice was not drawn"
        luma = jpegpatch.frame_of(src.read_bytes())
        assert luma is not None
        mcu_w, mcu_h = luma.mcu
    assert restart_interval(src.read_bytes()) == restart_interval(out.read_bytes())
    for index, blocks in enumerate(changed_blocks(src, out)):
        assert blocks is not None, f"component {index}: no block changed"
        scale_x = mcu_w // 8 if index == 0 else 1
        scale_y = mcu_h // 8 if index == 0 else 1
        x0, y0, x1, y1 = stored
        mcu = (x0 // mcu_w, y0 // mcu_h, -(-x1 // mcu_w), -(-y1 // mcu_h))  # the notice's MCUs
        allowed = (mcu[0] * scale_x, mcu[1] * scale_y, mcu[2] * scale_x, mcu[3] * scale_y) if len(coefficients(src)) > 1 else None
        if allowed is None:  # greyscale: 8x8 blocks
            allowed = (x0 // 8, y0 // 8, -(-x1 // 8), -(-y1 // 8))
        assert allowed[0] <= blocks[0] and allowed[1] <= blocks[1] and blocks[2] <= allowed[2] and blocks[3] <= allowed[3], (
            index,
            blocks,
            allowed,
        )
    assert lost_tags(src, out) == {}


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("q95-444.jpg", {"quality": 95, "subsampling": 0}),
        ("q80-422.jpg", {"quality": 80, "subsampling": 1}),
        ("q70-420.jpg", {"quality": 70, "subsampling": 2}),
        ("q88-420-progressive.jpg", {"quality": 88, "subsampling": 2, "progressive": True}),
        ("q85-420-restart-rows.jpg", {"quality": 85, "subsampling": 2, "restart_marker_rows": 1}),
        ("q90-422-restart-blocks-progressive.jpg", {"quality": 90, "subsampling": 1, "restart_marker_blocks": 7, "progressive": True}),
        ("q85-420-partial-edge-mcu.jpg", {"quality": 85, "subsampling": 2, "size": (700, 505)}),  # the notice's last MCUs are partial
        ("16-bit-tables.jpg", {"qtables": [[v * 5 for v in range(1, 65)], [300] * 64], "subsampling": 2}),
    ],
)
def test_pillow_jpegs_change_only_the_notice_blocks(name: str, options: dict[str, object], tmp_path: Path) -> None:
    src = pillow_jpeg(tmp_path, name, **options)
    check_patched(src, label(src, tmp_path / "out" / name))


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("progressive-422.jpg", ("-quality", "90", "-sampling-factor", "2x1", "-interlace", "JPEG")),
        ("gray.jpg", ("-colorspace", "Gray", "-quality", "82")),
        ("odd-size-444.jpg", ("-resize", "777x555!", "-sampling-factor", "1x1", "-quality", "91")),
    ],
)  # fmt: skip
def test_imagemagick_jpegs_change_only_the_notice_blocks(name: str, options: tuple[str, ...], tmp_path: Path) -> None:
    src = magick_jpeg(tmp_path, name, *options)
    check_patched(src, label(src, tmp_path / "out" / name))


def test_exif_orientation_puts_the_patch_under_the_displayed_corner(tmp_path: Path) -> None:
    src = tag(pillow_jpeg(tmp_path, "rotated.jpg", quality=90), "-Orientation=6", "-n")
    out = label(src, tmp_path / "out" / "rotated.jpg")
    check_patched(src, out)
    with Image.open(out) as image:
        shown = np.asarray(ImageOps.exif_transpose(image).convert("L"))
    box, _ = receipt(out)
    assert float(shown[box[1] : box[3], box[0] : box[2]].mean()) < float(shown.mean()), "the dark notice box is where the receipt says"


def test_relabelling_never_degrades_the_rest(tmp_path: Path) -> None:
    """A notice drawn again (another corner) and a second labelling run leave every other block as it was."""
    src = pillow_jpeg(tmp_path, "src.jpg", quality=85)
    first = label(src, tmp_path / "one" / "src.jpg")
    again = label(first, tmp_path / "two" / "src.jpg")  # the notice is found by its receipt: not drawn again
    assert all(np.array_equal(a, b) for a, b in zip(coefficients(first), coefficients(again), strict=True))
    moved = tmp_path / "moved.jpg"
    sniff(first).adapter.write_explicit(first, moved, Notice(position="top-left"))
    boxes = changed_blocks(first, moved)
    assert boxes[0] is not None and boxes[0][2] * 8 < 1001 // 2 and boxes[0][3] * 8 < 667 // 2, "only the new top-left notice's blocks"
    with Image.open(first) as a, Image.open(moved) as b:
        assert np.array_equal(np.asarray(a)[400:, 600:], np.asarray(b)[400:, 600:]), "the first notice is untouched"


def test_mpo_keeps_its_second_image_and_index(tmp_path: Path) -> None:
    src = FIXTURES / "samples" / "image" / "mpo-stereo.mpo"
    out = label(src, tmp_path / "out.mpo")
    assert out.read_bytes().endswith(src.read_bytes()[len(src.read_bytes()) - len(mpf.tail(src.read_bytes())) :])
    with Image.open(src) as a, Image.open(out) as b:
        assert getattr(b, "n_frames", 1) == getattr(a, "n_frames", 1) == 2
        b.seek(1)
        a.seek(1)
        assert np.array_equal(np.asarray(a), np.asarray(b))
    primary = tmp_path / "primary.jpg"
    primary.write_bytes(out.read_bytes()[: len(out.read_bytes()) - len(mpf.tail(out.read_bytes()))])
    source_primary = tmp_path / "source-primary.jpg"
    source_primary.write_bytes(src.read_bytes()[: len(src.read_bytes()) - len(mpf.tail(src.read_bytes()))])
    assert sum(b is not None for b in changed_blocks(source_primary, primary)) >= 1
    assert "MPImage2" in run("exiftool", "-a", "-G1", "-s", str(out))


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: magick_jpeg(tmp, "cmyk.jpg", "-colorspace", "CMYK", "-quality", "88"), "CMYK/YCCK"),
        (lambda tmp: magick_jpeg(tmp, "411.jpg", "-sampling-factor", "4x1", "-quality", "88"), "chroma sampling 4x1 1x1 1x1"),
        (lambda tmp: pillow_jpeg(tmp, "rgb.jpg", quality=90, keep_rgb=True), "RGB-coded"),
    ],
)
def test_files_the_patch_cannot_take_go_the_old_way_and_say_why(make, reason: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = make(tmp_path)
    why = jpegpatch.route(src.read_bytes())
    assert why is not None and reason in why
    result = label_file(src, tmp_path / "out" / src.name, LabelOptions(producer=PRODUCER, ocr_check=False))
    assert result.ok and result.verdict is not None and result.verdict.status == "compliant", result.error
    assert any(reason in a and "whole image re-encoded" in a for a in result.actions), result.actions


def test_arithmetic_coded_jpeg_goes_the_old_way(tmp_path: Path) -> None:
    src = pillow_jpeg(tmp_path, "huffman.jpg", quality=85)
    arithmetic = tmp_path / "arith.jpg"
    arithmetic.write_bytes(subprocess.run(["jpegtran", "-arithmetic", "-copy", "all", str(src)], capture_output=True, check=True).stdout)
    why = jpegpatch.route(arithmetic.read_bytes())
    assert why is not None and "SOF 0xC9" in why


def test_without_jpegtran_the_whole_image_is_re_encoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = pillow_jpeg(tmp_path, "src.jpg", quality=85)
    real = shutil.which
    monkeypatch.setattr(jpegpatch.shutil, "which", lambda name: None if name == "jpegtran" else real(name))
    result = label_file(src, tmp_path / "out.jpg", LabelOptions(producer=PRODUCER, ocr_check=False))
    assert result.ok and result.verdict is not None and result.verdict.status == "compliant"
    assert any("jpegtran not installed (apt-get install libjpeg-turbo-progs)" in a for a in result.actions), result.actions
    blocks = changed_blocks(src, tmp_path / "out.jpg")
    assert blocks[0] is not None and blocks[0][:2] == (0, 0), "the old path re-quantises every block"


def test_damaged_data_in_one_restart_interval_is_decoded_past_as_pillow_does(tmp_path: Path) -> None:
    src = pillow_jpeg(tmp_path, "src.jpg", quality=85, restart_marker_rows=1)
    data = bytearray(src.read_bytes())
    second = data.find(b"\xff\xd1", data.find(b"\xff\xda"))
    data[second + 10 : second + 60] = b"\x55" * 50  # garbage in the second MCU row: libjpeg warns and resynchronises
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(bytes(data))
    warned = subprocess.run(["djpeg", str(bad)], capture_output=True, check=False)
    assert warned.returncode == 2 and b"Corrupt JPEG data" in warned.stderr
    out = label(bad, tmp_path / "out" / "bad.jpg")
    with Image.open(bad) as a, Image.open(out) as b:
        assert np.array_equal(np.asarray(a)[:300], np.asarray(b)[:300]), "the damaged picture is carried over as decoded"


def test_a_truncated_scan_is_a_clear_error(tmp_path: Path) -> None:
    src = pillow_jpeg(tmp_path, "src.jpg", quality=85)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(src.read_bytes()[:-5000])
    result = label_file(bad, tmp_path / "out.jpg", LabelOptions(producer=PRODUCER, ocr_check=False))
    assert not result.ok and result.error is not None and "truncated" in result.error and "internal error" not in result.error


def test_patch_uses_the_sources_table_per_component(tmp_path: Path) -> None:
    """A source with three tables (Cr has its own) keeps all three, each on its component."""
    tables = [list(range(1, 65)), [v + 3 for v in range(1, 65)], [v + 7 for v in range(1, 65)]]
    buffer = io.BytesIO()
    photo((640, 480), 9).save(buffer, "JPEG", qtables=tables, subsampling=2)
    src = tmp_path / "three.jpg"
    src.write_bytes(buffer.getvalue())
    frame = jpegpatch.frame_of(src.read_bytes())
    assert frame is not None and [c.table for c in frame.components] == [0, 1, 2]
    out = label(src, tmp_path / "out.jpg")
    with Image.open(src) as a, Image.open(out) as b:
        assert a.quantization == b.quantization and len(b.quantization) == 3
    assert all(blocks is not None for blocks in changed_blocks(src, out))


@pytest.mark.parametrize("optimize", [False, True])
def test_output_keeps_the_sources_kind_of_huffman_tables(optimize: bool, tmp_path: Path) -> None:
    """An optimised source stays optimised (jpegtran -optimize); a standard-table one keeps the standard tables."""
    src = pillow_jpeg(tmp_path, "src.jpg", quality=85, optimize=optimize)
    out = label(src, tmp_path / "out" / "src.jpg")
    if not optimize:
        assert jpegpatch.huffman_tables(out.read_bytes()) == jpegpatch.huffman_tables(src.read_bytes())
    # standard tables on an optimised source would make it ~7 % larger
    assert out.stat().st_size < src.stat().st_size * 1.03, (out.stat().st_size, src.stat().st_size)
