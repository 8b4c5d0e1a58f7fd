"""Camera raw: TIFF-based raws (DNG, CR2, NEF-like) take the implicit label in IFD 0 with every byte
of raw data, preview, SubIFD and maker note left where it was; a visible notice is refused; non-TIFF
raws (CR3, RAF, ORF, RW2) are refused by name. Checked with exiftool and LibRaw (rawpy)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from labeler import Label, LabelOptions, label_file, verify_file
from labeler.registry import sniff

from .conftest import PRODUCER, PROPAGATOR, sha256
from .image_tools import lost_tags, needs_exiftool, run
from .raw_files import raw_tiff

try:  # LibRaw decodes the CFA data (test extra); without it only that assertion is skipped
    import rawpy
except ImportError:
    rawpy = None
pytestmark = needs_exiftool
KINDS = {
    "dng": {"dng": True},
    "nef": {"dng": False, "make": "NIKON CORPORATION"},
    "cr2": {"dng": False, "make": "Canon", "cr2": True},
}
IMPLICIT = LabelOptions(producer=PRODUCER, produce_id="raw-1", explicit=False)


def make_raw(tmp: Path, kind: str, enrich: bool = True) -> tuple[Path, bytes, bytes]:
    data, preview, cfa = raw_tiff(**KINDS[kind])
    path = tmp / f"camera.{kind}"
    path.write_bytes(data)
    if enrich:  # exiftool adds metadata the way a raw workflow does (XMP in tag 700 included)
        run("exiftool", "-q", "-overwrite_original", "-Artist=Ann Example", "-Copyright=CC0", "-XMP-dc:Creator=Ann",
            "-XMP-dc:Subject=raw", "-IPTC:Keywords=raw", "-EXIF:DateTimeOriginal=2025:09:01 10:00:00", str(path))  # fmt: skip
    return path, preview, cfa


#: Offset/length tag pairs exiftool reports for image data (CR2 names its IFD 0 strip a preview).
_DATA_TAGS = (("StripOffsets", "StripByteCounts"), ("PreviewImageStart", "PreviewImageLength"))


def strips(path: Path) -> dict[str, bytes]:
    """Every image strip's bytes, per exiftool group, located by exiftool's own offsets."""
    names = [f"-{name}" for pair in _DATA_TAGS for name in pair]
    tags = json.loads(run("exiftool", "-j", "-a", "-G1", "-n", *names, str(path)))[0]
    data = path.read_bytes()
    out = {}
    for key, offset in tags.items():
        group, _, name = key.partition(":")
        for start, length in _DATA_TAGS:
            if name == start:
                out[key] = data[int(offset) : int(offset) + int(tags[f"{group}:{length}"])]
    return out


def warnings(path: Path) -> list[str]:
    return run("exiftool", "-validate", "-warning", "-error", "-a", "-s3", str(path)).split("\n")


@pytest.mark.parametrize(("kind", "enrich"), [("dng", True), ("nef", True), ("cr2", True), ("dng", False), ("cr2", False)])
def test_raw_takes_the_implicit_label_and_keeps_every_byte_of_raw_data(kind: str, enrich: bool, tmp_path: Path) -> None:
    """``enrich``: exiftool wrote XMP with padding, the label fits in place; without it IFD 0 is
    rewritten at the end of the file and every other structure stays where it was."""
    src, preview, cfa = make_raw(tmp_path, kind, enrich)
    before = sha256(src)
    out = tmp_path / "out" / src.name
    result = label_file(src, out, IMPLICIT)
    assert result.ok, result.error
    assert sha256(src) == before
    assert [f.label for f in sniff(out).adapter.read_labels(out)] == [Label("1", PRODUCER, "raw-1")]
    assert lost_tags(src, out) == {}
    assert strips(out) == strips(src)
    assert sorted(strips(out).values(), key=len) == [preview, cfa]
    assert warnings(out) == warnings(src)
    tags = json.loads(run("exiftool", "-j", "-G1", "-a", str(out)))[0]
    assert json.loads(tags["XMP-TC260:Aigc"])["ProduceID"] == "raw-1"
    if kind == "dng" and rawpy is not None:
        with rawpy.imread(str(src)) as a, rawpy.imread(str(out)) as b:
            assert np.array_equal(a.raw_image, b.raw_image) and np.array_equal(a.raw_pattern, b.raw_pattern)
            assert np.array_equal(b.raw_image, np.frombuffer(cfa, "<u2").reshape(48, 64))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_visible_notice_on_raw_is_refused_with_the_fix(kind: str, tmp_path: Path) -> None:
    src, _, _ = make_raw(tmp_path, kind, enrich=False)
    out = tmp_path / "out" / src.name
    result = label_file(src, out, LabelOptions(producer=PRODUCER))
    assert not result.ok and "--no-explicit" in result.error and "raw" in result.error, result.error
    assert not out.exists()


def test_labelled_raw_stays_raw_when_relabelled_and_verifies_missing_explicit(tmp_path: Path) -> None:
    """After the first label IFD 0 sits at the end of the file; the raw data is still recognised
    from the whole structure, so a second pass (propagator) cannot draw on it either."""
    src, _, _ = make_raw(tmp_path, "dng")
    first, second = tmp_path / "1" / src.name, tmp_path / "2" / src.name
    assert label_file(src, first, IMPLICIT).ok
    refused = label_file(first, tmp_path / "x" / src.name, LabelOptions(role="propagator", propagator=PROPAGATOR))
    assert not refused.ok and "--no-explicit" in refused.error
    again = label_file(first, second, LabelOptions(role="propagator", propagator=PROPAGATOR, explicit=False))
    assert again.ok, again.error
    label = sniff(second).adapter.read_labels(second)[0].label
    assert (label.content_producer, label.produce_id, label.content_propagator) == (PRODUCER, "raw-1", PROPAGATOR)
    assert strips(second) == strips(src) and lost_tags(src, second) == {}
    verdict = verify_file(second)
    assert verdict.status == "missing-explicit" and "raw" in verdict.explicit.evidence.summary
    assert verdict.format == "dng"


def _cr3() -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftypcrx " + struct.pack(">I", 1) + b"crx isom"
    return ftyp + struct.pack(">I", 16) + b"moov" + struct.pack(">I", 8) + b"uuid" + b"\0" * 64


FOREIGN = {
    "camera.cr3": (_cr3(), "Canon CR3"),
    "camera.raf": (b"FUJIFILMCCD-RAW 0201FF383501" + bytes(range(256)) * 4, "Fujifilm RAF"),
    "camera.orf": (b"IIRO\x08\0\0\0" + bytes(range(256)) * 4, "Olympus ORF"),
    "camera.rw2": (b"IIU\0\x18\0\0\0" + bytes(range(256)) * 4, "Panasonic RW2"),
}


@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_non_tiff_raw_is_refused_by_name(name: str, tmp_path: Path) -> None:
    data, format_name = FOREIGN[name]
    src = tmp_path / name
    src.write_bytes(data)
    for options in (IMPLICIT, LabelOptions(producer=PRODUCER)):
        result = label_file(src, tmp_path / "out" / name, options)
        assert not result.ok and format_name in result.error and "DNG" in result.error, result.error
    assert src.read_bytes() == data and not (tmp_path / "out" / name).exists()
    verdict = verify_file(src)
    assert verdict.status == "unsupported" and format_name in verdict.error
