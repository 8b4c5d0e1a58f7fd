"""The visible notice banner for images and video frames: white CJK text on a dark box.

``render_banner`` places the notice at one of eight positions with a margin, sizes the font so the
rendered *glyph bounding box* is at least ``height_ratio`` of the frame's shortest side (GB 45438:
≥ 5 %), and returns the RGBA patch, its box in frame coordinates, and a ``Receipt`` — everything
needed to draw the same patch again, which is how labeler later proves its own notice is still in
the pixels without OCR (``labeler.detect.receipt``).

White text on a translucent dark box is legible on any background and is what OCR reads best
(mid-grey text without a box was never read in our measurements). ``binary=True`` draws without
anti-aliasing and with an opaque box, for palette images (GIF, palette PNG) where every new colour
costs a palette slot.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from PIL import Image, ImageDraw

from ..errors import LabelFormatError
from .fonts import FONT_NAME, load_font, require_drawable

POSITIONS = ("top-left", "top", "top-right", "left", "right", "bottom-left", "bottom", "bottom-right")
DEFAULT_POSITION = "bottom-right"
MIN_HEIGHT_RATIO = 0.05
DEFAULT_HEIGHT_RATIO = 0.06
MAX_HEIGHT_RATIO = 0.5
TEXT_RGB = (255, 255, 255)
BOX_ALPHA = {False: 176, True: 255}  # translucent box; opaque for palette images
PAD_X, PAD_Y, MARGIN = 0.30, 0.22, 0.02  # fractions of the glyph height / shortest side
RECEIPT_VERSION = 1
#: Below this glyph height (pixels) CJK strokes merge and the notice is not legible, whatever the ratio.
MIN_GLYPH_PX = 8
#: The smallest legal notice may cover at most this share of the frame's area; a smaller frame (an
#: icon, a favicon) is refused with the smallest size that takes it, rather than mostly hidden.
MAX_COVER = 0.10
#: Where each position puts the box: (horizontal, vertical) anchor as 0 = start, 1 = centre, 2 = end.
_ANCHORS = {
    "top-left": (0, 0), "top": (1, 0), "top-right": (2, 0),
    "left": (0, 1), "right": (2, 1),
    "bottom-left": (0, 2), "bottom": (1, 2), "bottom-right": (2, 2),
}  # fmt: skip


@dataclass(frozen=True)
class Receipt:
    """How a notice was drawn: enough to draw the identical patch again."""

    text: str
    frame: tuple[int, int]  # (width, height) of the frame as displayed
    box: tuple[int, int, int, int]  # (x0, y0, x1, y1) in display coordinates
    position: str
    font: str
    size: int  # font size in pixels
    glyph_height: int  # measured height of the rendered glyph bounding box, pixels
    origin: tuple[int, int]  # text draw origin inside the patch
    binary: bool = False
    version: int = RECEIPT_VERSION

    @property
    def height_ratio(self) -> float:
        return self.glyph_height / min(self.frame)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Receipt:
        """Parse a stored receipt; raises ``ValueError`` if it is not one labeler wrote."""
        data: Any = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != RECEIPT_VERSION:
            raise ValueError("not a version-1 notice receipt")
        try:
            receipt = cls(
                text=str(data["text"]),
                frame=_ints(data["frame"], 2),
                box=_ints(data["box"], 4),
                position=str(data["position"]),
                font=str(data["font"]),
                size=int(data["size"]),
                glyph_height=int(data["glyph_height"]),
                origin=_ints(data["origin"], 2),
                binary=bool(data.get("binary", False)),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"notice receipt lacks a field ({exc})") from exc
        x0, y0, x1, y1 = receipt.box
        if not (0 < receipt.size <= 4096 and 0 <= x0 < x1 and 0 <= y0 < y1 and x1 - x0 <= 16384 and y1 - y0 <= 8192):
            raise ValueError("notice receipt has an implausible box or font size")
        return receipt


def _ints(value: Any, count: int) -> Any:
    if not isinstance(value, list) or len(value) != count:
        raise TypeError(f"expected {count} integers")
    return tuple(int(v) for v in value)


@dataclass(frozen=True)
class Banner:
    patch: Image.Image  # RGBA, the size of ``box``
    box: tuple[int, int, int, int]
    receipt: Receipt


def check_ratio(height_ratio: float | None) -> float:
    ratio = DEFAULT_HEIGHT_RATIO if height_ratio is None else float(height_ratio)
    if not math.isfinite(ratio) or ratio < MIN_HEIGHT_RATIO:
        raise LabelFormatError(
            f"notice height ratio {ratio:g} is refused: GB 45438 requires text at least {MIN_HEIGHT_RATIO:.0%} of the shortest side"
        )
    if ratio > MAX_HEIGHT_RATIO:
        raise LabelFormatError(f"notice height ratio {ratio:g} is too large; use at most {MAX_HEIGHT_RATIO:g}")
    return ratio


def check_position(position: str | None) -> str:
    position = position or DEFAULT_POSITION
    if position not in _ANCHORS:
        raise LabelFormatError(f"notice position {position!r} does not apply to images/video; use one of {', '.join(POSITIONS)}")
    return position


@lru_cache(maxsize=1024)
def _glyph_box(text: str, size: int) -> tuple[int, int, int, int]:
    """Measured once per (text, size) with a throwaway face: the size search probes several sizes
    per frame size, and only the sizes drawn with belong in ``load_font``'s small cache."""
    left, top, right, bottom = load_font.__wrapped__(size).getbbox(text)
    return int(left), int(top), int(right), int(bottom)  # FreeType boxes are whole pixels


def font_size_for(text: str, glyph_height: int) -> int:
    """The smallest font size whose rendered glyph box is at least ``glyph_height`` tall."""
    reference = 100
    _, top, _, bottom = _glyph_box(text, reference)
    size = max(4, math.floor(glyph_height * reference / max(1, bottom - top)))
    while _glyph_height(text, size) < glyph_height:
        size += 1
    while size > 4 and _glyph_height(text, size - 1) >= glyph_height:
        size -= 1
    return size


def _glyph_height(text: str, size: int) -> int:
    _, top, _, bottom = _glyph_box(text, size)
    return bottom - top


class _Geometry(NamedTuple):
    size: int  # font size
    glyph: tuple[int, int, int, int]  # glyph bounding box at that size
    pad_x: int
    pad_y: int

    @property
    def glyph_height(self) -> int:
        return self.glyph[3] - self.glyph[1]

    @property
    def box(self) -> tuple[int, int]:
        return self.glyph[2] - self.glyph[0] + 2 * self.pad_x, self.glyph_height + 2 * self.pad_y


def _geometry(text: str, short: int, ratio: float) -> _Geometry:
    """The notice's font size, glyph box and padding for a frame with this short side."""
    size = font_size_for(text, max(MIN_GLYPH_PX, math.ceil(ratio * short)))
    glyph = _glyph_box(text, size)
    glyph_h = glyph[3] - glyph[1]
    return _Geometry(size, glyph, max(2, round(PAD_X * glyph_h)), max(2, round(PAD_Y * glyph_h)))


def _too_small(text: str, frame: tuple[int, int], ratio: float) -> str | None:
    """Why a frame cannot take the notice, or None. Two rules: the box (with its margin) fits, and
    the smallest legal notice (5 %, glyphs at least ``MIN_GLYPH_PX``) covers at most ``MAX_COVER``
    of the frame — on an icon a legible notice would hide the picture, so it is refused instead."""
    width, height = frame
    short = min(width, height)
    wanted = _geometry(text, short, ratio)
    (box_w, box_h), margin = wanted.box, max(1, round(MARGIN * short))
    if box_w + 2 * margin > width or box_h + 2 * margin > height:
        return f"the notice at {ratio:.0%} of the shortest side (text {wanted.glyph_height} px tall) needs {box_w + 2 * margin}x{box_h + 2 * margin} px"
    least = _geometry(text, short, MIN_HEIGHT_RATIO)
    min_w, min_h = least.box
    cover = min_w * min_h / (width * height)
    if cover > MAX_COVER:
        return (
            f"even the smallest legible notice (text {least.glyph_height} px tall, a {min_w}x{min_h} px box) "
            f"would cover {cover:.0%} of the picture (at most {MAX_COVER:.0%} allowed)"
        )
    return None


def smallest_frame(text: str, frame: tuple[int, int], ratio: float) -> tuple[int, int]:
    """The smallest frame of the same aspect ratio that takes the notice."""
    width, height = frame
    short = min(width, height)
    for bigger in range(short + 1, 1 << 16):
        candidate = (max(1, round(width * bigger / short)), max(1, round(height * bigger / short)))
        if _too_small(text, candidate, ratio) is None:
            return candidate
    raise LabelFormatError(f"no frame of this shape takes the notice {text!r}; choose a shorter notice text")


def plan_banner(
    text: str, frame: tuple[int, int], position: str | None = None, height_ratio: float | None = None, *, binary: bool = False
) -> Receipt:
    """Geometry only: font size, box and text origin. Raises ``LabelFormatError`` if it cannot fit,
    naming the smallest frame of the same shape that would take it."""
    require_drawable(text)
    position = check_position(position)
    ratio = check_ratio(height_ratio)
    width, height = frame
    short = min(width, height)
    if short <= 0:
        raise LabelFormatError(f"cannot place a notice on an empty {width}x{height} frame")
    why = _too_small(text, frame, ratio)
    if why is not None:
        need_w, need_h = smallest_frame(text, frame, ratio)
        raise LabelFormatError(
            f"a {width}x{height} picture is too small for a legible notice {text!r}: {why}; the smallest "
            f"picture of this shape that takes it is {need_w}x{need_h} px. Label a larger rendition, choose a shorter "
            "notice text (--notice-text) or a smaller ratio, or leave the visible notice out (--no-explicit) where that is allowed"
        )
    geometry = _geometry(text, short, ratio)
    (box_w, box_h), (left, top, _, _) = geometry.box, geometry.glyph
    pad_x, pad_y = geometry.pad_x, geometry.pad_y
    margin = max(1, round(MARGIN * short))
    h_anchor, v_anchor = _ANCHORS[position]
    x0 = (margin, (width - box_w) // 2, width - margin - box_w)[h_anchor]
    y0 = (margin, (height - box_h) // 2, height - margin - box_h)[v_anchor]
    return Receipt(
        text,
        (width, height),
        (x0, y0, x0 + box_w, y0 + box_h),
        position,
        FONT_NAME,
        geometry.size,
        geometry.glyph_height,
        (pad_x - left, pad_y - top),
        binary,
    )


def glyph_mask(receipt: Receipt) -> Image.Image:
    """The text alone as an ``L`` mask the size of the box (255 = ink)."""
    x0, y0, x1, y1 = receipt.box
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    draw = ImageDraw.Draw(mask)
    if receipt.binary:
        draw.fontmode = "1"
    draw.text(receipt.origin, receipt.text, fill=255, font=load_font(receipt.size, receipt.font))
    return mask


def draw_patch(receipt: Receipt) -> Image.Image:
    """The RGBA patch a receipt describes."""
    x0, y0, x1, y1 = receipt.box
    patch = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, BOX_ALPHA[receipt.binary]))
    patch.paste(Image.new("RGBA", patch.size, (*TEXT_RGB, 255)), (0, 0), glyph_mask(receipt))
    return patch


def render_banner(
    text: str, frame: tuple[int, int], position: str | None = None, height_ratio: float | None = None, *, binary: bool = False
) -> Banner:
    """The notice for a frame of ``frame`` = (width, height): patch, box and receipt."""
    receipt = plan_banner(text, frame, position, height_ratio, binary=binary)
    return Banner(draw_patch(receipt), receipt.box, receipt)
