"""Which MIME type c2pa-python gets for a file, decided by magic bytes (the extension only for ZIP).

A file whose type is not in this table cannot carry an embedded manifest: it is skipped with a
note, or gets a ``NAME.c2pa`` sidecar when asked. OGG and Matroska/WebM are recognised only so the
note can name them; c2pa-rs 0.91 refuses them ("type is unsupported").
"""

from __future__ import annotations

from pathlib import Path

#: ISO-BMFF major brand -> MIME type (anything else with an ``ftyp`` box is treated as MP4).
_FTYP_BRANDS = {
    b"avif": "image/avif", b"avis": "image/avif",
    b"heic": "image/heic", b"heix": "image/heic", b"heim": "image/heic", b"heis": "image/heic",
    b"mif1": "image/heif", b"msf1": "image/heif",
    b"M4A ": "audio/mp4", b"M4B ": "audio/mp4",
    b"qt  ": "video/quicktime",
}
#: ZIP containers c2pa signs, by extension (the ZIP magic alone does not say which).
ZIP_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "docm": "application/vnd.ms-word.document.macroenabled.12",
    "xlsm": "application/vnd.ms-excel.sheet.macroenabled.12",
    "pptm": "application/vnd.ms-powerpoint.presentation.macroenabled.12",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "epub": "application/epub+zip",
}
#: Recognised but not signable: named in the skip note.
_UNSIGNABLE = ((b"OggS", "OGG"), (b"\x1aE\xdf\xa3", "Matroska/WebM"))


def _riff(head: bytes) -> str | None:
    return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/avi"}.get(head[8:12])


def _ftyp(head: bytes) -> str:
    return _FTYP_BRANDS.get(head[8:12], "video/mp4")


def _mp3(head: bytes) -> bool:
    # ID3v2 tag, or an MPEG Layer III frame header: 11 sync bits, layer 01, a real bitrate and
    # sample-rate index (so a UTF-16 BOM, FF FE, is not taken for audio).
    if head.startswith(b"ID3"):
        return True
    return len(head) > 2 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2 and 0 < head[2] >> 4 < 15 and (head[2] >> 2) & 3 != 3


def mime_type(name: str, head: bytes) -> str | None:
    """The MIME type to give c2pa for this content, or None if c2pa cannot embed a manifest in it."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"RIFF"):
        return _riff(head)
    if head[4:8] == b"ftyp":
        return _ftyp(head)
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return ZIP_TYPES.get(Path(name).suffix.lower().lstrip("."))
    if _mp3(head):
        return "audio/mpeg"
    return None


def unsignable_kind(name: str, head: bytes) -> str:
    """A short name for a format c2pa cannot take, for the skip note."""
    for magic, kind in _UNSIGNABLE:
        if head.startswith(magic):
            return kind
    suffix = Path(name).suffix.lower().lstrip(".")
    return suffix.upper() or "this format"
