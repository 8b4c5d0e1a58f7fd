"""Decode text files without losing a byte: BOM, encoding and line endings are detected and kept.

Supported: UTF-8 (with or without BOM), UTF-16 and UTF-32 with BOM, and GB18030 (a superset of
GBK and GB2312, common for Chinese text). A file is accepted only if decoding and re-encoding it
gives back the same bytes, so edits elsewhere in the text can never change untouched bytes.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError

#: Text files are read whole; larger ones are refused rather than exhausting memory.
MAX_TEXT_BYTES = 256 * 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_FALLBACKS = ("utf-8", "gb18030")
_ALLOWED_CONTROLS = set("\t\n\r\f\v\x1b")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    bom: bytes
    newline: str

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.encoding)


def _newline(text: str) -> str:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    return max((crlf, "\r\n"), (lf, "\n"), (cr, "\r"))[1] if (crlf or lf or cr) else "\n"


def _split_bom(data: bytes) -> tuple[bytes, str | None]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return bom, encoding
    return b"", None


def _binary_reason(text: str) -> str | None:
    if "\x00" in text:
        return "it contains NUL characters (binary data)"
    sample = text[:8192]
    controls = sum(1 for ch in sample if ch < " " and ch not in _ALLOWED_CONTROLS)
    if sample and controls / len(sample) > 0.01:
        return "it contains control characters (binary data)"
    return None


def looks_like_text(head: bytes) -> bool:
    """Cheap sniff on a file head (which may end mid-character)."""
    bom, encoding = _split_bom(head)
    body = head[len(bom) :]
    if not encoding and b"\x00" in body:
        return False  # UTF-8 and GB18030 would decode it to NUL: binary (every image, audio, video head)
    candidates = [encoding] if encoding else list(_FALLBACKS)
    for candidate in candidates:
        decoder = codecs.getincrementaldecoder(candidate)(errors="strict")
        try:
            text = decoder.decode(body, final=False)
        except UnicodeDecodeError:
            continue
        if _binary_reason(text) is None:
            return True
    return False


def decode(data: bytes, path: Path | None = None) -> Decoded:
    """Decode a whole file; raise ``InputError`` with a fix-it hint when that is not possible."""
    bom, encoding = _split_bom(data)
    candidates = [encoding] if encoding else list(_FALLBACKS)
    body = data[len(bom) :]
    for candidate in candidates:
        try:
            text = body.decode(candidate)
        except UnicodeDecodeError:
            continue
        reason = _binary_reason(text)
        if reason:
            raise InputError(f"not a text file: {reason}; if it is text, save it as UTF-8", path)
        if text.encode(candidate) != body:
            continue
        return Decoded(text, candidate, bom, _newline(text))
    raise InputError("text is not valid UTF-8, UTF-16/32 (with BOM) or GB18030; convert it to UTF-8 and retry", path)


def read_text(path: Path) -> Decoded:
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise InputError(
            f"text file is {size:,} bytes, over the {MAX_TEXT_BYTES:,}-byte limit for text files; split it into smaller files", path
        )
    return decode(path.read_bytes(), path)
