"""Implicit labels on images: byte-level carriers, exact pixels, byte-stable relabelling, tolerant
reading of every carrier seen in the wild, and exiftool as an independent reader."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

from labeler import Label, verify_file
from labeler.adapters.image import png as png_chunks
from labeler.adapters.image import webp as webp_chunks
from labeler.errors import BackendMissingError
from labeler.model import WriteOptions
from labeler.registry import sniff
from labeler.xmp import parse_xmp

from .conftest import FIXTURES, PRODUCER

SAMPLES = sorted((FIXTURES / "samples" / "image").iterdir())
XMP_SAMPLES = [p for p in SAMPLES if sniff(p).adapter.carrier is not None]
LABEL = Label(label="1", content_producer=PRODUCER, produce_id="img-0001")
GOOD = Label(label="1", content_producer=PRODUCER, produce_id="doubao-7f3a")
try:
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # the HEIC sample is skipped below when pillow-heif is absent
    pillow_heif = None


def frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as image:
        return [np.asarray(frame.convert("RGBA")).copy() for frame in ImageSequence.Iterator(image)]


def write(sample: Path, out: Path, label: Label = LABEL) -> Path:
    sniff(sample).adapter.write_implicit(sample, out, label, WriteOptions())
    return out


@pytest.mark.parametrize("sample", XMP_SAMPLES, ids=lambda p: p.name)
def test_pixels_are_exactly_unchanged(sample: Path, tmp_path: Path) -> None:
    if sample.suffix == ".heic" and pillow_heif is None:
        pytest.skip("pillow-heif not installed")
    prepare = sniff(sample).adapter.container.prepare  # a decoder plugin the format row declares (Format.backend)
    if prepare is not None:
        try:
            prepare()
        except BackendMissingError as exc:
            pytest.skip(str(exc))
    out = write(sample, tmp_path / sample.name)
    before, after = frames(sample), frames(out)
    assert len(before) == len(after)
    for a, b in zip(before, after, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("sample", XMP_SAMPLES, ids=lambda p: p.name)
def test_writing_twice_gives_identical_bytes(sample: Path, tmp_path: Path) -> None:
    once = write(sample, tmp_path / ("1" + sample.suffix))
    twice = write(once, tmp_path / ("2" + sample.suffix))
    assert once.read_bytes() == twice.read_bytes()
    assert [f.label for f in sniff(twice).adapter.read_labels(twice)] == [LABEL]


@pytest.mark.parametrize("sample", XMP_SAMPLES, ids=lambda p: p.name)
def test_relabelling_replaces_the_single_label(sample: Path, tmp_path: Path) -> None:
    once = write(sample, tmp_path / ("1" + sample.suffix))
    other = LABEL.with_fields(content_propagator="00119144030008867405X220001", propagate_id="p-1")
    twice = write(once, tmp_path / ("2" + sample.suffix), other)
    found = sniff(twice).adapter.read_labels(twice)
    assert [f.label for f in found] == [other]
    assert twice.read_bytes().count(b"TC260:AIGC>") == 2  # one element: open + close tag


@pytest.mark.parametrize("sample", XMP_SAMPLES, ids=lambda p: p.name)
def test_exiftool_reads_the_label(sample: Path, tmp_path: Path) -> None:
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool not installed")
    out = write(sample, tmp_path / sample.name)
    shown = subprocess.run(["exiftool", "-a", "-G1", "-XMP-TC260:all", str(out)], capture_output=True, text=True, check=True).stdout
    assert "[XMP-TC260]" in shown and "Aigc" in shown and "img-0001" in shown, shown
    assert "Warning" not in subprocess.run(["exiftool", "-warning", str(out)], capture_output=True, text=True, check=True).stdout


def test_png_itxt_goes_before_idat_with_a_correct_crc(tmp_path: Path) -> None:
    out = write(FIXTURES / "samples/image/png-rgb.png", tmp_path / "o.png")
    data = out.read_bytes()
    chunks = png_chunks.chunks(data, check_crc=True)
    kinds = [c.type for c in chunks]
    xmp_at = next(i for i, c in enumerate(chunks) if c.type == b"iTXt" and c.data(data).startswith(b"XML:com.adobe.xmp\0"))
    assert xmp_at == 1 and kinds.index(b"IDAT") > xmp_at
    with Image.open(out) as image:
        image.load()
        assert b"TC260" in image.info["XML:com.adobe.xmp"].encode()
        assert image.info["Title"] == "Spring launch"  # text chunks kept


def test_simple_webp_gets_a_vp8x_header_with_the_xmp_flag(tmp_path: Path) -> None:
    sample = FIXTURES / "samples/image/webp-lossy.webp"
    assert b"VP8X" not in sample.read_bytes()[:40]
    data = write(sample, tmp_path / "o.webp").read_bytes()
    chunks = webp_chunks.chunks(data)
    assert chunks[0].id == b"VP8X" and chunks[0].payload(data)[0] & webp_chunks.FLAG_XMP
    assert chunks[-1].id == b"XMP "
    assert struct.unpack("<I", data[4:8])[0] + 8 == len(data)
    with Image.open(tmp_path / "o.webp") as image:
        assert image.size == (320, 240) and b"TC260" in image.info["xmp"]


def test_tiff_tag_700_is_read_by_pillow_and_gif_stays_valid(tmp_path: Path) -> None:
    tif = write(FIXTURES / "samples/image/tiff-lzw.tif", tmp_path / "o.tif")
    with Image.open(tif) as image:
        value = image.tag_v2[700]
        assert b"TC260" in (value if isinstance(value, bytes) else b"".join(value))
        assert image.info["dpi"] == (300, 300)
    gif = write(FIXTURES / "samples/image/gif-animated.gif", tmp_path / "o.gif")
    with Image.open(gif) as image:  # Pillow skips the XMP extension; exiftool reads it (test above)
        assert image.n_frames == 3 and image.info["loop"] == 0
        assert [f.info["duration"] for f in ImageSequence.Iterator(image)] == [100, 150, 200]


def test_existing_xmp_properties_are_kept(tmp_path: Path) -> None:
    sample = FIXTURES / "cases/image/jpeg-xmp-60kb.jpg"
    out = write(sample, tmp_path / "o.jpg")
    data = out.read_bytes()
    assert data.count(b"<!-- xxxx") == sample.read_bytes().count(b"<!-- xxxx") == 560
    assert [f.label for f in sniff(out).adapter.read_labels(out)] == [LABEL]


def test_source_type_is_written(tmp_path: Path) -> None:
    out = write(FIXTURES / "samples/image/jpeg-gray.jpg", tmp_path / "o.jpg")
    from labeler.adapters.image import jpeg

    info = parse_xmp(jpeg.xmp_packet(out.read_bytes()))
    assert info.digital_source_type == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


WILD = {
    "jpeg-xmp-tc260.jpg": "xmp:TC260:AIGC",
    "jpeg-xmp-attribute-form.jpg": "xmp:TC260:AIGC",
    "jpeg-exif-usercomment-aigc.jpg": "exif:UserComment",
    "jpeg-exif-imagedescription-aigc.jpg": "exif:ImageDescription",
    "jpeg-extended-xmp.jpg": "xmp-extended:TC260:AIGC",
    "png-text-aigc-wrapped.png": "png:tEXt:AIGC",
    "png-ztxt-aigc.png": "png:zTXt:AIGC",
    "png-itxt-aigc-bare.png": "png:iTXt:AIGC",
    "png-xmp-after-idat.png": "xmp:TC260:AIGC",
}


@pytest.mark.parametrize("name", sorted(WILD))
def test_labels_seen_in_the_wild_are_read(name: str) -> None:
    path = FIXTURES / "cases/image" / name
    found = sniff(path).adapter.read_labels(path)
    assert [(f.carrier, f.label) for f in found] == [(WILD[name], GOOD)]


def test_two_disagreeing_labels_are_invalid() -> None:
    verdict = verify_file(FIXTURES / "cases/image/jpeg-two-labels-disagree.jpg")
    assert verdict.status == "invalid"
    assert any(p.rule == "implicit.conflict" for p in verdict.problems())


def test_bmp_has_no_carrier_and_uses_the_sidecar(tmp_path: Path) -> None:
    from labeler import LabelOptions, label_file

    result = label_file(FIXTURES / "samples/image/bmp-rgb.bmp", tmp_path / "o.bmp", LabelOptions(producer=PRODUCER))
    assert result.ok and result.verdict.status == "compliant"
    assert (tmp_path / "o.bmp.aigc.json").is_file()
    assert result.verdict.implicit.carrier == "sidecar"


def test_zip_bomb_in_ztxt_is_refused(tmp_path: Path) -> None:
    from labeler.errors import InputError

    data = (FIXTURES / "samples/image/png-gray.png").read_bytes()
    body = b"AIGC\0\0" + zlib.compress(b" " * (64 * 1024 * 1024), 9)
    chunk = struct.pack(">I", len(body)) + b"zTXt" + body + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    path = tmp_path / "bomb.png"
    path.write_bytes(data[:33] + chunk + data[33:])
    with pytest.raises(InputError, match="bomb"):
        sniff(path).adapter.read_labels(path)


CONFIG = Path(__file__).resolve().parent.parent / "labeler" / "data" / "exiftool-tc260.config"


def test_shipped_exiftool_config_interoperates(tmp_path: Path) -> None:
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool not installed")
    theirs = tmp_path / "exiftool.jpg"
    shutil.copyfile(FIXTURES / "samples/image/jpeg-gray.jpg", theirs)
    subprocess.run(
        ["exiftool", "-config", str(CONFIG), "-q", "-overwrite_original", f"-XMP-TC260:AIGC={LABEL.to_json()}", str(theirs)], check=True
    )
    assert [f.label for f in sniff(theirs).adapter.read_labels(theirs)] == [LABEL]
    ours = write(FIXTURES / "samples/image/png-rgb.png", tmp_path / "ours.png")
    value = subprocess.run(
        ["exiftool", "-config", str(CONFIG), "-s3", "-XMP-TC260:AIGC", str(ours)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert value == LABEL.to_json()


@pytest.mark.parametrize("progressive", [False, True])
def test_jpeg_with_an_appended_image_keeps_it_and_reads_the_label(tmp_path: Path, progressive: bool) -> None:
    """Phone JPEGs append more images after the EOI (MPF): copied byte for byte, never parsed."""
    import io

    def jpeg(colour: str, size: tuple[int, int]) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", size, colour).save(buffer, "JPEG", progressive=progressive)
        return buffer.getvalue()

    main, appended = jpeg("red", (64, 48)), jpeg("blue", (16, 12))
    src, out = tmp_path / "mpf.jpg", tmp_path / "out.jpg"
    src.write_bytes(main + appended)
    adapter = sniff(src).adapter
    adapter.write_implicit(src, out, LABEL)
    data = out.read_bytes()
    assert data.endswith(appended) and len(data) > len(main) + len(appended)
    assert [f.label for f in adapter.read_labels(out)] == [LABEL]
    with Image.open(out) as image:
        assert image.size == (64, 48)


def test_truncated_single_scan_jpeg_is_refused(tmp_path: Path) -> None:
    import io

    buffer = io.BytesIO()
    Image.effect_noise((256, 256), 60).convert("RGB").save(buffer, "JPEG")
    src = tmp_path / "cut.jpg"
    src.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(Exception, match="truncated"):
        sniff(src).adapter.write_implicit(src, tmp_path / "out.jpg", LABEL)
