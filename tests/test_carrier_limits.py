"""One size and depth limit in front of every label carrier (``label.MAX_CARRIER_BYTES`` / ``_DEPTH``).

Each carrier gets generated hostile inputs made by independent tools (PyYAML-free text, Pillow,
mutagen, PyMuPDF, piexif, python-docx + zipfile): 100,000-deep nesting must be refused with a named
finding or error (not a RecursionError), and an oversized value must be refused at once, with
bounded time and memory (measured in a child process).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file, verify_file
from labeler.label import MAX_CARRIER_BYTES, MAX_CARRIER_DEPTH, bracket_depth, carrier_refusal, parse_label
from labeler.xmp import build_xmp, parse_xmp

from .conftest import FIXTURES, PRODUCER, ROOT

DEEP = 100_000
DEEP_JSON = '{"AIGC":' + "[" * 30_000 + "]" * 30_000 + "}"  # under the 64 KiB label limit: depth decides
SAMPLES = FIXTURES / "samples"


def outcome(path: Path) -> str:
    """Every rule and error verify and label report for ``path``, as one string to search."""
    verdict = verify_file(path)
    result = label_file(path, path.parent / "out" / path.name, LabelOptions(producer=PRODUCER))
    text = " ".join([verdict.error or "", result.error or "", *(str(p) for p in verdict.problems())])
    assert "internal error" not in text, text
    assert "RecursionError" not in text, text
    if not result.ok:
        assert not (path.parent / "out" / path.name).exists()
    return text


def test_limits_refuse_before_parsing() -> None:
    assert bracket_depth('{"a":[{"b":"[[[[[["}]}') == 3
    assert bracket_depth("[" * DEEP) == MAX_CARRIER_DEPTH + 1  # stops counting at the limit
    assert carrier_refusal("[" * 65 + "]" * 65, "x") and carrier_refusal("[" * 64 + "]" * 64, "x") is None
    assert "over labeler's" in (carrier_refusal(b"a" * (MAX_CARRIER_BYTES + 1), "tag") or "")
    assert [p.rule for p in parse_label("[" * 3000).problems] == ["label.too-deep"]


def test_xmp_deeper_than_the_limit_is_refused_at_once() -> None:
    packet = build_xmp('{"Label":"1"}').replace(b"</rdf:Description>", b"<a>" * DEEP + b"</a>" * DEEP + b"</rdf:Description>")
    started = time.monotonic()
    info = parse_xmp(packet)
    assert time.monotonic() - started < 2
    assert [p.rule for p in info.problems] == ["xmp.hostile"] and "deep" in info.problems[0].message


# --- text carriers: front matter and <meta> ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "front"),
    [
        ("flow-lists", "AIGC: " + "[" * DEEP + "]" * DEEP),
        ("block-lists", "AIGC:\n" + "".join(" " * i + "-\n" for i in range(200)) + " " * 200 + "- x"),
        ("one-line-block-lists", "AIGC:\n  " + "- " * 5000 + "x"),
    ],
    ids=["flow-lists", "block-lists", "one-line-block-lists"],
)
def test_deep_front_matter_is_refused(name: str, front: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.md"
    path.write_text(f"---\ntitle: t\n{front}\n---\n# Body\n", encoding="utf-8")
    text = outcome(path)
    assert f"more than {MAX_CARRIER_DEPTH}" in text, text


def test_deep_label_json_in_html_meta_and_front_matter_string(tmp_path: Path) -> None:
    html = tmp_path / "deep.html"
    html.write_text(f"<!doctype html><html><head><meta name=\"AIGC\" content='{'[' * 60000}'></head><body>x</body></html>")
    assert "label.too-deep" in outcome(html)
    md = tmp_path / "deep-string.md"
    md.write_text("---\nAIGC: '" + "[" * 60000 + "'\n---\nbody\n", encoding="utf-8")
    assert "label.too-deep" in outcome(md)


# --- binary carriers ------------------------------------------------------------------------------------


def png_text(tmp_path: Path) -> Path:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("AIGC", DEEP_JSON, zip=True)
    path = tmp_path / "deep.png"
    Image.new("RGB", (32, 32), "gray").save(path, pnginfo=info)
    return path


def png_xmp(tmp_path: Path) -> Path:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt(
        "XML:com.adobe.xmp",
        build_xmp('{"Label":"1"}').decode().replace("</rdf:Description>", "<a>" * DEEP + "</a>" * DEEP + "</rdf:Description>"),
    )
    path = tmp_path / "deep-xmp.png"
    Image.new("RGB", (32, 32), "gray").save(path, pnginfo=info)
    return path


def jpeg_exif(tmp_path: Path) -> Path:
    import piexif
    from PIL import Image

    exif = piexif.dump({"0th": {piexif.ImageIFD.ImageDescription: DEEP_JSON.encode()}})
    path = tmp_path / "deep-exif.jpg"
    Image.new("RGB", (32, 32), "gray").save(path, exif=exif)
    return path


def mp3_txxx(tmp_path: Path) -> Path:
    from mutagen.id3 import ID3, TXXX

    path = tmp_path / "deep.mp3"
    path.write_bytes((SAMPLES / "audio" / "mp3-cbr-id3v23-cover.mp3").read_bytes())
    tags = ID3(path)
    tags.add(TXXX(encoding=3, desc="AIGC", text=[DEEP_JSON]))
    tags.save(path)
    return path


def flac_vorbis(tmp_path: Path) -> Path:
    from mutagen.flac import FLAC

    path = tmp_path / "deep.flac"
    path.write_bytes((SAMPLES / "audio" / "flac-16bit-cover.flac").read_bytes())
    audio = FLAC(path)
    audio["AIGC"] = DEEP_JSON
    audio.save()
    return path


def m4a_freeform(tmp_path: Path) -> Path:
    from mutagen.mp4 import MP4, MP4FreeForm

    path = tmp_path / "deep.m4a"
    path.write_bytes((SAMPLES / "audio" / "m4a-aac-cover.m4a").read_bytes())
    audio = MP4(path)
    audio["----:com.apple.iTunes:AIGC"] = [MP4FreeForm(DEEP_JSON.encode())]
    audio.save()
    return path


def pdf_info(tmp_path: Path) -> Path:
    import pymupdf

    path = tmp_path / "deep.pdf"
    with pymupdf.open(SAMPLES / "document" / "report.pdf") as document:
        document.set_metadata({"title": "deep"})
        info = int(document.xref_get_key(-1, "Info")[1].split()[0])
        document.xref_set_key(info, "AIGC", "(" + "[" * 60000 + ")")
        document.save(path)
    return path


def docx_custom(tmp_path: Path) -> Path:
    import docx

    source = io.BytesIO()
    docx.Document().save(source)
    deep = (
        '<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties">'
        + "<a>" * DEEP
        + "</a>" * DEEP
        + "</Properties>"
    )
    path = tmp_path / "deep.docx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
                )
            if item.filename == "_rels/.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>',
                )
            new.writestr(item, data)
        new.writestr("docProps/custom.xml", deep)
    return path


def sidecar(tmp_path: Path) -> Path:
    path = tmp_path / "photo.bmp"
    path.write_bytes((SAMPLES / "image" / "bmp-rgb.bmp").read_bytes())
    (tmp_path / "photo.bmp.aigc.json").write_text(DEEP_JSON)
    return path


CARRIERS = {
    "png-text": (png_text, "label.too-deep"),
    "png-xmp": (png_xmp, "deep"),
    "jpeg-exif": (jpeg_exif, "label.too-deep"),
    "mp3-id3-txxx": (mp3_txxx, "label.too-"),
    "flac-vorbis": (flac_vorbis, "label.too-"),
    "m4a-freeform": (m4a_freeform, "label.too-"),
    "pdf-info": (pdf_info, "label.too-deep"),
    "docx-custom-xml": (docx_custom, "more than 64 deep"),
    "sidecar": (sidecar, "label.too-deep"),
}


@pytest.mark.slow  # ~5 s per carrier: label renders and OCR-checks a notice
@pytest.mark.parametrize("carrier", sorted(CARRIERS))
def test_deep_nesting_in_every_carrier_is_a_named_refusal(carrier: str, tmp_path: Path) -> None:
    make, expected = CARRIERS[carrier]
    text = outcome(make(tmp_path))
    assert expected in text, text


# --- size: refused at once, bounded memory (measured in a child so the numbers are the check's own) ------

# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child forked from a big pytest
# would report the parent's peak.
PROBE = """
import json, re, sys, time
from pathlib import Path
from labeler import verify_file
started = time.monotonic()
verdict = verify_file(Path(sys.argv[1]))
peak_kb = int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
print(json.dumps({"seconds": time.monotonic() - started, "peak_mb": peak_kb / 1024,
                  "status": verdict.status, "text": " ".join([verdict.error or "", *(str(p) for p in verdict.problems())])}))
"""
HUGE = 40 * 1024 * 1024  # over every carrier limit; the old code took 30-300 s and ~680 MB at 100 MB


def huge_markdown(tmp_path: Path) -> Path:
    path = tmp_path / "huge.md"
    path.write_bytes(b'---\ntitle: t\nAIGC: "' + b"A" * HUGE + b'"\n---\n# Body\n')
    return path


def huge_html(tmp_path: Path) -> Path:
    path = tmp_path / "huge.html"
    path.write_bytes(b'<!doctype html><html><head><meta name="AIGC" content=\'' + b"A" * HUGE + b"'></head><body>x</body></html>")
    return path


def huge_mp3(tmp_path: Path) -> Path:
    from mutagen.id3 import ID3, TXXX

    path = tmp_path / "huge.mp3"
    path.write_bytes((SAMPLES / "audio" / "mp3-cbr-id3v23-cover.mp3").read_bytes())
    tags = ID3(path)
    tags.add(TXXX(encoding=3, desc="AIGC", text=["A" * HUGE]))
    tags.save(path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("make", [huge_markdown, huge_html, huge_mp3], ids=["markdown-front-matter", "html-meta", "mp3-txxx"])
def test_huge_carrier_is_refused_fast_with_bounded_memory(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    child = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    measured = json.loads(child.stdout.splitlines()[-1])
    assert "over labeler's" in measured["text"] or "label.too-large" in measured["text"], measured
    # Reading a 40 MB file costs a few copies of it; parsing it (YAML, HTMLParser) cost 10x more.
    assert measured["seconds"] < 30, measured
    assert measured["peak_mb"] < 400, measured
