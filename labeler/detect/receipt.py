"""Prove labeler's own notice is still in the pixels, without OCR.

The explicit step stores a render ``Receipt`` (text, font size, box) in the file's XMP. Checking it
re-draws the glyph mask and compares it with the pixels in the box: ink pixels must be light, the
box around them dark, and the two clearly apart. A notice that was cropped away, scaled, or painted
over fails; ordinary re-compression (JPEG quality 70+) passes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from PIL import Image, ImageFilter

from ..lazy import lazy_module
from ..render.banner import Receipt, glyph_mask

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

#: Share of sampled pixels that must agree, and the luminance limits (0-255).
AGREEMENT = 0.85
INK_MIN, BOX_MAX, MIN_CONTRAST = 160, 120, 90


def luminance(region: Image.Image) -> np.ndarray:
    if region.mode.startswith("I;16") or region.mode == "I":
        return np.asarray(region, dtype=np.float32) / 257.0  # 16-bit grey to the 0-255 scale
    if region.mode not in ("L", "RGB"):
        region = region.convert("RGBA").convert("RGB") if "A" in region.mode or region.mode == "P" else region.convert("RGB")
    return np.asarray(region.convert("L"), dtype=np.float32)


@lru_cache(maxsize=64)
def _sample_masks(receipt: Receipt, size: tuple[int, int] | None) -> tuple[np.ndarray, np.ndarray]:
    """Where ink must be light and where the box must be dark (cached: a batch of same-size images
    shares receipts). ``size`` scales the glyph mask for a reduced-scale decode."""
    mask = glyph_mask(receipt)
    if size is not None:
        mask = mask.resize(size, Image.Resampling.BOX)
    ink = np.asarray(mask.filter(ImageFilter.MinFilter(3))) >= 250
    if ink.sum() < 20:
        ink = np.asarray(mask) >= 200
    box = np.asarray(mask.filter(ImageFilter.MaxFilter(5))) == 0
    ink.flags.writeable = box.flags.writeable = False  # shared through the cache
    return ink, box


def patch_matches(region: Image.Image, receipt: Receipt, reduced: bool = False) -> tuple[bool, str]:
    """``region`` is the receipt's box cut from the displayed frame; True if our notice is in it.

    ``reduced``: the region comes from a frame decoded at a reduced scale (JPEG DCT scaling), so
    the glyph mask is scaled down to it rather than compared at full size."""
    ink, box = _sample_masks(receipt, region.size if reduced else None)
    if ink.shape != (region.height, region.width):
        return False, f"box is {region.size}, receipt says {ink.shape[::-1]}"
    if ink.sum() < 10 or box.sum() < 10:
        return False, "receipt glyphs too small to check"
    lum = luminance(region)
    ink_ok = float((lum[ink] >= INK_MIN).mean())
    box_ok = float((lum[box] <= BOX_MAX).mean())
    contrast = float(np.median(lum[ink]) - np.median(lum[box]))
    ok = ink_ok >= AGREEMENT and box_ok >= AGREEMENT and contrast >= MIN_CONTRAST
    return ok, f"ink {ink_ok:.0%} light, box {box_ok:.0%} dark, contrast {contrast:.0f}"
