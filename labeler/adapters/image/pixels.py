"""Pixel work for the explicit notice: safe decoding, EXIF orientation, compositing per mode.

The notice is planned in *display* coordinates (after EXIF orientation) and drawn into the
*stored* pixels, so it lands in the corner a viewer sees while the stored orientation and the
EXIF tag stay as they were. Palette images are re-palettised exactly (the notice is drawn without
anti-aliasing there, so it adds at most two colours).
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from PIL import Image

from ...errors import InputError, LabelerError, UnsupportedError, reason
from ...lazy import lazy_module
from ...render.banner import Receipt, draw_patch, plan_banner

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

DEFAULT_MAX_PIXELS = 89_478_485  # Pillow's default decompression-bomb limit (~89 MP)
_LIMIT_LOCK = threading.Lock()
T = Image.Transpose
#: EXIF orientation -> transpose that turns stored pixels into displayed pixels (as ImageOps.exif_transpose).
TO_DISPLAY = {2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE, 6: T.ROTATE_270, 7: T.TRANSVERSE, 8: T.ROTATE_90}
TO_STORED = {**TO_DISPLAY, 6: T.ROTATE_90, 8: T.ROTATE_270}
#: EXIF orientation -> display point (x, y) to stored point, for stored size (w, h).
_POINT: dict[int, Callable[[int, int, int, int], tuple[int, int]]] = {
    1: lambda x, y, w, h: (x, y), 2: lambda x, y, w, h: (w - x, y), 3: lambda x, y, w, h: (w - x, h - y),
    4: lambda x, y, w, h: (x, h - y), 5: lambda x, y, w, h: (y, x), 6: lambda x, y, w, h: (y, h - x),
    7: lambda x, y, w, h: (w - y, h - x), 8: lambda x, y, w, h: (w - y, x),
}  # fmt: skip
#: Modes composited by a round trip through RGBA (exact for the pixels the notice does not cover).
_VIA_RGBA = frozenset({"RGB", "RGBA", "L", "LA", "CMYK", "1"})
# RuntimeError: the AVIF/HEIF plugins report undecodable items that way.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, RuntimeError, struct.error, Image.DecompressionBombError)


def limit_message(width: int, height: int, limit: int) -> str:
    return (
        f"the image is {width}x{height} = {width * height:,} pixels, over the {limit:,}-pixel limit that guards against "
        "decompression bombs; if you trust the file, raise the limit (WriteOptions.max_pixels)"
    )


@contextmanager
def opened(data: bytes, max_pixels: int | None = None) -> Iterator[Image.Image]:
    """Pillow image of ``data`` with the pixel limit enforced; decode errors become ``InputError``."""
    limit = max_pixels or DEFAULT_MAX_PIXELS
    with _LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        # Pillow's own check (at twice its limit: 179 MP) is off while opening, which reads only the
        # header: labeler checks the size right below, against its limit, in its own words.
        Image.MAX_IMAGE_PIXELS = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(io.BytesIO(data))
        except DECODE_ERRORS as exc:
            raise InputError(f"the image cannot be decoded ({reason(exc)}); re-export the file") from exc
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    width, height = image.size
    if width * height > limit:
        image.close()
        raise InputError(limit_message(width, height, limit))
    with image:
        try:
            yield image
        except LabelerError:
            raise
        except DECODE_ERRORS as exc:
            if isinstance(exc, Image.DecompressionBombError):
                raise InputError(f"{exc}; raise the limit (WriteOptions.max_pixels) if you trust the file") from exc
            raise InputError(f"the image data is truncated or corrupt ({exc}); re-export the file") from exc


_N = TypeVar("_N", int, float)


def display_size(size: tuple[_N, _N], orientation: int) -> tuple[_N, _N]:
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def stored_box(box: tuple[int, int, int, int], size: tuple[int, int], orientation: int) -> tuple[int, int, int, int]:
    """A display-coordinate box in stored coordinates (``size`` = stored width, height)."""
    point = _POINT.get(orientation, _POINT[1])
    (ax, ay), (bx, by) = point(box[0], box[1], *size), point(box[2], box[3], *size)
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def to_display(region: Image.Image, orientation: int) -> Image.Image:
    method = TO_DISPLAY.get(orientation)
    return region.transpose(method) if method is not None else region


@dataclass(frozen=True)
class Placement:
    receipt: Receipt  # display coordinates
    box: tuple[int, int, int, int]  # stored coordinates
    patch: Image.Image  # RGBA, stored orientation


def place(text: str, size: tuple[int, int], orientation: int, position: str | None, ratio: float | None, binary: bool) -> Placement:
    receipt = plan_banner(text, display_size(size, orientation), position, ratio, binary=binary)
    patch = draw_patch(receipt)
    method = TO_STORED.get(orientation)
    if method is not None:
        patch = patch.transpose(method)
    return Placement(receipt, stored_box(receipt.box, size, orientation), patch)


def composite(frame: Image.Image, placement: Placement, in_place: bool = False) -> Image.Image:
    """``frame`` with the notice drawn in, same mode; pixels outside the box untouched.

    ``in_place`` draws into ``frame`` itself (no second full-size copy: peak memory on 24 MP)."""
    mode = frame.mode
    if mode in ("P", "PA"):
        rgba = frame.convert("RGBA")
        _blend_rgba(rgba, placement)
        return repalettise(rgba, frame)
    out = frame if in_place else frame.copy()
    if mode in _VIA_RGBA:
        region = out.crop(placement.box).convert("RGBA")
        region = Image.alpha_composite(region, placement.patch)
        out.paste(region.convert(mode) if mode != "RGBA" else region, placement.box[:2])
        return out
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(out.crop(placement.box), dtype=np.float64)
        patch = np.asarray(placement.patch, dtype=np.float64)
        alpha = patch[..., 3] / 255.0
        blended = alpha * patch[..., 0] * 257.0 + (1 - alpha) * array  # 8-bit notice scaled to 16 bits
        out.paste(Image.fromarray(np.rint(blended).astype(np.uint16 if mode.startswith("I;16") else np.int32)), placement.box[:2])
        return out
    raise UnsupportedError(f"images in Pillow mode {mode!r} cannot take a notice yet; convert to RGB first")


def _blend_rgba(rgba: Image.Image, placement: Placement) -> None:
    region = Image.alpha_composite(rgba.crop(placement.box), placement.patch)
    rgba.paste(region, placement.box[:2])


def repalettise(rgba: Image.Image, original: Image.Image) -> Image.Image:
    """A palette image with exactly the colours (and alphas) of ``rgba``; adaptive past 256 colours."""
    array = np.asarray(rgba).astype(np.uint32)
    packed = (array[..., 3] << 24) | (array[..., 0] << 16) | (array[..., 1] << 8) | array[..., 2]
    packed = np.where(array[..., 3] == 0, np.uint32(0), packed)  # every fully transparent pixel is one colour
    colours, index = np.unique(packed, return_inverse=True)
    if len(colours) > 256:
        return rgba.quantize(256, dither=Image.Dither.NONE)
    out = Image.fromarray(index.reshape(packed.shape).astype(np.uint8), "P")
    values = colours.tolist()
    out.putpalette(b"".join(bytes(((v >> 16) & 255, (v >> 8) & 255, v & 255)) for v in values), "RGB")
    alphas = [v >> 24 for v in values]
    if any(a < 255 for a in alphas):
        partial = any(0 < a < 255 for a in alphas)
        out.info["transparency"] = bytes(alphas) if partial else alphas.index(0)
    return out
