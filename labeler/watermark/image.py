"""The invisible watermark on still images (``canvas.py`` makes the signal; this module reads and
writes files).

Re-encoding keeps what the notice encoders keep: a JPEG is written with its own quantisation
tables, subsampling and progressive mode and gets every APPn/COM segment back (EXIF, ICC, IPTC;
an MPO keeps its other images); PNG keeps every ancillary chunk and stays lossless; WebP stays
lossless or lossy with its ICC and EXIF; BMP keeps its resolution. Formats whose re-encoding would
lose something (palette GIF, 16-bit and CMYK pixels, HEIF/AVIF/JPEG XL/TIFF, animations) and images
under ``MIN_SIDE`` pixels are refused with the reason, never changed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageChops, JpegImagePlugin

from ..adapters.image import jpeg, mpf, png, webp
from ..adapters.image.encoders import LOSSY_WEBP_QUALITY
from ..adapters.image.pixels import DECODE_ERRORS, opened
from ..errors import InputError, UnsupportedError
from ..lazy import lazy_module
from ..registry import sniff
from ..source import read_all
from .canvas import CANVAS, MIN_SIDE, SYNC_Z, correlate, pattern, to_canvas, upsample

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = lazy_module("numpy")

#: Pillow modes the watermark is added to (8 bits per sample; alpha kept as it is).
MODES = frozenset({"RGB", "RGBA", "L", "LA"})
_STRIP = 256  # rows changed at a time


def embed(image: Image.Image, code: npt.NDArray[np.uint8]) -> Image.Image:
    """``image`` (a mode in ``MODES``, both sides >= ``MIN_SIDE``) with ``code`` embedded."""
    if image.mode not in MODES:
        raise UnsupportedError(f"images in Pillow mode {image.mode!r} cannot carry the watermark; 8-bit RGB or greyscale can")
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise UnsupportedError(f"the image is {width}x{height}; the watermark needs at least {MIN_SIDE} pixels on each side")
    # The shaping statistics need only canvas resolution: measure them on a box-reduced copy.
    factor = max(1, min(width, height) // CANVAS)
    small = image.reduce(factor) if factor > 1 else image
    bands = small.split()
    colour = bands[:3] if image.mode.startswith("RGB") else bands[:1]
    top, bottom = colour[0], colour[0]
    for band in colour[1:]:
        top, bottom = ImageChops.lighter(top, band), ImageChops.darker(bottom, band)
    luma = small.convert("L") if len(colour) == 3 else colour[0]
    change = pattern(to_canvas(luma, exact=False), to_canvas(top, exact=False), to_canvas(bottom, exact=False), code)
    pixels = np.array(image)  # one writable copy; the change is added strip by strip (24 MP: ~250 MB less)
    for first in range(0, height, _STRIP):
        end = min(height, first + _STRIP)
        delta = upsample(change, image.size, (first, end))
        strip = pixels[first:end].astype(np.int16)
        if strip.ndim == 2:
            strip += delta
        else:
            strip[..., : len(colour)] += delta[..., None]
        np.clip(strip, 0, 255, out=strip)
        pixels[first:end] = strip
    return Image.fromarray(pixels, image.mode)


def extract(image: Image.Image) -> npt.NDArray[np.float64] | None:
    """The soft bits in ``image``, or None when the synchronisation pilot is not found."""
    z, soft = correlate(to_canvas(image.convert("L")))
    return soft if z >= SYNC_Z else None


def _jpeg(image: Image.Image, marked: Image.Image, original: bytes) -> bytes:
    if not isinstance(image, JpegImagePlugin.JpegImageFile):
        raise InputError("Pillow does not decode this file as a JPEG; re-export it as a baseline or progressive JPEG")
    options: dict[str, object] = {"qtables": image.quantization, "optimize": False}
    sampling = JpegImagePlugin.get_sampling(image)
    if sampling >= 0:
        options["subsampling"] = sampling
    if image.info.get("progressive") or image.info.get("progression"):
        options["progressive"] = True
    buffer = io.BytesIO()
    marked.save(buffer, "JPEG", **options)
    packet = jpeg.xmp_packet(original)
    primary = jpeg.replace_headers(buffer.getvalue(), original, packet or b"")
    if packet is None:  # replace_headers always writes an XMP segment: drop the empty one
        primary = b"".join(primary[s.start : s.end] if s.marker != jpeg.SOS else primary[s.start :] for s in _until_scan(primary))
    return mpf.relink(original, primary + mpf.tail(original))


def _until_scan(data: bytes) -> list[jpeg.Segment]:
    """The JPEG's SOI, header segments without XMP, and its first scan (which runs to the end)."""
    kept = []
    for segment in jpeg.segments(data):
        if jpeg.is_xmp(segment, data):
            continue
        kept.append(segment)
        if segment.marker == jpeg.SOS:
            break
    return kept


def _png(image: Image.Image, marked: Image.Image, original: bytes) -> bytes:
    if original[24] != 8:  # IHDR bit depth: Pillow reads 16-bit colour as 8-bit
        raise UnsupportedError(
            f"this PNG has {original[24]}-bit samples; the watermark is written to 8-bit PNGs only (depth would be lost)"
        )
    buffer = io.BytesIO()
    options = {"transparency": image.info["transparency"]} if "transparency" in image.info else {}
    marked.save(buffer, "PNG", **options)
    packet = png.xmp_packet(original)
    out = png.carry_metadata(buffer.getvalue(), original, packet or b"")
    if packet is None:
        out = png.SIGNATURE + b"".join(out[c.start : c.end] for c in png.chunks(out) if not _png_xmp(c, out))
    return out


def _png_xmp(chunk: png.Chunk, data: bytes) -> bool:
    return chunk.type == b"iTXt" and chunk.data(data).startswith(png.XMP_KEYWORD + b"\0")


def _webp(image: Image.Image, marked: Image.Image, original: bytes) -> bytes:
    lossless = b"VP8 " not in original and b"ALPH" not in original
    options: dict[str, object] = {"lossless": lossless, "quality": 100 if lossless else LOSSY_WEBP_QUALITY, "exact": True}
    for key in ("icc_profile", "exif"):
        if image.info.get(key):
            options[key] = image.info[key]
    buffer = io.BytesIO()
    marked.save(buffer, "WEBP", **options)
    packet = webp.xmp_packet(original)
    return buffer.getvalue() if packet is None else webp.with_xmp(buffer.getvalue(), packet)


def _bmp(image: Image.Image, marked: Image.Image, original: bytes) -> bytes:
    buffer = io.BytesIO()
    marked.save(buffer, "BMP", **({"dpi": image.info["dpi"]} if "dpi" in image.info else {}))
    return buffer.getvalue()


#: Image adapter name -> writer of the marked pixels in the source's own format.
WRITERS: dict[str, Callable[[Image.Image, Image.Image, bytes], bytes]] = {"jpeg": _jpeg, "png": _png, "webp": _webp, "bmp": _bmp}


def embed_file(source: Path, target: Path, code: npt.NDArray[np.uint8]) -> None:
    """Write ``source`` with ``code`` embedded to ``target``, in the same format."""
    sniffed = sniff(source)
    writer = WRITERS.get(sniffed.adapter.name) if sniffed is not None and sniffed.adapter.media == "image" else None
    if writer is None:
        kind = sniffed.format.upper() if sniffed is not None else "this file"
        raise UnsupportedError(
            f"{kind} images are not watermarked (re-encoding would lose data or the format cannot hold the pattern); "
            "JPEG, PNG, WebP and BMP are. Leave --watermark off for this file",
            source,
        )
    data = read_all(source)  # a Source shares the bytes it already read
    with opened(data) as image:
        if getattr(image, "n_frames", 1) > 1:
            raise UnsupportedError("animated and multi-page images are not watermarked; only still images are", source)
        try:
            marked = embed(image, code)
        except UnsupportedError as exc:
            raise UnsupportedError(exc.message, source) from exc
        target.write_bytes(writer(image, marked, data))


def extract_file(path: Path) -> npt.NDArray[np.float64] | None:
    """The soft bits of the watermark in ``path`` (its first frame), or None when there is none."""
    with opened(read_all(path)) as image:
        if image.format == "JPEG":  # libjpeg scales while decoding: a fraction of the work
            image.draft("L", (2 * CANVAS, 2 * CANVAS))
        try:
            return extract(image)
        except DECODE_ERRORS as exc:
            raise InputError(f"the image cannot be decoded for the watermark check ({exc})", path) from exc
