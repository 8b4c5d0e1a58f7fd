"""WebP RIFF surgery: the ``XMP `` chunk plus the VP8X header flag (created for simple files)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ...errors import InputError
from ...model import Found
from .packets import labels_in_xmp
from .tiffdir import blank_label_texts, exif_texts

FLAG_ALPHA, FLAG_XMP = 0x10, 0x04  # VP8X flags written here (the others: ICC 0x20, EXIF 0x08, animation 0x02)


@dataclass(frozen=True)
class Chunk:
    fourcc: bytes
    start: int
    end: int  # past the padding byte

    def data(self, riff: bytes) -> bytes:
        (size,) = struct.unpack_from("<I", riff, self.start + 4)
        return riff[self.start + 8 : self.start + 8 + size]


def is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def chunks(data: bytes) -> list[Chunk]:
    if not is_webp(data):
        raise InputError("not a WebP file (no RIFF/WEBP header)")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    limit = riff_size + 8
    if limit > len(data):
        raise InputError(f"the WebP is truncated: the RIFF header says {limit:,} bytes, the file has {len(data):,}; re-export the file")
    found, pos = [], 12
    while pos + 8 <= limit:
        fourcc, size = struct.unpack_from("<4sI", data, pos)
        end = pos + 8 + size + (size & 1)
        if pos + 8 + size > limit:
            raise InputError(f"the WebP is truncated: chunk {fourcc!r} at byte {pos} runs past the end; re-export the file")
        found.append(Chunk(fourcc, pos, min(end, limit)))
        pos = end
    if not any(c.fourcc in (b"VP8 ", b"VP8L", b"ANIM") for c in found):
        raise InputError("the WebP has no image data chunk (VP8/VP8L/ANIM); re-export the file")
    return found


def xmp_packet(data: bytes) -> bytes | None:
    return next((c.data(data) for c in chunks(data) if c.fourcc == b"XMP "), None)


def labels(data: bytes) -> list[Found]:
    found: list[Found] = []
    for chunk in chunks(data):
        if chunk.fourcc == b"XMP ":
            found += labels_in_xmp(chunk.data(data))
        elif chunk.fourcc == b"EXIF":
            body = chunk.data(data)
            body = body[6:] if body.startswith(b"Exif\0\0") else body
            found += [Found.of(carrier, text) for carrier, text in exif_texts(body)]
    return found


def _make(fourcc: bytes, body: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")


def _canvas(data: bytes, chunk: Chunk) -> tuple[int, int, bool]:
    """Width, height and alpha of a simple (VP8/VP8L) WebP."""
    body = chunk.data(data)
    if chunk.fourcc == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", body, 6)
        return width & 0x3FFF, height & 0x3FFF, False
    if chunk.fourcc == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        (bits,) = struct.unpack_from("<I", body, 1)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool(bits >> 28 & 1)
    raise InputError("the WebP bitstream header is corrupt; re-export the file")


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """Set the ``XMP `` chunk (last, as the container spec orders it) and the VP8X XMP flag."""
    found = chunks(data)
    body = [data[c.start : c.end] for c in found if c.fourcc not in (b"XMP ", b"VP8X")]
    vp8x = next((c for c in found if c.fourcc == b"VP8X"), None)
    if vp8x is not None:
        header = bytearray(vp8x.data(data))
        header[0] |= FLAG_XMP
    else:
        width, height, alpha = _canvas(data, found[0])
        flags = FLAG_XMP | (FLAG_ALPHA if alpha else 0)
        header = bytearray(struct.pack("<I", flags) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"))
    payload = b"WEBP" + _make(b"VP8X", bytes(header)) + b"".join(body) + _make(b"XMP ", packet)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def without_legacy(data: bytes) -> bytes:
    out = bytearray(data)
    for chunk in chunks(data):
        if chunk.fourcc == b"EXIF":
            start = chunk.start + 8 + (6 if data.startswith(b"Exif\0\0", chunk.start + 8) else 0)
            blank_label_texts(out, start, chunk.start + 8 + len(chunk.data(data)))
    return bytes(out)
