"""Minimal TIFF structure reading/writing: IFD entries, EXIF label carriers, tag 700 (XMP).

Used for TIFF files and for the EXIF blocks inside JPEG (APP1), PNG (eXIf) and WebP (EXIF), which
are TIFF structures too. Only classic TIFF (not BigTIFF) is written. Every offset is bounds-checked:
a bad offset is an ``InputError``, never an exception from deep inside ``struct``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from ...deviations import holds_label
from ...errors import InputError

TAG_IMAGE_DESCRIPTION = 0x010E
TAG_XMP = 700
TAG_EXIF_IFD = 0x8769
TAG_USER_COMMENT = 0x9286
TAG_XP_COMMENT = 0x9C9C
TYPE_BYTE = 1
TYPE_UNDEFINED = 7
#: Bytes per value for each TIFF field type.
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
MAX_ENTRIES = 4096
#: EXIF UserComment character-code prefixes (8 bytes) and how to decode what follows.
_TEXT_OF: dict[int, Callable[[bytes], str]] = {
    TAG_IMAGE_DESCRIPTION: lambda v: v.decode("utf-8", errors="replace"),
    TAG_USER_COMMENT: lambda v: decode_comment(v),
    TAG_XP_COMMENT: lambda v: v.decode("utf-16-le", errors="replace"),
}
_COMMENT_CODES = {b"ASCII\0\0\0": "latin-1", b"UNICODE\0": "utf-16", b"\0\0\0\0\0\0\0\0": "utf-8", b"JIS\0\0\0\0\0": "shift_jis"}


@dataclass(frozen=True)
class Entry:
    tag: int
    type: int
    count: int
    raw: bytes  # the 4 value/offset bytes as stored
    value: bytes  # the value bytes (resolved through the offset when larger than 4)


@dataclass(frozen=True)
class Ifd:
    offset: int
    entries: tuple[Entry, ...]
    next_offset: int

    def get(self, tag: int) -> Entry | None:
        return next((e for e in self.entries if e.tag == tag), None)


def byte_order(data: bytes) -> str:
    if data[:4] in (b"II*\0", b"II+\0"):
        return "<"
    if data[:4] in (b"MM\0*", b"MM\0+"):
        return ">"
    raise InputError("not a TIFF structure (bad byte-order mark)")


def read_ifd(data: bytes, offset: int, order: str) -> Ifd:
    if not 8 <= offset <= len(data) - 2:
        raise InputError(f"TIFF directory offset {offset} lies outside the {len(data)}-byte structure (truncated or corrupt file)")
    (count,) = struct.unpack_from(order + "H", data, offset)
    end = offset + 2 + 12 * count
    if count > MAX_ENTRIES or end + 4 > len(data):
        raise InputError(f"TIFF directory at {offset} claims {count} entries past the end of the data (truncated or corrupt file)")
    entries = []
    for i in range(count):
        tag, kind, n = struct.unpack_from(order + "HHI", data, offset + 2 + 12 * i)
        raw = data[offset + 10 + 12 * i : offset + 14 + 12 * i]
        size = TYPE_SIZES.get(kind, 1) * n
        if size <= 4:
            value = raw[:size]
        else:
            (at,) = struct.unpack(order + "I", raw)
            value = data[at : at + size] if at + size <= len(data) else b""
        entries.append(Entry(tag, kind, n, raw, value))
    (next_offset,) = struct.unpack_from(order + "I", data, end)
    return Ifd(offset, tuple(entries), next_offset)


def first_ifd(data: bytes) -> tuple[str, Ifd]:
    order = byte_order(data)
    if data[2:4] in (b"+\0", b"\0+"):
        raise InputError("BigTIFF is not supported; convert to classic TIFF (e.g. tiffcp) first")
    if len(data) < 8:
        raise InputError(f"the TIFF header is cut short ({len(data)} of 8 bytes): the file is truncated or corrupt")
    (offset,) = struct.unpack_from(order + "I", data, 4)
    return order, read_ifd(data, offset, order)


def decode_comment(value: bytes) -> str:
    """An EXIF UserComment: 8-byte character code, then text (NULs trimmed)."""
    encoding = _COMMENT_CODES.get(value[:8])
    body = value[8:] if encoding else value
    text = body.decode(encoding or "utf-8", errors="replace")
    return text.rstrip("\0 ")


def exif_texts(data: bytes) -> list[tuple[str, str]]:
    """(carrier, text) for every EXIF text field that may hold a wrapped ``{"AIGC":...}`` label."""
    if len(data) < 8:
        return []
    try:
        order, ifd0 = first_ifd(data)
    except (InputError, struct.error):
        return []
    found = []
    description = ifd0.get(TAG_IMAGE_DESCRIPTION)
    if description:
        found.append(("exif:ImageDescription", description.value.decode("utf-8", errors="replace").rstrip("\0 ")))
    xp = ifd0.get(TAG_XP_COMMENT)
    if xp:
        found.append(("exif:XPComment", xp.value.decode("utf-16-le", errors="replace").rstrip("\0 ")))
    pointer = ifd0.get(TAG_EXIF_IFD)
    if pointer and len(pointer.raw) == 4:
        try:
            exif = read_ifd(data, struct.unpack(order + "I", pointer.raw)[0], order)
        except (InputError, struct.error):
            exif = None
        comment = exif.get(TAG_USER_COMMENT) if exif else None
        if comment:
            found.append(("exif:UserComment", decode_comment(comment.value)))
    return [(carrier, text) for carrier, text in found if holds_label(text)]


def orientation(data: bytes) -> int:
    """EXIF orientation (1-8) from a TIFF/EXIF structure; 1 when absent or unreadable."""
    try:
        order, ifd0 = first_ifd(data)
    except (InputError, struct.error):
        return 1
    entry = ifd0.get(0x0112)
    if entry is None or entry.type != 3 or len(entry.value) < 2:
        return 1
    value = struct.unpack(order + "H", entry.value[:2])[0]
    return value if 1 <= value <= 8 else 1


def with_xmp(data: bytes, packet: bytes, new_type: int = TYPE_UNDEFINED) -> bytes:
    """The TIFF with tag 700 set to ``packet`` in IFD 0 (a new tag gets ``new_type``; an existing
    one keeps its BYTE or UNDEFINED type).

    A packet that fits the old one's space is written in place. Otherwise nothing is moved: the
    packet and a rewritten copy of IFD 0 are appended and the header points to the copy, so every
    strip/tile offset stays valid; the old directory is left unreferenced and the old packet blanked.
    """
    order, ifd0 = first_ifd(data)
    out = bytearray(data)
    old = ifd0.get(TAG_XMP)
    if old is not None and old.count > 4 and len(old.value) == old.count:
        (at,) = struct.unpack(order + "I", old.raw)
        if len(packet) <= old.count:  # fits: overwrite in place, padded with XML whitespace
            out[at : at + old.count] = packet + b" " * (old.count - len(packet))
            return bytes(out)
        out[at : at + old.count] = b" " * old.count  # no stale second label left behind
    if len(out) % 2:
        out += b"\0"
    packet_at = len(out)
    out += packet
    if len(out) % 2:
        out += b"\0"
    entries = [(e.tag, e.type, e.count, e.raw) for e in ifd0.entries if e.tag != TAG_XMP]
    kind = old.type if old is not None and old.type in (TYPE_BYTE, TYPE_UNDEFINED) else new_type
    entries.append((TAG_XMP, kind, len(packet), struct.pack(order + "I", packet_at)))
    entries.sort(key=lambda e: e[0])
    ifd_at = len(out)
    out += struct.pack(order + "H", len(entries))
    for tag, kind, count, raw in entries:
        out += struct.pack(order + "HHI", tag, kind, count) + raw
    out += struct.pack(order + "I", ifd0.next_offset)
    struct.pack_into(order + "I", out, 4, ifd_at)
    return bytes(out)


def xmp_of(data: bytes) -> bytes | None:
    _, ifd0 = first_ifd(data)
    entry = ifd0.get(TAG_XMP)
    if entry is None:
        return None
    if len(entry.value) != TYPE_SIZES.get(entry.type, 1) * entry.count:
        raise InputError("the TIFF XMP tag (700) points past the end of the file (truncated or corrupt)")
    return entry.value


def blank_label_texts(data: bytearray, start: int, end: int) -> bool:
    """Overwrite, in place, EXIF text fields holding an ``AIGC`` label in the TIFF structure at
    ``data[start:end]`` (spaces; a UserComment keeps its character-code prefix). Used after the label
    moved to XMP, so a file keeps exactly one label. Returns True if anything was blanked."""
    block = bytes(data[start:end])
    if len(block) < 8 or (b"AIGC" not in block.upper() and b'"CONTENTPRODUCER"' not in block.upper()):
        return False
    try:
        order, ifd0 = first_ifd(block)
        ifds = [ifd0]
        pointer = ifd0.get(TAG_EXIF_IFD)
        if pointer and len(pointer.raw) == 4:
            ifds.append(read_ifd(block, struct.unpack(order + "I", pointer.raw)[0], order))
    except (InputError, struct.error):
        return False
    changed = False
    for ifd in ifds:
        for entry in ifd.entries:
            if entry.tag not in (TAG_IMAGE_DESCRIPTION, TAG_USER_COMMENT, TAG_XP_COMMENT) or len(entry.value) <= 4:
                continue
            if not holds_label(_TEXT_OF[entry.tag](entry.value)):
                continue
            (at,) = struct.unpack(order + "I", entry.raw)
            keep = 8 if entry.tag == TAG_USER_COMMENT and entry.value[:8] in _COMMENT_CODES else 0
            filler = b"\0" * (len(entry.value) - keep) if entry.tag == TAG_XP_COMMENT else b" " * (len(entry.value) - keep - 1) + b"\0"
            data[start + at + keep : start + at + len(entry.value)] = filler
            changed = True
    return changed


def without_legacy(data: bytes) -> bytes:
    out = bytearray(data)
    blank_label_texts(out, 0, len(out))
    return bytes(out)
