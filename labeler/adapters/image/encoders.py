"""Re-encoding after the notice is drawn, one function per container, each keeping what it can.

JPEG keeps the source's quantisation tables, chroma subsampling and progressive mode, and gets every
original APPn/COM segment back (EXIF, ICC, JFIF density, IPTC...); PNG gets every ancillary chunk
back; WebP keeps lossless/lossy, ICC and EXIF; TIFF keeps compression and tags; animated WebP/PNG keep
frame durations and loop count; GIF is redrawn block by block (``gifnotice``). The caller then stores the XMP packet.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageSequence, JpegImagePlugin, TiffImagePlugin

from ...errors import BackendMissingError, InputError, UnsupportedError
from ...lazy import lazy_module
from . import gifnotice, jpeg, mpf, png, tiffdir
from .pixels import Placement, composite, repalettise

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

MAX_FRAMES = 10_000
LOSSY_WEBP_QUALITY = 92
#: TIFF tags Pillow must not copy verbatim: offsets into the old file, tags set by us afterwards, and
#: PlanarConfiguration (284): Pillow writes samples interleaved, so a planar source is written
#: chunky (the same pixels; copying the tag made readers take the data for separate planes).
_TIFF_SKIP = frozenset({273, 279, 284, 324, 325, 330, 700, 34665, 34853, 40965, 50341})
#: Tags libtiff takes as two uint16 arguments: Pillow hands it an array and libtiff stores garbage
#: (PageNumber "0 1" became "2 46624"), so their values are put back from the source after saving.
_TIFF_PAIRS = frozenset({297, 321, 336, 530})
#: Pillow modes that hold more than 8 bits per sample (drawn at full depth by ``composite``).
_DEEP_MODES = frozenset({"I;16", "I;16B", "I;16L", "I", "F"})


FrameInfo = dict[str | tuple[int, int], Any]  # Pillow's Image.info


def _frames(image: Image.Image, placement: Placement, to_palette: bool) -> tuple[list[Image.Image], list[FrameInfo]]:
    frames: list[Image.Image] = []
    infos: list[FrameInfo] = []
    for index, frame in enumerate(ImageSequence.Iterator(image)):
        if index >= MAX_FRAMES:
            break
        frame.load()  # WebP sets a frame's duration and timestamp in info only when the frame is decoded
        info = dict(frame.info)
        if "disposal" not in info and hasattr(frame, "disposal_method"):
            info["disposal"] = frame.disposal_method
        drawn = composite(frame.copy(), placement)
        if to_palette and drawn.mode != "P":
            drawn = repalettise(drawn.convert("RGBA"), frame)
        frames.append(drawn)
        infos.append(info)
    return frames, infos


def encode_jpeg(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    if not isinstance(image, JpegImagePlugin.JpegImageFile):  # its quantisation tables are reused
        raise InputError("Pillow does not decode this file as a JPEG; re-export it as a baseline or progressive JPEG")
    options: dict[str, object] = {"qtables": image.quantization, "optimize": False}
    sampling = JpegImagePlugin.get_sampling(image)
    if sampling >= 0:
        options["subsampling"] = sampling
    if image.info.get("progressive") or image.info.get("progression"):
        options["progressive"] = True
    buffer = io.BytesIO()
    composite(image, placement, in_place=True).save(buffer, "JPEG", **options)
    primary = jpeg.replace_headers(buffer.getvalue(), original, packet)
    return mpf.relink(original, primary + mpf.tail(original))  # an MPO keeps its other images


def encode_png(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    if original[24] == 16 and original[25] in (2, 6):  # IHDR: 16-bit RGB/RGBA, which Pillow reads as 8-bit
        return png.carry_metadata(encode_png16(original, placement), original, packet)
    buffer = io.BytesIO()
    if _frame_count(image) > 1:
        frames, infos = _frames(image, placement, False)
        frames[0].save(
            buffer, "PNG", save_all=True, append_images=frames[1:], duration=[i.get("duration", 0) for i in infos],
            loop=image.info.get("loop", 0), disposal=0, blend=0,
        )  # fmt: skip
    else:
        drawn = composite(image, placement)
        source = drawn.info if drawn.mode == "P" else image.info  # palette alpha, or the tRNS colour key
        options = {"transparency": source["transparency"]} if "transparency" in source else {}
        drawn.save(buffer, "PNG", **options)
    return png.carry_metadata(buffer.getvalue(), original, packet)


def encode_webp(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    lossless = b"VP8 " not in original and b"ALPH" not in original
    options: dict[str, object] = {"lossless": lossless, "quality": 100 if lossless else LOSSY_WEBP_QUALITY, "exact": True}
    for key in ("icc_profile", "exif"):
        if image.info.get(key):
            options[key] = image.info[key]
    buffer = io.BytesIO()
    if _frame_count(image) > 1:
        frames, infos = _frames(image, placement, False)
        frames[0].save(
            buffer, "WEBP", save_all=True, append_images=frames[1:], duration=[i.get("duration", 0) for i in infos],
            loop=image.info.get("loop", 0), background=image.info.get("background", (0, 0, 0, 0)), **options,
        )  # fmt: skip
    else:
        composite(image, placement).save(buffer, "WEBP", **options)
    return buffer.getvalue()


def encode_gif(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    """Frame by frame on the GIF's own blocks (``gifnotice``): Pillow's writer would merge frames."""
    return gifnotice.draw(original, placement)


def encode_tiff(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    if not isinstance(image, TiffImagePlugin.TiffImageFile):  # its tags are copied
        raise InputError("Pillow does not decode this file as a TIFF; re-export it as a baseline TIFF")
    bits = image.tag_v2.get(258, (8,))
    depth = max(bits) if isinstance(bits, tuple) and bits else bits
    if isinstance(depth, int) and depth > 8 and image.mode not in _DEEP_MODES:
        raise UnsupportedError(
            f"this TIFF has {depth}-bit {image.mode} samples; Pillow can only write it back at 8 bits per sample, which would "
            "lose depth. Label an 8-bit export visibly, or label this file with --no-explicit (implicit label only, pixels untouched)"
        )
    tags = {tag: value for tag, value in image.tag_v2.items() if tag not in _TIFF_SKIP}
    options: dict[str, object] = {"tiffinfo": tags, "compression": image.info.get("compression", "raw")}
    exif = image.getexif()
    if exif.get_ifd(0x8769):
        options["exif"] = exif
    buffer = io.BytesIO()
    if _frame_count(image) > 1:
        frames, _ = _frames(image, placement, False)
        frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:], **options)
    else:
        composite(image, placement, in_place=True).save(buffer, "TIFF", **options)
    return _restore_pairs(buffer.getvalue(), original)


def _frame_count(image: Image.Image) -> int:
    """Pillow finds a multi-page file's later pages by reading them; a damaged one raises whatever its
    parser hit (TypeError "Missing dimensions" for a TIFF page without a size)."""
    try:
        return int(getattr(image, "n_frames", 1))
    except (TypeError, ValueError, OSError, EOFError, SyntaxError) as exc:
        raise InputError(f"a later page or frame of this image is damaged ({exc}); repair or re-export the file") from exc


def _restore_pairs(encoded: bytes, original: bytes) -> bytes:
    """``encoded`` with the two-short tags of IFD 0 set to the source's values (in its byte order)."""
    source_order, source = tiffdir.first_ifd(original)
    order, ifd = tiffdir.first_ifd(encoded)
    out = bytearray(encoded)
    for index, entry in enumerate(ifd.entries):
        before = source.get(entry.tag)
        if entry.tag in _TIFF_PAIRS and before is not None and (entry.type, entry.count) == (before.type, before.count) == (3, 2):
            values = struct.unpack(source_order + "HH", before.raw)
            struct.pack_into(order + "HH", out, ifd.offset + 2 + 12 * index + 8, *values)
    return bytes(out)


def encode_bmp(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    buffer = io.BytesIO()
    options = {"dpi": image.info["dpi"]} if "dpi" in image.info else {}
    composite(image, placement, in_place=True).save(buffer, "BMP", **options)
    return buffer.getvalue()


def encode_with(format_name: str, quality: int) -> Callable[[Image.Image, Placement, bytes, bytes], bytes]:
    """An encoder for formats whose Pillow plugin stores ICC, EXIF and XMP itself (AVIF, HEIF)."""

    def encode(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
        options: dict[str, object] = {"quality": quality, "xmp": packet}
        for key in ("icc_profile", "exif"):
            if image.info.get(key):
                options[key] = image.info[key]
        buffer = io.BytesIO()
        composite(image, placement, in_place=True).save(buffer, format_name, **options)
        return buffer.getvalue()

    return encode


def encode_png16(original: bytes, placement: Placement) -> bytes:
    """16-bit colour PNG through OpenCV (Pillow would drop it to 8 bits): blend at full depth."""
    try:
        import cv2
    except ImportError as exc:
        raise BackendMissingError(
            "a 16-bit colour PNG needs OpenCV to keep its bit depth (Pillow reads it as 8-bit); pip install 'gb45438-labeler[ocr]' (brings opencv-python)"
        ) from exc
    array = cv2.imdecode(np.frombuffer(original, np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None or array.dtype != np.uint16:
        raise InputError("the 16-bit PNG cannot be decoded; re-export the file")
    x0, y0, x1, y1 = placement.box
    patch = np.asarray(placement.patch, dtype=np.float64)
    alpha = patch[..., 3:4] / 255.0
    region = array[y0:y1, x0:x1].astype(np.float64)
    colour = patch[..., 2::-1] * 257.0  # RGB -> OpenCV's BGR, 8 -> 16 bits
    region[..., :3] = alpha * colour + (1 - alpha) * region[..., :3]
    if array.shape[2] == 4:
        region[..., 3] = alpha[..., 0] * 65535.0 + (1 - alpha[..., 0]) * region[..., 3]
    array[y0:y1, x0:x1] = np.rint(region).astype(np.uint16)
    ok, encoded = cv2.imencode(".png", array)
    if not ok:
        raise InputError("OpenCV could not encode the 16-bit PNG")
    return encoded.tobytes()
