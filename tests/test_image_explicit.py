"""The visible notice on images: placement (EXIF orientation too), preservation of everything else,
animation, and the OCR-free receipt check that must fail when the notice is removed."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps, ImageSequence, JpegImagePlugin

from labeler import Label, LabelOptions, label_file, verify_file
from labeler.adapters.image.adapter import _draft
from labeler.detect import ocr
from labeler.detect.receipt import patch_matches
from labeler.model import Presence, WriteOptions
from labeler.notice import Notice
from labeler.registry import sniff
from labeler.render import plan_banner

from .conftest import FIXTURES, PRODUCER

SAMPLES = FIXTURES / "samples" / "image"
CASES = FIXTURES / "cases" / "image"


@pytest.fixture
def no_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "available", lambda: False)


def explicit(src: Path, out: Path, notice: Notice | None = None) -> Path:
    sniff(src).adapter.write_explicit(src, out, notice or Notice(), WriteOptions())
    return out


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def outside(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> np.ndarray:
    mask = np.ones(shape[:2], dtype=bool)
    mask[box[1] : box[3], box[0] : box[2]] = False
    return mask


def raw_pixels(image: Image.Image) -> np.ndarray:
    """Pixels at full depth (16-bit grey stays 16-bit; palettes resolved)."""
    return np.asarray(image) if image.mode.startswith("I") else np.asarray(image.convert("RGBA"))


def receipt_box(path: Path) -> tuple[int, int, int, int]:
    evidence = sniff(path).adapter.detect_explicit(path)
    assert evidence.detail["method"] == "receipt", evidence
    return tuple(evidence.detail["box"])


@pytest.mark.parametrize("name", ["jpeg-baseline-exif-icc.jpg", "jpeg-progressive.jpg", "jpeg-gray.jpg", "jpeg-cmyk.jpg"])
def test_jpeg_keeps_tables_sampling_and_metadata(name: str, tmp_path: Path) -> None:
    src = SAMPLES / name
    out = explicit(src, tmp_path / name)
    with Image.open(src) as a, Image.open(out) as b:
        assert a.quantization == b.quantization
        assert JpegImagePlugin.get_sampling(a) == JpegImagePlugin.get_sampling(b)
        assert bool(a.info.get("progressive")) == bool(b.info.get("progressive"))
        assert a.mode == b.mode and a.size == b.size
        for key in ("icc_profile", "exif", "dpi", "jfif"):
            assert a.info.get(key) == b.info.get(key), key
        box = receipt_box(out)
        pa, pb = np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB"))
        keep = outside(box, pa.shape)
        value = psnr(pa[keep], pb[keep])
        print(f"{name}: PSNR outside the notice box {value:.1f} dB")
        assert value >= 40.0


@pytest.mark.parametrize(
    "name",
    [
        "png-rgb.png",
        "png-rgba.png",
        "png-palette.png",
        "png-gray.png",
        "png-gray-16bit.png",
        "webp-lossless.webp",
        "tiff-lzw.tif",
        "gif-static.gif",
        "bmp-rgb.bmp",
    ],
)
def test_lossless_formats_keep_every_pixel_outside_the_box(name: str, tmp_path: Path) -> None:
    src = SAMPLES / name
    out = explicit(src, tmp_path / name)
    with Image.open(src) as a, Image.open(out) as b:
        assert a.mode == b.mode and a.size == b.size
        box = plan_banner("AI生成", a.size, binary=a.mode == "P" or name.endswith(".gif")).box
        pa, pb = raw_pixels(a), raw_pixels(b)
        keep = outside(box, pa.shape)
        assert np.array_equal(pa[keep], pb[keep])
        assert not np.array_equal(pa[~keep], pb[~keep])


def test_png_text_chunks_dpi_and_xmp_survive(tmp_path: Path) -> None:
    out = explicit(SAMPLES / "png-rgb.png", tmp_path / "o.png")
    with Image.open(out) as image:
        image.load()
        assert image.info["Title"] == "Spring launch"
        assert image.info["Comment"] == "a PNG text chunk that must survive"
        assert tuple(round(v) for v in image.info["dpi"]) == (144, 144)


def test_tiff_keeps_compression_and_dpi(tmp_path: Path) -> None:
    out = explicit(SAMPLES / "tiff-lzw.tif", tmp_path / "o.tif")
    with Image.open(out) as image:
        assert image.info["compression"] == "tiff_lzw"
        assert image.info["dpi"] == (300, 300)


@pytest.mark.parametrize("name", ["gif-animated.gif", "webp-animated.webp", "png-apng-animated.png"])
def test_animation_gets_the_notice_on_every_frame_and_keeps_timing(name: str, tmp_path: Path) -> None:
    src = SAMPLES / name
    out = explicit(src, tmp_path / name)
    with Image.open(src) as a, Image.open(out) as b:
        assert a.n_frames == b.n_frames == 3
        assert a.info.get("loop") == b.info.get("loop")
        durations = [([f.info.get("duration") for f in ImageSequence.Iterator(im)]) for im in (a, b)]
        assert durations[0] == durations[1]
        if name.endswith(".gif"):
            a.seek(0), b.seek(0)
            disposals = [[getattr(f, "disposal_method", 0) for f in ImageSequence.Iterator(im)] for im in (a, b)]
            assert disposals[0] == disposals[1]
        receipt = plan_banner("AI生成", a.size, binary=name.endswith(".gif"))
        for index in range(3):
            a.seek(index), b.seek(index)
            fa, fb = np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB"))
            assert patch_matches(b.convert("RGB").crop(receipt.box), receipt)[0], f"frame {index}"
            keep = outside(receipt.box, fa.shape)
            limit = 30.0 if name.endswith(".webp") else 0
            if limit == 0:
                assert np.array_equal(fa[keep], fb[keep]), f"frame {index}"
            else:
                assert psnr(fa[keep], fb[keep]) >= limit


def test_notice_follows_exif_orientation(tmp_path: Path) -> None:
    src = CASES / "jpeg-exif-orientation-6.jpg"
    out = explicit(src, tmp_path / "o.jpg")
    with Image.open(src) as a, Image.open(out) as b:
        assert a.size == b.size == (320, 240)  # stored pixels keep their orientation
        assert b.getexif()[0x0112] == 6
        shown = ImageOps.exif_transpose(b)
    assert shown.size == (240, 320)
    receipt = plan_banner("AI生成", shown.size)  # bottom-right of what a viewer sees
    assert patch_matches(shown.convert("RGB").crop(receipt.box), receipt)[0]
    assert verify_file(out).explicit.evidence.where == "bottom-right"


@pytest.mark.parametrize("position", ["top-left", "top", "left", "bottom"])
def test_chosen_position_is_used(position: str, tmp_path: Path) -> None:
    out = explicit(SAMPLES / "png-rgb.png", tmp_path / "o.png", Notice(position=position, height_ratio=0.08))
    evidence = sniff(out).adapter.detect_explicit(out)
    assert evidence.where == position and evidence.detail["height_ratio"] >= 0.08


def test_tiny_image_is_a_clear_error(tmp_path: Path) -> None:
    result = label_file(CASES / "png-tiny-20x14.png", tmp_path / "o.png", LabelOptions(producer=PRODUCER))
    assert not result.ok and "20x14" in result.error and not (tmp_path / "o.png").exists()


def test_receipt_verifies_without_ocr(no_ocr: None, tmp_path: Path) -> None:
    result = label_file(SAMPLES / "jpeg-baseline-exif-icc.jpg", tmp_path / "o.jpg", LabelOptions(producer=PRODUCER))
    assert result.verdict.status == "compliant"
    assert result.verdict.explicit.evidence.detail["method"] == "receipt"


def _labelled(tmp_path: Path, name: str = "png-rgb.png") -> Path:
    out = tmp_path / name
    assert label_file(SAMPLES / name, out, LabelOptions(producer=PRODUCER)).ok
    return out


def test_painted_over_notice_fails_the_receipt(no_ocr: None, tmp_path: Path) -> None:
    out = _labelled(tmp_path)
    box = receipt_box(out)
    data = out.read_bytes()
    with Image.open(out) as image:
        painted = image.copy()
    ImageDraw.Draw(painted).rectangle(box, fill=(90, 150, 90))
    buffer = io.BytesIO()
    painted.save(buffer, "PNG")
    from labeler.adapters.image import png

    tampered = tmp_path / "tampered.png"
    tampered.write_bytes(png.carry_metadata(buffer.getvalue(), data, png.xmp_packet(data)))
    verdict = verify_file(tampered)
    assert verdict.status != "compliant"
    assert verdict.explicit.evidence.state is Presence.ABSENT
    assert any(p.rule == "notice.receipt-mismatch" for p in verdict.explicit.problems)


def test_cropped_notice_fails_the_receipt(no_ocr: None, tmp_path: Path) -> None:
    out = _labelled(tmp_path, "jpeg-baseline-exif-icc.jpg")
    data = out.read_bytes()
    with Image.open(out) as image:
        cropped = image.crop((0, 0, 320, 200))
    buffer = io.BytesIO()
    cropped.save(buffer, "JPEG", quality=90)
    from labeler.adapters.image import jpeg

    tampered = tmp_path / "cropped.jpg"
    tampered.write_bytes(jpeg.with_xmp(buffer.getvalue(), jpeg.xmp_packet(data)))
    assert verify_file(tampered).status != "compliant"


def test_third_party_image_without_ocr_is_unverified(no_ocr: None) -> None:
    verdict = verify_file(CASES / "jpeg-xmp-tc260.jpg")
    assert verdict.status == "unverified"
    assert verdict.explicit.evidence.state is Presence.UNKNOWN
    assert "ocr" in verdict.explicit.evidence.summary.lower()


def test_stripped_metadata_default_notice_is_found_by_template(no_ocr: None, tmp_path: Path) -> None:
    out = _labelled(tmp_path)
    with Image.open(out) as image:
        stripped = tmp_path / "stripped.png"
        image.save(stripped)  # Pillow drops the XMP: no receipt left
    evidence = sniff(stripped).adapter.detect_explicit(stripped)
    assert evidence.state is Presence.PRESENT and evidence.detail["method"] == "template"


def test_big_jpeg_is_checked_at_reduced_scale_and_still_catches_tampering(no_ocr: None, tmp_path: Path) -> None:
    from labeler.adapters.image import jpeg

    rng = np.random.default_rng(5)
    src = tmp_path / "big.jpg"
    noise = rng.integers(60, 200, (200, 300, 3), dtype=np.uint8)
    Image.fromarray(noise).resize((3000, 2000), Image.Resampling.BICUBIC).save(src, quality=85)
    out = tmp_path / "out.jpg"
    result = label_file(src, out, LabelOptions(producer=PRODUCER))
    assert result.ok and result.verdict.status == "compliant"
    with Image.open(out) as image:
        scale = _draft(image, 120)
    assert scale[0] >= 2  # decoded at reduced scale
    box = receipt_box(out)
    with Image.open(out) as image:
        painted = image.copy()
    ImageDraw.Draw(painted).rectangle(box, fill=(128, 128, 128))
    buffer = io.BytesIO()
    painted.save(buffer, "JPEG", quality=85)
    tampered = tmp_path / "tampered.jpg"
    tampered.write_bytes(jpeg.with_xmp(buffer.getvalue(), jpeg.xmp_packet(out.read_bytes())))
    assert verify_file(tampered).status != "compliant"


def test_missing_heif_backend_leaves_labels_readable_and_notice_unknown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from labeler.adapters.image import formats
    from labeler.errors import BackendMissingError

    def missing() -> None:
        raise BackendMissingError(f"drawing or checking a notice on HEIC needs pillow-heif; {formats.HEIF_HINT}")

    adapter = sniff(SAMPLES / "heic-still.heic").adapter
    monkeypatch.setattr(type(adapter), "container", formats.Container(**{**vars(adapter.container), "prepare": missing}))
    out = tmp_path / "o.heic"
    adapter.write_implicit(SAMPLES / "heic-still.heic", out, Label(content_producer=PRODUCER, produce_id="h1"))
    assert [f.label.produce_id for f in adapter.read_labels(out)] == ["h1"]
    evidence = adapter.detect_explicit(out)
    assert evidence.state is Presence.UNKNOWN and "pillow-heif" in evidence.summary
    with pytest.raises(BackendMissingError, match="labeler\\[heif\\]"):
        adapter.write_explicit(out, tmp_path / "n.heic", Notice())


def test_16bit_colour_png_keeps_its_depth(tmp_path: Path) -> None:
    cv2 = pytest.importorskip("cv2", reason="16-bit colour PNGs need OpenCV (extra 'ocr')")
    src = CASES / "png-rgb-16bit.png"
    out = tmp_path / "o.png"
    result = label_file(src, out, LabelOptions(producer=PRODUCER))
    assert result.ok and result.verdict.status == "compliant", result.error
    assert out.read_bytes()[24:26] == b"\x10\x02"  # IHDR: still 16-bit RGB
    a, b = cv2.imread(str(src), cv2.IMREAD_UNCHANGED), cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert b.dtype == np.uint16 and (a % 257 != 0).any()  # real 16-bit content
    keep = outside(receipt_box(out), a.shape)
    assert np.array_equal(a[keep], b[keep])


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_puts_the_notice_where_the_viewer_sees_it(orientation: int, tmp_path: Path) -> None:
    src = tmp_path / "src.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.open(SAMPLES / "png-rgb.png").convert("RGB").save(src, quality=90, exif=exif.tobytes())
    out = explicit(src, tmp_path / "o.jpg", Notice(position="top-right"))
    with Image.open(out) as image:
        assert image.size == (320, 240) and image.getexif()[0x0112] == orientation
        shown = ImageOps.exif_transpose(image).convert("RGB")
    receipt = plan_banner("AI生成", shown.size, "top-right")
    assert patch_matches(shown.crop(receipt.box), receipt)[0]
    assert sniff(out).adapter.detect_explicit(out).where == "top-right"
