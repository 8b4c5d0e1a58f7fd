"""Structured and binary files that look like text are never given a notice line (issue 14 item 1).

Each kind is made by an independent writer (exiftool for XMP sidecars, GPX and KML — the latter two
with the print formats of ``scripts/realworld_files.py``; plistlib;
Pillow for EPS; ImageMagick for FITS) or, where no writer is installed, by code that follows the
format's specification (RTF, vCard, iCalendar, MusePack SV8/SV7 headers). Every one must come out
of ``labeler label`` byte-identical and unwritten, with a reason naming the kind, and ``verify``
must say ``unsupported``; text named as another family (``.pdf``) is an ``error``.
"""

from __future__ import annotations

import json
import plistlib
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from labeler import LabelOptions, label_file, verify_file

from .conftest import PRODUCER

OPTIONS = LabelOptions(producer=PRODUCER, produce_id="t1")
EXIFTOOL = shutil.which("exiftool")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from realworld_files import exiftool_print  # noqa: E402 - importable only after the sys.path entry


def _geotagged_jpeg(path: Path) -> Path:
    Image.new("RGB", (16, 16), "teal").save(path)
    subprocess.run(
        [
            EXIFTOOL,
            "-q",
            "-overwrite_original",
            "-GPSLatitude=31.23",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=121.47",
            "-GPSLongitudeRef=E",
            "-DateTimeOriginal=2026:01:02 03:04:05",
            "-XMP-dc:Title=Bund",
            str(path),
        ],
        check=True,
    )
    return path


def _xmp_sidecar(tmp: Path) -> Path:
    out = tmp / "photo.xmp"
    subprocess.run([EXIFTOOL, "-q", "-o", str(out), str(_geotagged_jpeg(tmp / "photo.jpg"))], check=True)
    return out


def _printed(kind: str, tmp: Path) -> Path:
    out = tmp / f"track.{kind}"
    exiftool_print(kind)(out)
    return out


def _plist_xml(tmp: Path) -> Path:
    out = tmp / "Info.plist"
    out.write_bytes(plistlib.dumps({"CFBundleName": "Demo", "Items": [1, 2, 3]}, fmt=plistlib.FMT_XML))
    return out


def _plist_binary(tmp: Path) -> Path:
    out = tmp / "settings.plist"
    out.write_bytes(plistlib.dumps({"Name": "Demo"}, fmt=plistlib.FMT_BINARY))
    return out


def _eps(tmp: Path) -> Path:
    out = tmp / "figure.eps"
    Image.new("RGB", (8, 8), "red").save(out)
    return out


def _fits(tmp: Path) -> Path:
    out = tmp / "frame.fits"
    subprocess.run(["convert", "-size", "8x8", "xc:gray", str(out)], check=True)
    return out


def _text(name: str, body: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        out = tmp / name
        out.write_bytes(body.encode())
        return out

    return make


def _musepack_sv8(tmp: Path) -> Path:
    # SV8: "MPCK", then packets of a 2-byte key and a variable-length size (spec: musepack.net SV8).
    stream_header = b"SH" + bytes([14]) + struct.pack(">I", 0) + bytes([8, 0x82, 0x10, 0x00, 0x20, 0x11])
    out = tmp / "song.mpc"
    out.write_bytes(b"MPCK" + stream_header + b"SE\x03")
    return out


def _musepack_sv7(tmp: Path) -> Path:
    out = tmp / "old.mpc"
    out.write_bytes(b"MP+\x17" + struct.pack("<I", 1152) + bytes(range(65, 90)) * 4)  # SV7 header, printable payload
    return out


RTF = "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times;}}\\f0\\fs24 Hello {\\b world}.\\par}\n"
VCARD = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Li Lei\r\nEMAIL:li@example.com\r\nEND:VCARD\r\n"
ICAL = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//labeler tests//EN\r\nBEGIN:VEVENT\r\nUID:1@example.com\r\n"
    "DTSTAMP:20260101T000000Z\r\nDTSTART:20260102T090000Z\r\nSUMMARY:Launch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)

#: (maker, the kind the reason must name, needs exiftool)
KINDS: dict[str, tuple[Callable[[Path], Path], str, bool]] = {
    "xmp-sidecar": (_xmp_sidecar, "XMP sidecar", True),
    "gpx": (lambda tmp: _printed("gpx", tmp), "GPX", True),
    "kml": (lambda tmp: _printed("kml", tmp), "KML", True),
    "plist-xml": (_plist_xml, "property list", False),
    "plist-binary": (_plist_binary, "property list", False),
    "eps": (_eps, "PostScript/EPS", False),
    "fits": (_fits, "FITS", False),
    "rtf": (_text("letter.rtf", RTF), "RTF", False),
    "rtf-named-txt": (_text("letter.txt", RTF), "RTF", False),
    "vcard": (_text("contact.vcf", VCARD), "vCard", False),
    "ical": (_text("event.ics", ICAL), "iCalendar", False),
    "json-named-txt": (_text("data.txt", json.dumps({"a": [1, 2]}, indent=2)), "JSON", False),
    "json-numbers-named-txt": (_text("series.txt", json.dumps([1, 2.5, -3, None, True])), "JSON", False),
    "musepack-sv8": (_musepack_sv8, "MusePack", False),
    "musepack-sv7": (_musepack_sv7, "MusePack", False),
}


@pytest.mark.parametrize("case", sorted(KINDS))
def test_structured_kind_is_left_alone_with_its_name(case: str, tmp_path: Path) -> None:
    make, kind, needs_exiftool = KINDS[case]
    if needs_exiftool and not EXIFTOOL:
        pytest.skip("exiftool is not installed; it writes this fixture")
    src = make(tmp_path)
    before = src.read_bytes()
    out = tmp_path / "out" / src.name
    result = label_file(src, out, OPTIONS)
    assert result.status == "failed" and kind in (result.error or ""), result
    assert src.read_bytes() == before
    assert not out.exists() and not out.with_name(out.name + ".aigc.json").exists()
    verdict = verify_file(src)
    # named .txt, the content contradicts the name: an error (README); otherwise simply unsupported
    expected = ("error", "the extension says text") if src.suffix == ".txt" else ("unsupported", "which labeler does not label")
    assert (verdict.status, expected[1] in (verdict.error or "")) == (expected[0], True), verdict
    assert kind in (verdict.error or "")


@pytest.mark.parametrize("name", ["report.pdf", "photo.jpg", "song.mp3", "clip.mp4", "deck.pptx"])
def test_text_named_as_another_family_is_an_error(name: str, tmp_path: Path) -> None:
    src = tmp_path / name
    src.write_text("just some words, not the format the name claims\n")
    result = label_file(src, tmp_path / "out" / name, OPTIONS)
    assert result.status == "failed" and not (tmp_path / "out" / name).exists()
    verdict = verify_file(src)
    assert verdict.status == "error", verdict
    assert "the extension says" in (verdict.error or "")


PLAIN = {
    "notes.txt": "第一章\n这是一段普通的文字。\n[1] a reference, {braces} later are fine\n",
    "README": "第一章\n这是一段普通的文字。\n",
    "server.log": "[2026-01-02 10:00:00] started\n[2026-01-02 10:00:01] ready\n",
    "chapter.text": "[1] Smith, J. A reference list is text, not a JSON array.\n",
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_text_is_still_labelled(name: str, tmp_path: Path) -> None:
    src = tmp_path / name
    src.write_text(PLAIN[name], encoding="utf-8")
    out = tmp_path / "out" / name
    result = label_file(src, out, OPTIONS)
    assert result.status == "labelled", result.error
    assert out.read_text(encoding="utf-8") == "本内容由人工智能生成\n" + PLAIN[name]
    assert verify_file(out).status == "compliant"
