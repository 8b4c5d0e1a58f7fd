"""The CJK font every notice is drawn with: PyMuPDF's built-in Droid Sans Fallback (Apache-2.0).

It ships inside the ``pymupdf`` wheel, so no system font is needed. Pillow's default font draws
tofu boxes for Chinese; labeler never falls back to it. Coverage is checked against the font's
cmap before drawing (MuPDF's own lookup: decompiling the 3.5 MB font's cmap with fontTools took
0.3 s per process), so a notice with a character the font lacks fails loudly instead of rendering
a box.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from PIL import ImageFont

from ..errors import BackendMissingError, LabelFormatError

FONT_NAME = "cjk"
INSTALL_HINT = "pip install 'pymupdf>=1.24,<2'"


@lru_cache(maxsize=4)
def _mupdf_font(name: str) -> Any:
    try:
        import pymupdf
    except ImportError as exc:  # pragma: no cover - pymupdf is a core dependency
        raise BackendMissingError(f"the CJK notice font comes from PyMuPDF, which is not installed; {INSTALL_HINT}") from exc
    try:
        return pymupdf.Font(name)
    except Exception as exc:
        raise BackendMissingError(f"PyMuPDF has no built-in font {name!r} ({exc}); {INSTALL_HINT}") from exc


@lru_cache(maxsize=4)
def font_bytes(name: str = FONT_NAME) -> bytes:
    """The TrueType font bytes (cached per process)."""
    buffer = _mupdf_font(name).buffer
    if not buffer:
        raise BackendMissingError(f"PyMuPDF's font {name!r} has no embeddable TrueType data; {INSTALL_HINT}")
    return bytes(buffer)


def missing_glyphs(text: str, name: str = FONT_NAME) -> str:
    """Characters of ``text`` the font cannot draw (whitespace ignored)."""
    font = _mupdf_font(name)
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and not font.has_glyph(ord(ch))))


def require_drawable(text: str, name: str = FONT_NAME) -> str:
    missing = missing_glyphs(text, name)
    if missing:
        raise LabelFormatError(
            f"the notice font has no glyph for {missing!r}; it would draw boxes. Use other characters in the notice text"
        )
    return text


class _SharedBytes:
    """Hands Pillow the cached font bytes themselves: ``truetype(BytesIO(...))`` copied the font
    (1.7 MB) once per size, so checking one large image held ~20 MB of copies and a batch of mixed
    sizes up to 64 of them."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1) -> bytes:
        return self._data


@lru_cache(maxsize=8)
def load_font(size: int, name: str = FONT_NAME) -> ImageFont.FreeTypeFont:
    """The CJK font at ``size`` pixels (a few cached: each size is a FreeType face of ~1.7 MB)."""
    return ImageFont.truetype(_SharedBytes(font_bytes(name)), size)  # type: ignore[arg-type]  # Pillow only calls read() on it
