"""Small media files for the C2PA tests, made by code (Pillow, soundfile, PyMuPDF, zipfile, ffmpeg)."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image


def _image(fmt: str, **save: object) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        rng = np.random.default_rng(7)
        pixels = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path, fmt, **save)

    return make


def _audio(fmt: str, **extra: object) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        import soundfile

        t = np.arange(16000 * 2) / 16000
        soundfile.write(path, (0.2 * np.sin(2 * np.pi * 440 * t)).astype("float32"), 16000, format=fmt, **extra)

    return make


def _pdf(path: Path) -> None:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "A quarterly report drafted by a model.")
    doc.save(path)


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    "<w:p><w:r><w:t>A memo drafted by a model.</w:t></w:r></w:p></w:body></w:document>"
)


def _docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", _DOCUMENT)


def _ffmpeg(*args: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        subprocess.run([shutil.which("ffmpeg") or "ffmpeg", "-y", "-loglevel", "error", *args, str(path)], check=True)

    return make


_VIDEO = ("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1", "-pix_fmt", "yuv420p")
#: name -> (maker, needs ffmpeg)
MEDIA: dict[str, tuple[Callable[[Path], None], bool]] = {
    "photo.jpg": (_image("JPEG", quality=90), False),
    "photo.png": (_image("PNG"), False),
    "photo.webp": (_image("WEBP", quality=90), False),
    "photo.gif": (_image("GIF"), False),
    "photo.tif": (_image("TIFF"), False),
    "photo.avif": (_image("AVIF"), False),
    "voice.wav": (_audio("WAV", subtype="PCM_16"), False),
    "voice.flac": (_audio("FLAC"), False),
    "voice.mp3": (_audio("MP3"), False),
    "report.pdf": (_pdf, False),
    "memo.docx": (_docx, False),
    "clip.mp4": (_ffmpeg(*_VIDEO, "-c:v", "libx264"), True),
    "clip.mov": (_ffmpeg(*_VIDEO, "-c:v", "libx264"), True),
    "voice.m4a": (_ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac"), True),
}


def make_media(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    MEDIA[name][0](path)
    return path


def opens(path: Path) -> None:
    """Open ``path`` with an independent reader for its kind; raises if it is damaged."""
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".png", ".webp", ".gif", ".tif", ".avif"):
        with Image.open(path) as image:
            image.load()
    elif suffix in (".wav", ".flac"):
        import soundfile

        assert soundfile.info(str(path)).frames > 0
    elif suffix in (".mp3", ".m4a"):
        import mutagen

        assert mutagen.File(path) is not None and mutagen.File(path).info.length > 0
    elif suffix == ".pdf":
        import pymupdf

        with pymupdf.open(path) as doc:
            assert doc.page_count == 1 and doc[0].get_text()
    elif suffix == ".docx":
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None and "word/document.xml" in archive.namelist()
    if suffix in (".mp4", ".mov", ".m4a") and shutil.which("ffprobe"):
        subprocess.run(["ffprobe", "-v", "error", "-show_streams", str(path)], check=True, capture_output=True)
