"""Re-encoding after the notice is drawn, one function per container, each keeping what it can.

JPEG keeps the source's quantisation tables, chroma subsampling and progressive mode, and gets every
original APPn/COM segment back (EXIF, ICC, JFIF density, IPTC...); PNG gets every ancillary chunk
back; WebP keeps lossless/lossy, ICC and EXIF; TIFF keeps compression and tags; animated GIF/WebP/PNG
keep frame durations, loop count and (GIF) disposal. The caller then stores the XMP packet.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageSequence, JpegImagePlugin

from . import jpeg, png
from .pixels import Placement, composite, repalettise

MAX_FRAMES = 10_000
LOSSY_WEBP_QUALITY = 92
#: TIFF tags Pillow must not copy verbatim (offsets into the old file, or set by us afterwards).
_TIFF_SKIP = frozenset({273, 279, 324, 325, 330, 700, 34665, 34853, 40965, 50341})


def _frames(image: Image.Image, placement: Placement, to_palette: bool) -> tuple[list[Image.Image], list[dict[str, object]]]:
    frames, infos = [], []
    for index, frame in enumerate(ImageSequence.Iterator(image)):
        if index >= MAX_FRAMES:
            break
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
    options: dict[str, object] = {"qtables": image.quantization, "optimize": False}
    sampling = JpegImagePlugin.get_sampling(image)
    if sampling >= 0:
        options["subsampling"] = sampling
    if image.info.get("progressive") or image.info.get("progression"):
        options["progressive"] = True
    buffer = io.BytesIO()
    composite(image, placement, in_place=True).save(buffer, "JPEG", **options)
    return jpeg.replace_headers(buffer.getvalue(), original, packet)


def encode_png(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    buffer = io.BytesIO()
    if getattr(image, "n_frames", 1) > 1:
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
    if getattr(image, "n_frames", 1) > 1:
        frames, infos = _frames(image, placement, False)
        frames[0].save(
            buffer, "WEBP", save_all=True, append_images=frames[1:], duration=[i.get("duration", 0) for i in infos],
            loop=image.info.get("loop", 0), background=image.info.get("background", (0, 0, 0, 0)), **options,
        )  # fmt: skip
    else:
        composite(image, placement).save(buffer, "WEBP", **options)
    return buffer.getvalue()


def encode_gif(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    frames, infos = _frames(image, placement, True)
    options: dict[str, object] = {"optimize": False}
    if len(frames) > 1:
        options.update(save_all=True, append_images=frames[1:], duration=[i.get("duration", 0) for i in infos], disposal=[i.get("disposal", 0) for i in infos])
    if "loop" in image.info:
        options["loop"] = image.info["loop"]
    if image.info.get("comment"):
        options["comment"] = image.info["comment"]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", **options)
    return buffer.getvalue()


def encode_tiff(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    tags = {tag: value for tag, value in image.tag_v2.items() if tag not in _TIFF_SKIP}
    options: dict[str, object] = {"tiffinfo": tags, "compression": image.info.get("compression", "raw")}
    exif = image.getexif()
    if exif.get_ifd(0x8769):
        options["exif"] = exif
    buffer = io.BytesIO()
    if getattr(image, "n_frames", 1) > 1:
        frames, _ = _frames(image, placement, False)
        frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:], **options)
    else:
        composite(image, placement, in_place=True).save(buffer, "TIFF", **options)
    return buffer.getvalue()


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
