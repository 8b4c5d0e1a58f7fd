"""labeler.containers.isobmff: one box walker for MP4/M4A/MOV and HEIF/AVIF.

Files are made by ffmpeg and read back by mutagen's own atom parser and ffprobe; the 64-bit
``largesize`` case is made the way ffmpeg plans for it (its 8-byte ``free`` box before ``mdat``
becomes the extra header bytes, so no media offset moves); damaged inputs are cut from those files.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from labeler.containers import isobmff, mp4
from labeler.errors import InputError

from .conftest import FIXTURES

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
pytestmark = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg makes the inputs")
WHERE = isobmff.Where("MP4", "re-mux it")


def m4a(path: Path) -> Path:
    subprocess.run([FFMPEG or "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=0.2", "-c:a", "aac", str(path)], check=True)
    return path


def top(data: bytes, **options: object) -> list[isobmff.Box]:
    return isobmff.walk(io.BytesIO(data), 0, len(data), WHERE, **options)  # type: ignore[arg-type]


def test_top_level_boxes_match_mutagen(tmp_path: Path) -> None:
    from mutagen.mp4._atom import Atoms

    path = m4a(tmp_path / "a.m4a")
    with open(path, "rb") as handle:
        theirs = [(a.name, a.offset, a.length) for a in Atoms(handle).atoms]
    ours = top(path.read_bytes(), trailing=True)
    assert [(b.type, b.offset, b.size) for b in ours] == theirs and all(b.header == 8 for b in ours)
    assert isobmff.boxes(path.read_bytes(), 0, path.stat().st_size) == ours


def largesize(data: bytes) -> bytes:
    """ffmpeg's ``free`` + ``mdat`` headers turned into one 16-byte 64-bit ``mdat`` header."""
    boxes = {b.type: b for b in top(data)}
    free, mdat = boxes[b"free"], boxes[b"mdat"]
    assert free.size == 8 and free.end == mdat.offset
    return data[: free.offset] + struct.pack(">I4sQ", 1, b"mdat", mdat.size + 8) + data[mdat.offset + 8 :]


def test_a_64_bit_largesize_box_is_walked_and_the_file_still_plays(tmp_path: Path) -> None:
    src = m4a(tmp_path / "a.m4a")
    big = tmp_path / "big.m4a"
    big.write_bytes(largesize(src.read_bytes()))
    mdat = next(b for b in top(big.read_bytes(), trailing=True) if b.type == b"mdat")
    assert mdat.header == 16 and mdat.body == next(b for b in top(src.read_bytes()) if b.type == b"mdat").body
    assert mp4.load(big).moov_box.type == b"moov"
    if FFPROBE is not None:  # an independent reader agrees the file is intact
        probe = subprocess.run(
            [FFPROBE, "-v", "error", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(big)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert int(probe.stdout.strip()) > 0


def test_box_writes_a_32_bit_header_when_it_fits() -> None:
    assert isobmff.box(b"free", b"ab") == b"\x00\x00\x00\x0afreeab"
    assert isobmff.boxes(b"\x00\x00\x00\x0afreeab", 0, 10) == [isobmff.Box(b"free", 0, 10, 8)]


def test_size_zero_runs_to_the_end_of_the_parent() -> None:
    data = isobmff.box(b"ftyp", b"M4A \x00\x00\x00\x00") + b"\x00\x00\x00\x00mdat" + b"x" * 20
    assert [(b.type, b.size) for b in isobmff.boxes(data, 0, len(data))] == [(b"ftyp", 16), (b"mdat", 28)]


@pytest.mark.parametrize(
    ("cut", "words"),
    [
        ("past-the-end", "claims"),
        ("smaller-than-header", "claims 4 bytes"),
        ("64-bit-header-cut", "truncated 64-bit size"),
        ("stray", "stray bytes"),
    ],
)
def test_damaged_boxes_are_refused_with_a_clear_error(tmp_path: Path, cut: str, words: str) -> None:
    data = m4a(tmp_path / "a.m4a").read_bytes()
    moov = next(b for b in top(data) if b.type == b"moov")
    bad = {
        "past-the-end": data[:-100],  # a truncated upload: moov claims more than the file holds
        "smaller-than-header": data[: moov.offset] + struct.pack(">I", 4) + data[moov.offset + 4 :],
        "64-bit-header-cut": data[: moov.offset] + struct.pack(">I4sI", 1, b"moov", 0),
        "stray": data + b"\x00\x00\x00",
    }[cut]
    with pytest.raises(InputError, match=words) as caught:
        top(bad, trailing=True)
    assert str(caught.value).endswith("re-mux it")
    path = tmp_path / "bad.m4a"
    path.write_bytes(bad)
    with pytest.raises(InputError, match=words):
        mp4.load(path)


def test_nested_damage_names_the_parent() -> None:
    body = isobmff.box(b"mvhd", b"\x00" * 100)
    with pytest.raises(InputError, match=r"box b'mvhd' at byte 0 claims 108 bytes but only 50 remain .* inside b'moov'"):
        isobmff.boxes(body[:50], 0, 50, WHERE, b"moov")


def test_hostile_box_counts_and_sizes_stop() -> None:
    many = isobmff.box(b"free", b"") * (isobmff.MAX_BOXES + 1)
    with pytest.raises(InputError, match="more than 100000 boxes"):
        isobmff.boxes(many, 0, len(many))
    with pytest.raises(InputError, match="over the 1000 byte limit"):
        isobmff.read_body(io.BytesIO(b""), isobmff.Box(b"moov", 0, 1 << 40, 16), 1000)


@pytest.mark.parametrize("name", ["avif-still.avif", "heic-still.heic"])
def test_heif_meta_children(name: str) -> None:
    data = (FIXTURES / "samples" / "image" / name).read_bytes()
    meta = next(b for b in isobmff.boxes(data, 0, len(data)) if b.type == b"meta")
    children = {b.type for b in isobmff.boxes(data, meta.body + 4, meta.end)}  # after the FullBox version/flags
    assert {b"hdlr", b"pitm", b"iloc", b"iinf", b"iprp"} <= children


def test_jpeg_xl_container_boxes() -> None:
    """A JPEG XL container with Exif and XMP boxes, written by libjxl through pillow-jxl-plugin."""
    pytest.importorskip("pillow_jxl")
    from PIL import Image

    from labeler.adapters.image import jxl

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "JXL", exif=b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0", xmp=b"<x:xmpmeta/>")
    data = out.getvalue()
    found = jxl.boxes(data)
    assert (
        [b.type for b in found[:2]] == [b"JXL ", b"ftyp"] and {b"Exif", b"xml "} <= {b.type for b in found} and found[-1].end == len(data)
    )
    assert jxl.xmp_packet(data) == b"<x:xmpmeta/>"
    with pytest.raises(InputError, match=r"JPEG XL box .* claims"):
        jxl.boxes(data[:-1])
