"""JPEG segment surgery: find every metadata segment (also between progressive scans) and splice
the XMP APP1 segment as bytes, never touching the entropy-coded data.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from ...errors import InputError
from ...label import MAX_CARRIER_BYTES
from ...model import Found
from .packets import labels_in_xmp
from .tiffdir import blank_label_texts, exif_texts

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
XMP_NS = b"http://ns.adobe.com/xap/1.0/\0"
EXT_NS = b"http://ns.adobe.com/xmp/extension/\0"
EXIF_NS = b"Exif\0\0"
MAX_SEGMENT = 65533  # payload bytes an APPn segment can hold (length field 65535 - 2)
MAX_EXTENDED = MAX_CARRIER_BYTES
#: Markers with no length field.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
#: Baseline and extended sequential frames (Huffman): a scan holding every component is the only one.
_SEQUENTIAL = frozenset({0xC0, 0xC1})


@dataclass(frozen=True)
class Segment:
    marker: int
    start: int  # offset of the 0xFF
    end: int  # offset just past the segment (for SOS: past its header only)

    def payload(self, data: bytes) -> bytes:
        return data[self.start + 4 : self.end]


def is_jpeg(head: bytes) -> bool:
    return head[:3] == b"\xff\xd8\xff"


#: A real marker inside entropy-coded data: 0xFF not followed by a stuffed 0x00, a fill 0xFF or RSTn.
_MARKER = re.compile(rb"\xff(?=[^\x00\xff\xd0-\xd7])")
_cache: tuple[bytes, list[Segment]] | None = None


#: The last single scan searched: (file, offset of its data, offset of its EOI), for files up to this size.
REMEMBERED_SCAN = 64 << 20
_last_scan: tuple[bytes, int, int] | None = None


def _scan_end(data: bytes, start: int) -> int:
    """The EOI after the scan data starting at ``start``. Labelling walks a source, then its output,
    whose scan data is the source's, moved by the new header: when the bytes from ``start`` to the
    end equal the last scan's (a memcmp), so does the EOI's place in them, and the search is skipped."""
    global _last_scan
    if (last := _last_scan) is not None:
        previous, previous_start, previous_eoi = last
        if len(data) - start == len(previous) - previous_start and data.startswith(memoryview(previous)[previous_start:], start):
            return previous_eoi - previous_start + start
    eoi = _find_eoi(data, start)
    _last_scan = (data, start, eoi) if eoi >= 0 and len(data) <= REMEMBERED_SCAN else None  # a huge file is not kept alive
    return eoi


def _find_eoi(data: bytes, start: int) -> int:
    """Offset of the first FF D9 at or after ``start``, or -1. Each 0xD9 is found by ``memchr`` and its
    preceding byte checked: ~3x faster than ``bytes.find(b"\\xff\\xd9")`` over entropy-coded data,
    whose many 0xFF bytes (each followed by a stuffed 0x00) defeat ``find``'s skip loop."""
    pos = start + 1
    while (pos := data.find(b"\xd9", pos)) >= 0:
        if data[pos - 1] == 0xFF:
            return pos - 1
        pos += 1
    return -1


def _next_marker(data: bytes, pos: int) -> int:
    """Offset of the next real marker after entropy-coded data (a C-speed regex scan)."""
    match = _MARKER.search(data, pos)
    if match is None:
        raise InputError("the JPEG is truncated: the image data ends without an end-of-image marker; re-export the file")
    return match.start()


def segments(data: bytes) -> list[Segment]:
    """Every marker segment up to EOI, including those between scans. Raises ``InputError``.

    The last result is cached (by identity of ``data``): one labelling step asks several times."""
    global _cache
    if _cache is not None and _cache[0] is data:
        return _cache[1]
    found = _walk(data)
    _cache = (data, found)
    return found


def _walk(data: bytes) -> list[Segment]:
    if not is_jpeg(data):
        raise InputError("not a JPEG file (no start-of-image marker)")
    found = [Segment(SOI, 0, 2)]
    pos = 2
    components = 0  # of a sequential frame; 0 for any other kind
    while True:
        if pos + 2 > len(data) or data[pos] != 0xFF:
            raise InputError(f"the JPEG is truncated or corrupt at byte {pos}: expected a marker; re-export the file")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == EOI:
            found.append(Segment(EOI, pos, pos + 2))
            return found
        if marker in _STANDALONE:
            found.append(Segment(marker, pos, pos + 2))
            pos += 2
            continue
        if pos + 4 > len(data):
            raise InputError(f"the JPEG is truncated at byte {pos}; re-export the file")
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise InputError(
                f"the JPEG is truncated: segment 0x{marker:02X} at byte {pos} runs past the end of the file; re-export the file"
            )
        found.append(Segment(marker, pos, end))
        if marker in _SEQUENTIAL and length >= 8:
            components = data[pos + 9]
        if marker == SOS and components and data[pos + 4] == components:
            # The only scan, and entropy-coded data cannot hold FF D9: the first FF D9 is the EOI. No
            # segment can follow it; what does (the other images of an MPO, a camera's trailer) is
            # copied, and ``mpf.relink`` keeps an MPO's index pointing at it.
            eoi = _scan_end(data, end)
            if eoi < 0:
                raise InputError("the JPEG is truncated: the image data ends without an end-of-image marker; re-export the file")
            found.append(Segment(EOI, eoi, eoi + 2))
            return found
        pos = _next_marker(data, end) if marker == SOS else end


def header_end(data: bytes) -> int | None:
    """Offset of the first SOS: APPn metadata (EXIF, XMP, C2PA's APP11 JUMBF) lies before it. None
    when the length chain breaks first (not a JPEG, or damaged)."""
    if not is_jpeg(data):
        return None
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
        elif marker == SOS:
            return pos
        elif marker in _STANDALONE:
            pos += 2
        else:
            pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    return None


def is_xmp(segment: Segment, data: bytes) -> bool:
    return segment.marker == 0xE1 and data.startswith(XMP_NS, segment.start + 4)


def xmp_packet(data: bytes, segs: list[Segment] | None = None) -> bytes | None:
    for segment in segs if segs is not None else segments(data):
        if is_xmp(segment, data):
            return segment.payload(data)[len(XMP_NS) :]
    return None


def extended_xmp(data: bytes, segs: list[Segment]) -> dict[bytes, bytes]:
    """ExtendedXMP packets by GUID, reassembled from their chunks (size-limited)."""
    parts: dict[bytes, dict[int, bytes]] = {}
    totals: dict[bytes, int] = {}
    for segment in segs:
        if segment.marker != 0xE1 or not data.startswith(EXT_NS, segment.start + 4):
            continue
        body = segment.payload(data)[len(EXT_NS) :]
        if len(body) < 40:
            continue
        guid, (total, offset) = body[:32], struct.unpack(">II", body[32:40])
        if total > MAX_EXTENDED:
            raise InputError(
                f"ExtendedXMP claims {total:,} bytes, over the {MAX_EXTENDED:,}-byte limit; strip it (exiftool -xmp:all= FILE)"
            )
        totals[guid] = total
        parts.setdefault(guid, {})[offset] = body[40:]
    return {guid: b"".join(chunk for _, chunk in sorted(chunks.items())) for guid, chunks in parts.items()}


def labels(data: bytes) -> list[Found]:
    segs = segments(data)
    found: list[Found] = []
    packet = xmp_packet(data, segs)
    if packet is not None:
        found += labels_in_xmp(packet)
    for packet in extended_xmp(data, segs).values():
        found += labels_in_xmp(packet, "xmp-extended:TC260:AIGC")
    for segment in segs:
        if segment.marker == 0xE1 and data.startswith(EXIF_NS, segment.start + 4):
            found += [Found.of(carrier, text) for carrier, text in exif_texts(segment.payload(data)[len(EXIF_NS) :])]
        elif segment.marker == 0xFE and b"AIGC" in segment.payload(data).upper():
            found.append(Found.of("jpeg:COM", segment.payload(data).decode("utf-8", errors="replace").strip("\0 ")))
        elif (blob := app_blob(segment, data)) is not None:
            found.append(Found.of(f"jpeg:APP{segment.marker - 0xE0}:AIGC", blob))
    return found


def app_blob(segment: Segment, data: bytes) -> bytes | None:
    """The JSON of a bare ``AIGC{...}`` blob in an APPn segment (non-standard, seen in the wild)."""
    if not 0xE0 <= segment.marker <= 0xEF:
        return None
    payload = segment.payload(data)
    if payload[:4].upper() != b"AIGC":
        return None
    body = payload[4:].lstrip(b"\0:= ")
    return body.rstrip(b"\0 ") if body.startswith(b"{") else None


def app1_xmp(packet: bytes) -> bytes:
    payload = XMP_NS + packet
    if len(payload) > MAX_SEGMENT:
        raise InputError(
            f"the XMP packet with the label is {len(payload):,} bytes, over the 64 KB a JPEG APP1 segment holds; "
            "shrink the existing XMP (e.g. exiftool -xmp:all= FILE, or move bulky properties to ExtendedXMP) and retry"
        )
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """Replace the XMP APP1 (dropping duplicates) or insert one after the leading APP0/APP1 run."""
    segs = segments(data)
    new = app1_xmp(packet)
    view = memoryview(data)  # pieces without copies; the join is the one copy of the file
    xmps = [s for s in segs if is_xmp(s, data)]
    if xmps:
        pieces: list[bytes | memoryview] = []
        pos = 0
        for index, segment in enumerate(xmps):
            pieces += [view[pos : segment.start], new if index == 0 else b""]
            pos = segment.end
        return b"".join((*pieces, view[pos:]))
    anchor = 2
    for segment in segs[1:]:
        if segment.marker not in (0xE0, 0xE1):
            break
        anchor = segment.end
    return b"".join((view[:anchor], new, view[anchor:]))


ADOBE = b"Adobe"
#: Offset of the colour-transform byte in an Adobe APP14 payload ("Adobe", version, flags0, flags1, transform).
ADOBE_TRANSFORM_AT = 11


def is_adobe(segment: Segment, data: bytes) -> bool:
    return (
        segment.marker == 0xEE and segment.end - segment.start >= 4 + ADOBE_TRANSFORM_AT + 1 and data.startswith(ADOBE, segment.start + 4)
    )


def scan_transform(data: bytes, segs: list[Segment]) -> int:
    """The Adobe colour transform the scan data of ``data`` was written with: the encoder's own
    APP14 says it; without one libjpeg wrote YCbCr for three components and no transform otherwise."""
    for segment in segs:
        if is_adobe(segment, data):
            return data[segment.start + 4 + ADOBE_TRANSFORM_AT]
        if segment.marker in _SEQUENTIAL or (0xC2 <= segment.marker <= 0xCF and segment.marker not in (0xC4, 0xC8, 0xCC)):
            return 1 if data[segment.start + 9] == 3 else 0
    return 0


def replace_headers(encoded: bytes, original: bytes, packet: bytes) -> bytes:
    """Pillow's freshly encoded JPEG with the original's APPn/COM segments (XMP replaced by ``packet``).

    Every application segment comes from the original, in its order. The Adobe APP14 segment is the
    original's too (version and flags kept: CMYK/YCCK decoders rely on it), with its colour-transform
    byte set to how the new scan data was written (Pillow re-encodes YCCK as CMYK, RGB as YCbCr). A
    source without APP14 keeps the encoder's, when it wrote one (Pillow does for CMYK).
    """
    original_segs = segments(original)
    encoded_segs = segments(encoded)
    transform = scan_transform(encoded, encoded_segs)
    kept = bytearray()
    placed = adobe = False
    for segment in original_segs[1:]:
        if segment.marker == SOS:
            break
        if not (0xE0 <= segment.marker <= 0xEF or segment.marker == 0xFE):
            continue
        if is_xmp(segment, original):
            if not placed:
                kept += app1_xmp(packet)
                placed = True
            continue
        at = len(kept) + 4 + ADOBE_TRANSFORM_AT
        kept += original[segment.start : segment.end]
        if is_adobe(segment, original):
            kept[at] = transform
            adobe = True
    if not placed:
        kept = _insert_after_leading(kept, app1_xmp(packet))
    body: list[bytes | memoryview] = []
    view = memoryview(encoded)  # slices without copies: a 24 MP scan is megabytes
    for segment in encoded_segs[1:]:
        if (0xE0 <= segment.marker <= 0xEF and not (segment.marker == 0xEE and not adobe)) or segment.marker == 0xFE:
            continue
        if segment.marker == SOS:
            body.append(view[segment.start :])
            break
        body.append(view[segment.start : segment.end])
    return b"".join((b"\xff\xd8", kept, *body))


def _insert_after_leading(headers: bytearray, segment: bytes) -> bytearray:
    pos = 0
    while pos + 4 <= len(headers) and headers[pos + 1] in (0xE0, 0xE1):
        pos += 2 + struct.unpack_from(">H", headers, pos + 2)[0]
    return headers[:pos] + segment + headers[pos:]


def without_legacy(data: bytes) -> bytes:
    """EXIF text fields holding a label blanked in place, COM segments and APPn ``AIGC{...}`` blobs holding one dropped."""
    out = bytearray(data)
    drop = []
    for segment in segments(data):
        if segment.marker == 0xE1 and data.startswith(EXIF_NS, segment.start + 4):
            blank_label_texts(out, segment.start + 4 + len(EXIF_NS), segment.end)
        elif (segment.marker == 0xFE and b"AIGC" in segment.payload(data).upper()) or app_blob(segment, data) is not None:
            drop.append(segment)
    for segment in reversed(drop):
        del out[segment.start : segment.end]
    return bytes(out)
