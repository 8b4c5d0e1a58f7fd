"""WebP RIFF surgery: the ``XMP `` chunk plus the VP8X header flag (created for simple files)."""

from __future__ import annotations

import io
import struct

from ...containers import riff
from ...containers.riff import Chunk
from ...errors import InputError
from ...model import Found
from .packets import labels_in_xmp
from .tiffdir import blank_label_texts, exif_texts

FLAG_ALPHA, FLAG_XMP = 0x10, 0x04  # VP8X flags written here (the others: ICC 0x20, EXIF 0x08, animation 0x02)


def is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _limit(data: bytes) -> int:
    """The end of the RIFF chunk (bytes after it are not WebP and are not read)."""
    return riff.header(data)[1] + 8


def chunks(data: bytes) -> list[Chunk]:
    if not is_webp(data):
        raise InputError("not a WebP file (no RIFF/WEBP header)")
    limit = _limit(data)
    if limit > len(data):
        raise InputError(f"the WebP is truncated: the RIFF header says {limit:,} bytes, the file has {len(data):,}; re-export the file")
    found = riff.walk(io.BytesIO(data), 12, limit, what="WebP")
    if not any(c.id in (b"VP8 ", b"VP8L", b"ANIM") for c in found):
        raise InputError("the WebP has no image data chunk (VP8/VP8L/ANIM); re-export the file")
    return found


def xmp_packet(data: bytes) -> bytes | None:
    return next((c.payload(data) for c in chunks(data) if c.id == b"XMP "), None)


def labels(data: bytes) -> list[Found]:
    found: list[Found] = []
    for chunk in chunks(data):
        if chunk.id == b"XMP ":
            found += labels_in_xmp(chunk.payload(data))
        elif chunk.id == b"EXIF":
            body = chunk.payload(data)
            body = body[6:] if body.startswith(b"Exif\0\0") else body
            found += [Found.of(carrier, text) for carrier, text in exif_texts(body)]
    return found


def _canvas(data: bytes, chunk: Chunk) -> tuple[int, int, bool]:
    """Width, height and alpha of a simple (VP8/VP8L) WebP."""
    body = chunk.payload(data)
    if chunk.id == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", body, 6)
        return width & 0x3FFF, height & 0x3FFF, False
    if chunk.id == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        (bits,) = struct.unpack_from("<I", body, 1)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool(bits >> 28 & 1)
    raise InputError("the WebP bitstream header is corrupt; re-export the file")


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """Set the ``XMP `` chunk (last, as the container spec orders it) and the VP8X XMP flag."""
    found = chunks(data)
    limit = _limit(data)
    body = [c.whole(data, limit) for c in found if c.id not in (b"XMP ", b"VP8X")]
    vp8x = next((c for c in found if c.id == b"VP8X"), None)
    if vp8x is not None:
        header = bytearray(vp8x.payload(data))
        header[0] |= FLAG_XMP
    else:
        width, height, alpha = _canvas(data, found[0])
        flags = FLAG_XMP | (FLAG_ALPHA if alpha else 0)
        header = bytearray(struct.pack("<I", flags) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"))
    return riff.RIFF.chunk(b"RIFF", b"WEBP" + riff.RIFF.chunk(b"VP8X", bytes(header)) + b"".join(body) + riff.RIFF.chunk(b"XMP ", packet))


def without_legacy(data: bytes) -> bytes:
    out = bytearray(data)
    for chunk in chunks(data):
        if chunk.id == b"EXIF":
            start = chunk.data_offset + (6 if data.startswith(b"Exif\0\0", chunk.data_offset) else 0)
            blank_label_texts(out, start, chunk.data_end)
    return bytes(out)
