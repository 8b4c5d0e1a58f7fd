"""MPO (multi-picture JPEG, CIPA DC-007): keep the MP index right after the primary image changed.

An MPO is a primary JPEG whose APP2 ``MPF`` segment holds an index of the other images appended
after its end-of-image marker: each entry gives an image's size and its offset from the MP header
(the TIFF header inside that APP2 segment). Labelling rewrites only the primary image (XMP spliced,
or the notice re-encoded); the other images are copied byte for byte, and ``relink`` rewrites the
index so every offset points at them again. An index that does not describe the file is refused,
never guessed at.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ...errors import InputError
from . import jpeg

MPF_NS = b"MPF\0"
TAG_MP_ENTRY = 0xB002
ENTRY_SIZE = 16


@dataclass(frozen=True)
class Index:
    header: int  # absolute offset of the MP header (the TIFF byte-order mark)
    order: str
    entries_at: int  # absolute offset of the MP entry array
    count: int
    primary_end: int  # offset just past the primary image's EOI

    def entry(self, data: bytes, number: int) -> tuple[int, int]:
        """(size, offset from the MP header) of image ``number`` (0-based)."""
        _, size, offset = struct.unpack_from(self.order + "III", data, self.entries_at + ENTRY_SIZE * number)
        return size, offset


def index_of(data: bytes) -> Index | None:
    """The MP index of the primary image, or None when the JPEG has no MPF segment."""
    segs = jpeg.segments(data)
    segment = next((s for s in segs if s.marker == 0xE2 and data.startswith(MPF_NS, s.start + 4)), None)
    if segment is None:
        return None
    header = segment.start + 4 + len(MPF_NS)
    body = data[header : segment.end]
    if body[:4] not in (b"II*\0", b"MM\0*"):
        raise InputError("the MPO's MP index (APP2 MPF) has no valid header; re-export the file")
    order = "<" if body[:2] == b"II" else ">"
    (ifd,) = struct.unpack_from(order + "I", body, 4)
    if ifd + 2 > len(body):
        raise InputError("the MPO's MP index points outside its segment; re-export the file")
    (count,) = struct.unpack_from(order + "H", body, ifd)
    for i in range(count):
        at = ifd + 2 + 12 * i
        if at + 12 > len(body):
            break
        tag, _, n, value = struct.unpack_from(order + "HHII", body, at)
        if tag == TAG_MP_ENTRY:
            if n % ENTRY_SIZE or value + n > len(body):
                raise InputError("the MPO's MP entry table is damaged; re-export the file")
            eoi = next(s for s in reversed(segs) if s.marker == jpeg.EOI)
            return Index(header, order, header + value, n // ENTRY_SIZE, eoi.end)
    return None


def relink(old: bytes, new: bytes) -> bytes:
    """``new`` (``old`` with its primary image rewritten and everything after it copied) with the MP
    index pointing at the copied images again. Files without an MP index come back unchanged."""
    before = index_of(old)
    if before is None:
        return new
    after = index_of(new)
    if after is None or after.count != before.count:
        raise InputError("the MPO's MP index was lost while rewriting the primary image")
    if new[after.primary_end :] != old[before.primary_end :]:
        raise InputError("the images after the MPO's primary image did not survive; nothing was written")
    out = bytearray(new)
    shift = after.primary_end - before.primary_end
    for number in range(before.count):
        _, offset = before.entry(old, number)
        at = after.entries_at + ENTRY_SIZE * number + 4
        if number == 0:  # the primary image: offset 0 by definition, its size is what changed
            struct.pack_into(after.order + "I", out, at, after.primary_end)
            continue
        position = before.header + offset  # sizes are left as written (Pillow's MPO writer gets some wrong)
        if not before.primary_end <= position < len(old):
            raise InputError(f"the MPO's MP index puts image {number + 1} outside the file; re-export the file")
        struct.pack_into(after.order + "I", out, at + 4, position + shift - after.header)
    return bytes(out)


def tail(data: bytes) -> bytes:
    """Everything after the primary image's end-of-image marker (the other MPO images)."""
    eoi = next(s for s in reversed(jpeg.segments(data)) if s.marker == jpeg.EOI)
    return data[eoi.end :]
