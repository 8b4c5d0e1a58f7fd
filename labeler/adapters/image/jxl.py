"""JPEG XL (ISO/IEC 18181): the label is XMP in an ``xml `` box; the notice needs pillow-jxl-plugin.

- implicit: in a container, the ``xml `` box is replaced in place, or a new one goes right after
  ``ftyp`` (and ``jxll``); every other box is copied byte for byte. A bare codestream (``FF 0A``) has
  no boxes, so it is wrapped in the container (signature box, ``ftyp``, ``xml ``, ``jxlc``) with
  its codestream bytes unchanged. Brotli-compressed XMP (``brob``) is refused, never guessed at.
- explicit: decoded and re-encoded *losslessly* by pillow-jxl-plugin (libjxl), so the only pixels
  that change are the notice's; the source's metadata boxes (Exif, JUMBF, others) are put back.
  Refused, with the reason, when the re-encode could not keep the file: an animation (the plugin
  decodes only the first frame), a preview image, or a colour profile the encoder would not write
  (it writes sRGB / grey).
"""

from __future__ import annotations

import io

from PIL import Image

from ...containers import isobmff
from ...containers.isobmff import Box
from ...errors import BackendMissingError, InputError, UnsupportedError
from ...facts import C2pa, Format, Signature
from ...model import Backend, Found
from .adapter import Container, ImageAdapter
from .packets import labels_in_xmp
from .pixels import Placement, composite

CODESTREAM = b"\xff\x0a"
SIGNATURE_BOX = b"\0\0\0\x0cJXL \r\n\x87\n"
FTYP = b"\0\0\0\x14ftypjxl \0\0\0\0jxl "
#: Boxes that hold or index the coded image: made anew by the encoder, never copied from the source.
CODED = frozenset({b"JXL ", b"ftyp", b"jxll", b"jxlc", b"jxlp", b"jxli", b"jbrd"})
HINT = "pip install 'gb45438-labeler[jxl]'  (pillow-jxl-plugin)"
_JXL_MODES = ("RGB", "RGBA", "L", "LA", "I;16")


WHERE = isobmff.Where("JPEG XL", "re-export the file")


def boxes(data: bytes) -> list[Box]:
    """The top-level boxes of a JPEG XL container (``InputError`` when one runs past the end)."""
    if not data.startswith(SIGNATURE_BOX):
        raise InputError("not a JPEG XL container (no JXL signature box)")
    return isobmff.boxes(data, 0, len(data), WHERE, trailing=True)


def xmp_packet(data: bytes) -> bytes | None:
    if data.startswith(CODESTREAM):
        return None
    for box in boxes(data):
        if box.type == b"brob" and data[box.body : box.body + 4] == b"xml ":
            raise InputError(
                "the XMP of this JPEG XL is Brotli-compressed (a brob box), which labeler does not decode: "
                "re-save it with uncompressed metadata (cjxl --compress_boxes=0)"
            )
        if box.type == b"xml ":
            return data[box.body : box.end]
    return None


def labels(data: bytes) -> list[Found]:
    packet = xmp_packet(data)
    return labels_in_xmp(packet) if packet is not None else []


def with_xmp(data: bytes, packet: bytes) -> bytes:
    xml = isobmff.box(b"xml ", packet)
    if data.startswith(CODESTREAM):
        return SIGNATURE_BOX + FTYP + xml + isobmff.box(b"jxlc", data)
    found = boxes(data)
    existing = next((b for b in found if b.type == b"xml "), None)
    if existing is not None:
        return data[: existing.offset] + xml + data[existing.end :]
    after = max(b.end for b in found if b.type in (b"JXL ", b"ftyp", b"jxll"))
    return data[:after] + xml + data[after:]


def _codestream(data: bytes) -> bytes:
    if data.startswith(CODESTREAM):
        return data
    found = boxes(data)
    whole = next((data[b.body : b.end] for b in found if b.type == b"jxlc"), None)
    return whole if whole is not None else b"".join(data[b.body + 4 : b.end] for b in found if b.type == b"jxlp")


def _header_flags(codestream: bytes) -> tuple[bool, bool]:
    """(have_preview, have_animation) from the image header (ISO/IEC 18181-1 SizeHeader, ImageMetadata)."""
    bits, pos = int.from_bytes(codestream[2:66], "little"), 0

    def u(count: int) -> int:
        nonlocal pos
        value = (bits >> pos) & ((1 << count) - 1)
        pos += count
        return value

    def size_header() -> None:
        if u(1):  # small: dimensions in multiples of 8
            u(5)
            if u(3) == 0:
                u(5)
        else:
            u((9, 13, 18, 30)[u(2)])
            if u(3) == 0:
                u((9, 13, 18, 30)[u(2)])

    size_header()
    if u(1) or not u(1):  # all_default, or no extra fields: no preview, no animation
        return False, False
    u(3)  # orientation
    if u(1):
        size_header()  # intrinsic size
    if u(1):
        return True, False  # a preview header follows; nothing after it is read
    return False, bool(u(1))


def _refusal(data: bytes) -> str | None:
    preview, animation = _header_flags(_codestream(data))
    if animation:
        return "an animated JPEG XL: pillow-jxl-plugin decodes only its first frame, so a notice would drop the animation; label it with --no-explicit"
    if preview:
        return "a JPEG XL with a preview image: the re-encode would drop the preview; label it with --no-explicit"
    return None


def _register() -> None:
    try:
        import pillow_jxl  # noqa: F401 - importing registers the JXL plugin with Pillow
    except ImportError as exc:
        raise BackendMissingError(f"drawing or checking a notice on JPEG XL needs pillow-jxl-plugin; {HINT}") from exc


def jxl_available() -> bool:
    try:
        _register()
    except BackendMissingError:
        return False
    return True


def encode(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    """Lossless re-encode with the notice; the source's metadata boxes copied after ``ftyp``."""
    why = _refusal(original)
    if why is not None:
        raise UnsupportedError(why)
    source_icc = image.info.get("icc_profile")
    drawn = composite(image, placement, in_place=True)
    if drawn.mode not in _JXL_MODES:
        drawn = drawn.convert("RGBA" if "A" in drawn.mode else "RGB")
    buffer = io.BytesIO()
    drawn.save(buffer, "JXL", lossless=True, use_container=True)
    encoded = buffer.getvalue()
    with Image.open(io.BytesIO(encoded)) as check:
        if check.info.get("icc_profile") != source_icc:
            raise UnsupportedError(
                "the JPEG XL's colour profile is not one the encoder writes (sRGB or grey): a re-encode would change its "
                "colours; label it with --no-explicit and put the notice on an sRGB export"
            )
    kept = (
        b""
        if original.startswith(CODESTREAM)
        else b"".join(original[b.offset : b.end] for b in boxes(original) if b.type not in CODED | {b"xml "})
    )
    new = boxes(encoded)
    split = max(b.end for b in new if b.type in (b"JXL ", b"ftyp", b"jxll"))
    return encoded[:split] + kept + encoded[split:]


class JxlAdapter(ImageAdapter):
    name = "jxl"
    formats = (
        Format(
            "JPEG XL", ("jxl",), "image/jxl", (Signature(0, CODESTREAM), Signature(0, SIGNATURE_BOX)),
            C2pa.EMBEDDED, "Pillow", "jxl", "pillow_jxl",
        ),
    )  # fmt: skip
    carrier = "xmp:TC260:AIGC"
    description = "JPEG XL; XMP 'xml ' box (a bare codestream is wrapped in the container, its bytes unchanged); notice re-encoded losslessly with pillow-jxl-plugin (extra 'jxl')"
    container = Container(labels, xmp_packet, with_xmp, encode, prepare=_register)

    def backends(self) -> list[Backend]:
        plugin = Backend(
            "pillow-jxl-plugin",
            jxl_available(),
            "decodes/encodes JPEG XL for the visible notice (labels are read and written without it)",
            HINT,
        )
        return [plugin, *super().backends()]
