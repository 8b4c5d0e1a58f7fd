"""Prove labeler's own notice is still in the pixels, without OCR.

The explicit step stores a render ``Receipt`` (text, font size, box) in the file's XMP. Checking it
re-draws the glyph mask and compares it with the pixels in the box: ink pixels must be light, the
box around them dark, and the two clearly apart. A notice that was cropped away, scaled, or painted
over fails; ordinary re-compression (JPEG quality 70+) passes.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from ..render.banner import Receipt, glyph_mask

#: Share of sampled pixels that must agree, and the luminance limits (0-255).
AGREEMENT = 0.85
INK_MIN, BOX_MAX, MIN_CONTRAST = 160, 120, 90


def luminance(region: Image.Image) -> np.ndarray:
    if region.mode.startswith("I;16") or region.mode == "I":
        return np.asarray(region, dtype=np.float32) / 257.0  # 16-bit grey to the 0-255 scale
    if region.mode not in ("L", "RGB"):
        region = region.convert("RGBA").convert("RGB") if "A" in region.mode or region.mode == "P" else region.convert("RGB")
    return np.asarray(region.convert("L"), dtype=np.float32)


def patch_matches(region: Image.Image, receipt: Receipt, reduced: bool = False) -> tuple[bool, str]:
    """``region`` is the receipt's box cut from the displayed frame; True if our notice is in it.

    ``reduced``: the region comes from a frame decoded at a reduced scale (JPEG DCT scaling), so
    the glyph mask is scaled down to it rather than compared at full size."""
    mask = glyph_mask(receipt)
    if reduced:
        mask = mask.resize(region.size, Image.Resampling.BOX)
    elif region.size != mask.size:
        return False, f"box is {region.size}, receipt says {mask.size}"
    ink = np.asarray(mask.filter(ImageFilter.MinFilter(3))) >= 250
    if ink.sum() < 20:
        ink = np.asarray(mask) >= 200
    box = np.asarray(mask.filter(ImageFilter.MaxFilter(5))) == 0
    if ink.sum() < 10 or box.sum() < 10:
        return False, "receipt glyphs too small to check"
    lum = luminance(region)
    ink_ok = float((lum[ink] >= INK_MIN).mean())
    box_ok = float((lum[box] <= BOX_MAX).mean())
    contrast = float(np.median(lum[ink]) - np.median(lum[box]))
    ok = ink_ok >= AGREEMENT and box_ok >= AGREEMENT and contrast >= MIN_CONTRAST
    return ok, f"ink {ink_ok:.0%} light, box {box_ok:.0%} dark, contrast {contrast:.0f}"
