"""Shared drawing for visible notices (images and video frames).

    render_banner(text, (w, h), position, height_ratio) -> Banner(patch RGBA, box, receipt)

The receipt describes the drawing exactly; ``labeler.detect.receipt.check_receipt`` re-draws it
to prove the notice is still in the pixels.
"""

from .banner import (
    DEFAULT_HEIGHT_RATIO,
    DEFAULT_POSITION,
    MIN_HEIGHT_RATIO,
    POSITIONS,
    Banner,
    Receipt,
    check_position,
    check_ratio,
    draw_patch,
    glyph_mask,
    plan_banner,
    render_banner,
)
from .fonts import load_font, missing_glyphs, require_drawable

__all__ = [
    "DEFAULT_HEIGHT_RATIO",
    "DEFAULT_POSITION",
    "MIN_HEIGHT_RATIO",
    "POSITIONS",
    "Banner",
    "Receipt",
    "check_position",
    "check_ratio",
    "draw_patch",
    "glyph_mask",
    "load_font",
    "missing_glyphs",
    "plan_banner",
    "render_banner",
    "require_drawable",
]
