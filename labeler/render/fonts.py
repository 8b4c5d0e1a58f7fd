"""The CJK font every notice is drawn with: PyMuPDF's built-in Droid Sans Fallback (Apache-2.0).

It ships inside the ``pymupdf`` wheel, so no system font is needed. Pillow's default font draws
tofu boxes for Chinese; labeler never falls back to it. Coverage is checked against the font's
cmap before drawing, so a notice with a character the font lacks fails loudly instead of
rendering a box.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import ImageFont

from ..errors import BackendMissingError, LabelFormatError

FONT_NAME = "cjk"
INSTALL_HINT = "pip install 'pymupdf>=1.24,<2'"


@lru_cache(maxsize=4)
def font_bytes(name: str = FONT_NAME) -> bytes:
    """The TrueType font bytes (cached per process)."""
    try:
        import pymupdf
    except ImportError as exc:  # pragma: no cover - pymupdf is a core dependency
        raise BackendMissingError(f"the CJK notice font comes from PyMuPDF, which is not installed; {INSTALL_HINT}") from exc
    try:
        buffer = pymupdf.Font(name).buffer
    except Exception as exc:
        raise BackendMissingError(f"PyMuPDF has no built-in font {name!r} ({exc}); {INSTALL_HINT}") from exc
    if not buffer:
        raise BackendMissingError(f"PyMuPDF's font {name!r} has no embeddable TrueType data; {INSTALL_HINT}")
    return bytes(buffer)


@lru_cache(maxsize=4)
def _cmap(name: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    table = TTFont(io.BytesIO(font_bytes(name)), lazy=True)["cmap"].getBestCmap() or {}
    return frozenset(table)


def missing_glyphs(text: str, name: str = FONT_NAME) -> str:
    """Characters of ``text`` the font cannot draw (whitespace ignored)."""
    cmap = _cmap(name)
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and ord(ch) not in cmap))


def require_drawable(text: str, name: str = FONT_NAME) -> str:
    missing = missing_glyphs(text, name)
    if missing:
        raise LabelFormatError(f"the notice font has no glyph for {missing!r}; it would draw boxes. Use other characters in the notice text")
    return text


@lru_cache(maxsize=64)
def load_font(size: int, name: str = FONT_NAME) -> ImageFont.FreeTypeFont:
    """The CJK font at ``size`` pixels (cached)."""
    return ImageFont.truetype(io.BytesIO(font_bytes(name)), size)
