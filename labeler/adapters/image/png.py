"""PNG chunk surgery: CRC-checked chunk walk, label carriers, and the XMP ``iTXt`` splice."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from ...deviations import holds_label
from ...errors import InputError
from ...label import MAX_CARRIER_BYTES
from ...model import Found
from .packets import labels_in_xmp
from .tiffdir import blank_label_texts, exif_texts

SIGNATURE = b"\x89PNG\r\n\x1a\n"
XMP_KEYWORD = b"XML:com.adobe.xmp"
MAX_TEXT = MAX_CARRIER_BYTES  # decompressed zTXt/iTXt limit (zip-bomb guard)
#: Chunks the pixel encoder owns; every other chunk is metadata to carry across a re-encode.
PIXEL_CHUNKS = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"acTL", b"fcTL", b"fdAT"})
#: Ancillary chunks that must precede PLTE.
BEFORE_PLTE = frozenset({b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCv", b"cLLi"})


@dataclass(frozen=True)
class Chunk:
    type: bytes
    start: int  # offset of the length field
    end: int  # offset past the CRC

    def data(self, png: bytes) -> bytes:
        return png[self.start + 8 : self.end - 4]


def is_png(head: bytes) -> bool:
    return head.startswith(SIGNATURE)


def chunks(data: bytes, check_crc: bool = True) -> list[Chunk]:
    """Every chunk up to IEND. Raises ``InputError`` for truncation or a bad CRC."""
    if not is_png(data):
        raise InputError("not a PNG file (bad signature)")
    found, pos = [], len(SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise InputError("the PNG is truncated (no IEND chunk); re-export the file")
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data):
            raise InputError(f"the PNG is truncated: chunk {kind!r} at byte {pos} runs past the end of the file; re-export the file")
        if check_crc:
            (crc,) = struct.unpack_from(">I", data, end - 4)
            if zlib.crc32(data[pos + 4 : end - 4]) != crc:
                raise InputError(f"the PNG is corrupt: chunk {kind.decode('latin-1')!r} at byte {pos} has a bad CRC; re-export the file")
        found.append(Chunk(kind, pos, end))
        if kind == b"IEND":
            return found
        pos = end


def make_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _inflate(body: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(body, MAX_TEXT)
    except zlib.error as exc:
        raise InputError(f"a compressed PNG text chunk is corrupt ({exc}); re-export the file") from exc
    if inflater.unconsumed_tail:
        raise InputError(f"a compressed PNG text chunk expands past {MAX_TEXT:,} bytes (a decompression bomb?); strip it")
    return out


def text_chunk(kind: bytes, body: bytes) -> tuple[bytes, bytes]:
    """(keyword, text bytes) of a tEXt/zTXt/iTXt chunk."""
    keyword, _, rest = body.partition(b"\0")
    if kind == b"tEXt":
        return keyword, rest
    if kind == b"zTXt":
        return keyword, _inflate(rest[1:])
    compressed, rest = rest[:1] == b"\x01", rest[2:]
    _language, _, rest = rest.partition(b"\0")
    _translated, _, text = rest.partition(b"\0")
    return keyword, _inflate(text) if compressed else text


def xmp_packet(data: bytes, found: list[Chunk] | None = None) -> bytes | None:
    for chunk in found if found is not None else chunks(data):
        if chunk.type == b"iTXt" and chunk.data(data).startswith(XMP_KEYWORD + b"\0"):
            return text_chunk(chunk.type, chunk.data(data))[1]
    return None


def labels(data: bytes) -> list[Found]:
    found: list[Found] = []
    for chunk in chunks(data):
        body = chunk.data(data)
        if chunk.type in (b"tEXt", b"zTXt", b"iTXt"):
            keyword, text = text_chunk(chunk.type, body)
            if keyword == XMP_KEYWORD:
                found += labels_in_xmp(text)
            elif b"AIGC" in keyword.upper() or _label_text(text):
                found.append(Found.of(f"png:{chunk.type.decode()}:{keyword.decode('latin-1')}", text))
        elif chunk.type == b"eXIf":
            found += [Found.of(carrier, text) for carrier, text in exif_texts(body)]
    return found


def _label_text(text: bytes) -> bool:
    """A text chunk under another keyword (``Comment``, as some tools write) that is a label and nothing else."""
    return holds_label(text.decode("utf-8", errors="replace"), whole=True)


def itxt_xmp(packet: bytes) -> bytes:
    return make_chunk(b"iTXt", XMP_KEYWORD + b"\0\0\0\0\0" + packet)


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """Replace the XMP ``iTXt`` in place (dropping duplicates) or insert it right after IHDR."""
    found = chunks(data)
    new = itxt_xmp(packet)
    xmps = [c for c in found if c.type == b"iTXt" and c.data(data).startswith(XMP_KEYWORD + b"\0")]
    if not xmps:
        at = found[0].end
        return data[:at] + new + data[at:]
    out, pos = bytearray(), 0
    for index, chunk in enumerate(xmps):
        out += data[pos : chunk.start] + (new if index == 0 else b"")
        pos = chunk.end
    return bytes(out + data[pos:])


def carry_metadata(encoded: bytes, original: bytes, packet: bytes) -> bytes:
    """A freshly encoded PNG with every metadata chunk of ``original`` put back (XMP → ``packet``)."""
    meta = [c for c in chunks(original) if c.type not in PIXEL_CHUNKS]
    early = b"".join(original[c.start : c.end] for c in meta if c.type in BEFORE_PLTE)
    before_data = b"".join(
        itxt_xmp(packet) if _is_xmp(c, original) else original[c.start : c.end]
        for c in meta
        if c.type not in BEFORE_PLTE and c.start < _first(original, b"IDAT")
    )
    if not any(_is_xmp(c, original) for c in meta):
        before_data = itxt_xmp(packet) + before_data
    after_data = b"".join(original[c.start : c.end] for c in meta if c.start > _first(original, b"IDAT") and c.type not in BEFORE_PLTE)
    new = [c for c in chunks(encoded) if c.type in PIXEL_CHUNKS]
    head = new[0]
    palette = b"".join(encoded[c.start : c.end] for c in new if c.type in (b"PLTE", b"tRNS", b"acTL"))
    pixels = b"".join(encoded[c.start : c.end] for c in new if c.type in (b"IDAT", b"fcTL", b"fdAT"))
    return SIGNATURE + encoded[head.start : head.end] + early + palette + before_data + pixels + after_data + make_chunk(b"IEND", b"")


def _is_xmp(chunk: Chunk, data: bytes) -> bool:
    return chunk.type == b"iTXt" and chunk.data(data).startswith(XMP_KEYWORD + b"\0")


def _first(data: bytes, kind: bytes) -> int:
    return next((c.start for c in chunks(data, check_crc=False) if c.type == kind), len(data))


def without_legacy(data: bytes) -> bytes:
    """Text chunks keyed ``AIGC`` dropped; an eXIf label blanked (CRC recomputed)."""
    out = bytearray()
    for chunk in chunks(data):
        body = chunk.data(data)
        if (
            chunk.type in (b"tEXt", b"zTXt", b"iTXt")
            and not body.startswith(XMP_KEYWORD + b"\0")
            and (b"AIGC" in body.partition(b"\0")[0].upper() or _label_text(text_chunk(chunk.type, body)[1]))
        ):
            continue
        if chunk.type == b"eXIf":
            exif = bytearray(body)
            if blank_label_texts(exif, 0, len(exif)):
                out += make_chunk(b"eXIf", bytes(exif))
                continue
        out += data[chunk.start : chunk.end]
    return SIGNATURE + bytes(out)
