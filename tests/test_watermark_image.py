"""The image watermark (labeler/watermark/image.py): embedding keeps the file's format and metadata,
the mark survives independent tools' recompression, resizing and stripping, unmarked images and a
wrong key find nothing, and what cannot carry a mark is refused with the reason."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeler.errors import UnsupportedError
from labeler.label import Label
from labeler.watermark import image as wm_image
from labeler.watermark.payload import decode, encode, payload_for

from .conftest import PRODUCER, ROOT
from .image_tools import HAS_EXIFTOOL, exif_tags, needs_exiftool, needs_imagemagick, run

sys.path.insert(0, str(ROOT / "scripts"))
import watermark_corpus

LABEL = Label(content_producer=PRODUCER, produce_id="wm-test-1")
KEY = b"test-key"
PAYLOAD = payload_for(LABEL, KEY)
CODE = encode(PAYLOAD, key=KEY)


def read(path: Path, key: bytes | None = KEY) -> bytes | None:
    soft = wm_image.extract_file(path)
    found = decode(soft, key=key) if soft is not None else None
    return found.payload if found is not None else None


def psnr(a: Image.Image, b: Image.Image) -> float:
    x, y = np.asarray(a.convert("RGB"), dtype=np.float64), np.asarray(b.convert("RGB"), dtype=np.float64)
    return float(10 * np.log10(255.0**2 / np.mean((x - y) ** 2)))


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, Image.Image]]:
    rng = np.random.default_rng(19)
    return [(make.__name__, make(rng, 800, 600)) for make in watermark_corpus.KINDS]


@needs_imagemagick
def test_jpeg_keeps_tables_and_metadata_and_survives_imagemagick(tmp_path: Path, corpus: list[tuple[str, Image.Image]]) -> None:
    src, out = tmp_path / "photo.jpg", tmp_path / "marked.jpg"
    corpus[0][1].save(tmp_path / "plain.png")
    # ImageMagick writes the source (quality 85, 4:2:0) and exiftool gives it EXIF, IPTC and a comment.
    run("convert", str(tmp_path / "plain.png"), "-quality", "85", "-sampling-factor", "2x2", str(src))
    if HAS_EXIFTOOL:
        run("exiftool", "-q", "-overwrite_original", "-Artist=Tester", "-IPTC:Keywords=wm", "-Comment=keep me", str(src))
    wm_image.embed_file(src, out, CODE)
    with Image.open(src) as before, Image.open(out) as after:
        assert after.format == "JPEG" and after.size == before.size
        assert after.quantization == before.quantization  # the source's own tables
        assert psnr(before, after) >= 38.0
    if HAS_EXIFTOOL:
        tags = exif_tags(out)
        assert tags.get("IFD0:Artist") == "Tester" and tags.get("IPTC:Keywords") == "wm" and tags.get("File:Comment") == "keep me"
        assert not any(k.startswith("XMP") for k in tags)  # no empty XMP packet left behind
    assert read(out) == PAYLOAD
    # A platform: metadata stripped by exiftool, then ImageMagick halves it and saves at quality 75.
    stripped = tmp_path / "stripped.jpg"
    shutil.copyfile(out, stripped)
    if HAS_EXIFTOOL:
        run("exiftool", "-q", "-overwrite_original", "-all=", str(stripped))
    small = tmp_path / "small.jpg"
    run("convert", str(stripped), "-resize", "50%", "-quality", "75", str(small))
    assert Image.open(small).size == (400, 300)
    assert read(small) == PAYLOAD
    q50 = tmp_path / "q50.jpg"
    run("convert", str(out), "-quality", "50", str(q50))
    assert read(q50) == PAYLOAD


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_png_stays_lossless_and_survives_pillow_q50(tmp_path: Path, corpus: list[tuple[str, Image.Image]], kind: int) -> None:
    name, picture = corpus[kind]
    src, out = tmp_path / f"{name}.png", tmp_path / f"{name}.marked.png"
    picture.save(src, pnginfo=_text_chunk("Software", "corpus"))
    wm_image.embed_file(src, out, CODE)
    with Image.open(out) as marked:
        assert marked.format == "PNG" and marked.mode == "RGB" and marked.text.get("Software") == "corpus"
        assert psnr(picture, marked) >= 38.0
        marked.load()
        buffer = io.BytesIO()
        marked.save(buffer, "JPEG", quality=50)
    assert read(out) == PAYLOAD
    # Saved again from the PNG, pixel for pixel: lossless.
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(io.BytesIO(out.read_bytes()))))
    recompressed = tmp_path / "q50.jpg"
    recompressed.write_bytes(buffer.getvalue())
    assert read(recompressed) == PAYLOAD


def _text_chunk(key: str, value: str) -> object:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return info


@pytest.mark.parametrize(("fmt", "options"), [("WEBP", {"lossless": True}), ("WEBP", {"quality": 90}), ("BMP", {})])
def test_webp_and_bmp(tmp_path: Path, corpus: list[tuple[str, Image.Image]], fmt: str, options: dict[str, object]) -> None:
    src, out = tmp_path / f"in.{fmt.lower()}", tmp_path / f"out.{fmt.lower()}"
    corpus[0][1].save(src, fmt, **options)
    wm_image.embed_file(src, out, CODE)
    with Image.open(out) as marked:
        assert marked.format == fmt
    if fmt == "WEBP":
        assert (b"VP8L" in out.read_bytes()) == bool(options.get("lossless"))  # lossless stays lossless
    assert read(out) == PAYLOAD


def test_rgba_keeps_alpha_and_greyscale_works(tmp_path: Path, corpus: list[tuple[str, Image.Image]]) -> None:
    rgba = corpus[0][1].convert("RGBA")
    alpha = np.asarray(rgba)[..., 3].copy()
    alpha[:100] = 90
    rgba.putalpha(Image.fromarray(alpha))
    rgba.save(tmp_path / "a.png")
    wm_image.embed_file(tmp_path / "a.png", tmp_path / "a.out.png", CODE)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.out.png"))[..., 3], alpha)
    assert read(tmp_path / "a.out.png") == PAYLOAD
    corpus[0][1].convert("L").save(tmp_path / "g.jpg", quality=90)
    wm_image.embed_file(tmp_path / "g.jpg", tmp_path / "g.out.jpg", CODE)
    assert Image.open(tmp_path / "g.out.jpg").mode == "L"
    assert read(tmp_path / "g.out.jpg") == PAYLOAD


def test_rotated_by_a_platform(tmp_path: Path, corpus: list[tuple[str, Image.Image]]) -> None:
    corpus[1][1].save(tmp_path / "g.png")
    wm_image.embed_file(tmp_path / "g.png", tmp_path / "m.png", CODE)
    turned = tmp_path / "turned.jpg"
    Image.open(tmp_path / "m.png").transpose(Image.Transpose.ROTATE_90).save(turned, quality=80)
    assert read(turned) == PAYLOAD


def test_wrong_key_and_unmarked_images_find_nothing(tmp_path: Path, corpus: list[tuple[str, Image.Image]]) -> None:
    corpus[0][1].save(tmp_path / "p.jpg", quality=90)
    wm_image.embed_file(tmp_path / "p.jpg", tmp_path / "m.jpg", CODE)
    assert read(tmp_path / "m.jpg", key=b"another key") is None
    assert read(tmp_path / "m.jpg", key=None) is None  # the default key is another key
    for index, (_, picture) in enumerate(watermark_corpus.images(60, seed=4242)):
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=75)
        soft = wm_image.extract(Image.open(buffer))
        assert soft is None or decode(soft, key=KEY) is None, index


def test_refusals_name_the_reason(tmp_path: Path, corpus: list[tuple[str, Image.Image]]) -> None:
    cases = {
        "tiny.png": (lambda p: corpus[0][1].resize((200, 150)).save(p), "at least 256 pixels"),
        "palette.gif": (lambda p: corpus[1][1].convert("P").save(p), "GIF images are not watermarked"),
        "deep.png": (lambda p: Image.fromarray(np.full((300, 300), 40000, dtype=np.uint16)).save(p), "mode 'I;16'"),
        "anim.png": (
            lambda p: corpus[1][1].save(p, save_all=True, append_images=[corpus[2][1]]),
            "animated and multi-page images are not watermarked",
        ),
        "page.tif": (lambda p: corpus[1][1].save(p), "TIF images are not watermarked"),
    }
    for name, (make, reason) in cases.items():
        src = tmp_path / name
        make(src)
        before = src.read_bytes()
        with pytest.raises(UnsupportedError, match=reason):
            wm_image.embed_file(src, tmp_path / ("out-" + name), CODE)
        assert src.read_bytes() == before and not (tmp_path / ("out-" + name)).exists()


@needs_exiftool
def test_exiftool_strip_alone_keeps_the_mark(tmp_path: Path, corpus: list[tuple[str, Image.Image]]) -> None:
    corpus[2][1].save(tmp_path / "s.png")
    wm_image.embed_file(tmp_path / "s.png", tmp_path / "m.png", CODE)
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-all=", str(tmp_path / "m.png")], check=True)
    assert read(tmp_path / "m.png") == PAYLOAD


@pytest.mark.slow
def test_benchmark_quick_run() -> None:
    import bench_watermark

    rows = bench_watermark.run(quick=True)
    assert {r["case"] for r in rows} == {"watermark-2mp", "watermark-robustness"}
    assert all(r["seconds"] > 0 and r["files"] > 0 for r in rows)
    assert "0/12 false detections" in rows[-1]["note"]
