"""Proof that labelling never harms an asset, over real-world file kinds (issue 14, "Proof").

``scripts/realworld_files.py`` builds each kind with an independent tool (Pillow, ImageMagick,
ffmpeg, exiftool, reportlab, python-docx/pptx, openpyxl, plistlib); one ``labeler label`` run (the
CLI, as a user runs it) labels the folder. Then, for every file labeler labels:

- the output decodes with an independent reader (Pillow, ffmpeg/ffprobe, PyMuPDF + pdfinfo,
  zipfile + python-docx/pptx/openpyxl);
- what the reader sees is unchanged: dimensions, mode, frame count and timing, codecs, stream
  count, sample rate/depth, chapters (titles; times moved together by an audible notice), page count
  and sizes, text, parts;
- every ``exiftool -j -G1 -a`` tag of the input that is not the label is still there with its
  value, except the short, justified ``CHANGES`` table below;
- the file mode (0644 here) is kept.

Every file labeler does not label is left byte-identical, with no output, and the report gives the
reason. The counts are recorded in the README (section "Real-world proof").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import realworld_files

PRODUCER = "001191110102MACQD9K64010000"
TOOLS = ("exiftool", "ffmpeg", "ffprobe", "convert", "pdfinfo")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS), reason=f"needs {', '.join(TOOLS)} (CI installs them)"),
]

#: The kinds in the proof: file name (see realworld_files.KINDS) -> what labeler must do.
SUITE = {
    name: action for name, (_, action) in realworld_files.KINDS.items()
    if name in {
        "jpeg-cmyk-app14.jpg", "jpeg-exif-icc-iptc.jpg", "jpeg-progressive.jpg", "mpo-stereo.mpo", "png-text-icc.png",
        "gif-animated-disposal.gif", "webp-animated.webp", "tiff-planar.tif", "mp4-xmp.mp4",
        "png-16bit-gray.png", "png-16bit-rgb.png", "tiff-16bit.tif", "tiff-bilevel-g4.tif", "dng-like.dng",
        "alac.m4a", "flac-tags.flac", "opus-tags.opus", "mp3-id3v23.mp3", "wav-list-info.wav",
        "m4b-chapters.m4b", "mkv-chapters.mkv", "webm-vp9.webm", "webm-vp9-gbrp.webm",
        "reportlab.pdf", "python-docx.docx", "python-pptx.pptx", "openpyxl.xlsx", "notes.txt",
        "photo.xmp", "track.kml", "track.gpx", "Info.plist", "letter.rtf", "contact.vcf",
    }
}

#: Refusals whose reason is not "structured text": the expected words of the message.
REASONS = {"dng-like.dng": "this is a DNG file: its sensor data cannot show a visible notice"}

#: exiftool tags whose value may legitimately differ after labelling (name without group -> why).
CHANGES: dict[str, str] = {
    # the audible notice adds time to the timeline (chapter titles and their spacing are checked by ffprobe)
    **dict.fromkeys(("Duration", "TrackDuration", "MediaDuration", "TotalSamples", "ChapterList",
                     "ChapterTimeStart", "ChapterTimeEnd"), "the audible notice lengthens the timeline"),
    # a re-encode of content with the notice in it: stream statistics, not properties of the asset
    # (the video bitrate itself is held within 10 % of the source by the ffprobe check)
    **dict.fromkeys(("AvgBitrate", "AverageBitrate", "MaxBitrate", "BufferSize", "MD5Signature", "FrameSizeMin", "FrameSizeMax",
                     "BlockSizeMin", "BlockSizeMax"), "statistics of the re-encoded stream (the notice is in it)"),
    # where bytes sit in the container, and byte counts
    **dict.fromkeys(("MediaDataSize", "MediaDataOffset", "StripOffsets", "StripByteCounts", "ID3Size", "MPImageLength",
                     "MPImageStart"), "layout of the rewritten container"),
    # a planar TIFF's re-encoded strips hold the same samples interleaved (Pillow writes no planar TIFF)
    "PlanarConfiguration": "sample layout of the re-encoded strips",
    # exiftool reports only the first ZIP member, [Content_Types].xml, where the label's part is registered
    **dict.fromkeys(("ZipCRC", "ZipCompressedSize", "ZipUncompressedSize"), "the first ZIP member registers docProps/custom.xml"),
    # WebP: the VP8X flags gain the XMP bit for the label's chunk (animation, ICC, alpha: Pillow checks)
    "WebP_Flags": "the XMP bit of the VP8X flags",
    # text: the notice is a line of its own
    **dict.fromkeys(("LineCount", "WordCount"), "the notice line"),
}
#: Whole groups that are not the asset: the file system entry, exiftool itself, and the label.
CHANGING_GROUPS = ("System", "ExifTool", "XMP-TC260", "XMP-labeler")
LABEL_TAGS = {"XMP-iptcExt:DigitalSourceType", "XMP-x:XMPToolkit"}  # written with the label (XMP packet header)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _exiftool(paths: list[Path]) -> dict[str, list[tuple[str, Any]]]:
    """Every tag of every file as (Group:Name, value) pairs. ``-a`` alone does not keep duplicates in
    JSON; ``-G1:4`` names them Group:CopyN:Name, and the copy number is dropped here (it is only an
    index, and shifts when a box is added before a duplicate). Matroska is read with ``-ee``: ExifTool
    otherwise stops at the first Cluster, and Tags that had to move to make room sit after it."""
    files = []
    for matroska in (False, True):
        chosen = [str(p) for p in paths if (p.suffix.lower() in (".mkv", ".webm")) == matroska]
        ee = ["-ee"] if matroska else []
        out = subprocess.run(["exiftool", "-j", "-G1:4", "-a", "-n", *ee, *chosen], capture_output=True, text=True, check=False).stdout if chosen else "[]"
        files += json.loads(out, object_pairs_hook=lambda p: p)

    def plain(key: str) -> str:
        parts = key.split(":")
        return ":".join(p for p in parts if not (p.startswith("Copy") and p[4:].isdigit()))

    return {Path(pairs[0][1]).name: [(plain(k), v) for k, v in pairs[1:]] for pairs in files}


def _asset_tags(pairs: list[tuple[str, Any]]) -> Counter[tuple[str, str]]:
    kept: Counter[tuple[str, str]] = Counter()
    for key, value in pairs:
        group, _, name = key.partition(":")
        if group in CHANGING_GROUPS or key in LABEL_TAGS or name in CHANGES:
            continue
        kept[(key, json.dumps(value, sort_keys=True))] += 1
    return kept


# -- what an independent reader sees -------------------------------------------------------------
def _image_facts(path: Path) -> dict[str, Any]:
    with Image.open(path) as image:
        frames = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            image.load()  # decodes: a broken frame raises here
            frames.append((image.size, image.mode, image.info.get("duration"), getattr(image, "disposal_method", None)))
        text = {k: v for k, v in getattr(image, "text", {}).items() if k != "XML:com.adobe.xmp"}
        icc = image.info.get("icc_profile")
        return {"format": image.format, "frames": frames, "loop": image.info.get("loop"), "transparency": image.info.get("transparency"),
                "icc": hashlib.sha256(icc).hexdigest() if icc else None, "dpi": image.info.get("dpi"), "text": text}


def _probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-show_chapters", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


_STREAM_KEYS = ("codec_type", "codec_name", "profile", "sample_rate", "channels", "channel_layout", "sample_fmt",
                "bits_per_raw_sample", "width", "height", "pix_fmt")


def _av_facts(path: Path) -> dict[str, Any]:
    decoded = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, text=True, check=False)
    assert decoded.returncode == 0 and not decoded.stderr.strip(), f"{path.name} does not decode cleanly: {decoded.stderr[-500:]}"
    probe = _probe(path)
    chapters = probe.get("chapters", [])
    return {
        "format": probe["format"]["format_name"],
        "streams": [{k: s.get(k) for k in _STREAM_KEYS} for s in probe["streams"]],
        "video_kbps": [int(s["bit_rate"]) // 1000 for s in probe["streams"] if s["codec_type"] == "video" and s.get("bit_rate")],
        "chapters": [c.get("tags", {}).get("title") for c in chapters],
        "chapter_starts": [float(c["start_time"]) for c in chapters],
    }


def _same_chapters(before: list[float], after: list[float]) -> None:
    """Chapters after an audible notice: every chapter but the first moves by the same amount (the
    notice's length, ≥ 0); the first may start at 0 and take the notice in."""
    assert len(after) == len(before)
    if len(before) > 1:
        shifts = {round(a - b, 2) for a, b in zip(after[1:], before[1:])}
        assert len(shifts) == 1 and min(shifts) >= 0, f"chapters moved apart: {before} -> {after}"
        assert round(after[0] - before[0], 2) in (0.0, *shifts)


def _pdf_facts(path: Path) -> dict[str, Any]:
    import pymupdf

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False)
    assert info.returncode == 0, info.stderr
    with pymupdf.open(path) as doc:
        return {"pages": [tuple(round(v, 1) for v in page.rect) for page in doc],
                "meta": {k: doc.metadata.get(k) for k in ("title", "author", "subject")},
                "words": [sorted(set(page.get_text().split())) for page in doc]}


def _ooxml_facts(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
    suffix = path.suffix.lower()
    if suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        props, text = document.core_properties, [p.text for p in document.paragraphs]
    elif suffix == ".pptx":
        import pptx

        deck = pptx.Presentation(str(path))
        props = deck.core_properties
        text = [shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame]
    else:
        import openpyxl

        book = openpyxl.load_workbook(path)
        props = book.properties
        text = [str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None]
    return {"names": names, "title": props.title, "author": getattr(props, "author", None) or getattr(props, "creator", None), "text": text}


def _text_facts(path: Path) -> dict[str, Any]:
    return {"text": path.read_text(encoding="utf-8")}


READERS: dict[str, Callable[[Path], dict[str, Any]]] = {
    **dict.fromkeys((".jpg", ".png", ".tif", ".dng", ".gif", ".webp", ".mpo"), _image_facts),
    **dict.fromkeys((".m4a", ".flac", ".opus", ".mp3", ".m4b", ".wav", ".mp4", ".mkv", ".webm"), _av_facts),
    ".pdf": _pdf_facts,
    **dict.fromkeys((".docx", ".pptx", ".xlsx"), _ooxml_facts),
    ".txt": _text_facts,
}


def _same_for_reader(suffix: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """What the reader saw before must still be there; where the notice itself adds something
    (a paragraph, a line, words on a page, OOXML parts), the input's part must be kept."""
    if READERS[suffix] is _pdf_facts:
        assert (after["pages"], after["meta"]) == (before["pages"], before["meta"])
        assert all(set(b) <= set(a) for b, a in zip(before["words"], after["words"]))
    elif READERS[suffix] is _ooxml_facts:
        assert before["names"] <= after["names"], before["names"] - after["names"]
        assert (after["title"], after["author"]) == (before["title"], before["author"])
        assert all(t in after["text"] for t in before["text"])
    elif READERS[suffix] is _text_facts:
        assert after["text"].endswith(before["text"])
    elif READERS[suffix] is _av_facts:
        before, after = dict(before), dict(after)
        _same_chapters(before.pop("chapter_starts"), after.pop("chapter_starts"))
        rates = before.pop("video_kbps"), after.pop("video_kbps")
        assert all(abs(a - b) <= b / 10 for b, a in zip(*rates)), f"video bitrate not within 10 % of the source: {rates}"
        assert after == before
    else:
        assert after == before


# -- one labeler run over the whole folder -------------------------------------------------------
@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("realworld")
    inputs = base / "in"
    made = realworld_files.generate(inputs, list(SUITE))
    before = {p.name: {"sha": _sha(p), "mode": stat.S_IMODE(p.stat().st_mode)} for p in made}
    facts = {p.name: READERS[p.suffix.lower()](p) for p in made if SUITE[p.name] == "label"}
    tags = _exiftool(made)
    out = base / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    report_file = base / "report.json"
    done = subprocess.run([sys.executable, "-m", "labeler", "label", str(inputs), "--out", str(out), "--producer", PRODUCER,
                           "--format", "json", "--output", str(report_file), "--no-progress", "--jobs", "2"],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode in (0, 1), done.stderr  # 1: some files were (rightly) refused
    report = {Path(f["source"]).name: f for f in json.loads(report_file.read_text(encoding="utf-8"))["files"]}
    labelled = [out / n for n, f in report.items() if f["status"] == "labelled"]
    return {"inputs": inputs, "out": out, "before": before, "facts": facts, "tags": tags, "report": report,
            "tags_after": _exiftool(labelled) if labelled else {}}


@pytest.mark.parametrize("name", sorted(SUITE))
def test_input_untouched_and_reported(run: dict[str, Any], name: str) -> None:
    src = run["inputs"] / name
    assert _sha(src) == run["before"][name]["sha"], "the input was modified"
    entry = run["report"][name]
    if SUITE[name] == "refuse":
        assert entry["status"] == "failed" and entry["error"], entry
        assert REASONS.get(name, "which labeler does not label") in entry["error"]
        assert not (run["out"] / name).exists() and not (run["out"] / (name + ".aigc.json")).exists()
    else:
        assert entry["status"] == "labelled", entry["error"]
        assert entry["verify"]["status"] == "compliant"


@pytest.mark.parametrize("name", sorted(n for n, action in SUITE.items() if action == "label"))
def test_output_decodes_and_keeps_the_asset(run: dict[str, Any], name: str) -> None:
    out = run["out"] / name
    suffix = out.suffix.lower()
    _same_for_reader(suffix, run["facts"][name], READERS[suffix](out))


@pytest.mark.parametrize("name", sorted(n for n, action in SUITE.items() if action == "label"))
def test_file_mode_kept(run: dict[str, Any], name: str) -> None:
    assert oct(stat.S_IMODE((run["out"] / name).stat().st_mode)) == oct(run["before"][name]["mode"])


@pytest.mark.parametrize("name", sorted(n for n, action in SUITE.items() if action == "label"))
def test_every_exiftool_tag_survives(run: dict[str, Any], name: str) -> None:
    before = _asset_tags(run["tags"][name])
    after = _asset_tags(run["tags_after"][name])
    lost = before - after
    assert not lost, f"{name}: tags lost or changed: {sorted(lost)}"


def test_raw_implicit_only_keeps_the_raw_data(tmp_path: Path) -> None:
    """The raw file refused above takes the implicit label alone, its image data byte for byte."""
    src = realworld_files.generate(tmp_path / "in", ["dng-like.dng"])[0]
    out = tmp_path / "out" / src.name
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "labeler", "label", str(src), "--out", str(out.parent), "--producer", PRODUCER,
                           "--no-explicit", "--no-progress"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    with Image.open(src) as before, Image.open(out) as after:
        assert (after.size, after.mode, after.tobytes()) == (before.size, before.mode, before.tobytes())
    tags = _exiftool([src, out])
    lost = _asset_tags(tags[src.name]) - _asset_tags(tags[out.name])
    assert not lost, sorted(lost)
    assert any(key.startswith("XMP-TC260:") for key, _ in tags[out.name])


def test_counts_match_the_readme(run: dict[str, Any]) -> None:
    statuses = Counter(entry["status"] for entry in run["report"].values())
    refused = sum(1 for action in SUITE.values() if action == "refuse")
    line = f"{len(SUITE) - refused} kinds labelled, {refused} refused with a reason, 0 damaged"
    assert (statuses["labelled"], statuses["failed"]) == (len(SUITE) - refused, refused)
    assert line in (ROOT / "README.md").read_text(encoding="utf-8")
