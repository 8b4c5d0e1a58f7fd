"""HEIF/AVIF (ISOBMFF ``meta`` box) surgery: read and set the XMP ``mime`` item without touching
the coded image items.

Writing removes any old XMP item (its bytes blanked so no stale label lingers), adds a new item
(``infe`` type ``mime``, ``application/rdf+xml``) whose data lives in the ``idat`` box, links it to
the primary image with a ``cdsc`` reference, and shifts every absolute ``iloc`` offset that points
past the grown ``meta`` box. Image sequences (``moov`` with chunk offsets) are refused rather than
broken.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ...containers import isobmff
from ...containers.isobmff import Box
from ...errors import InputError, UnsupportedError
from ...label import ParsedLabel
from ...model import Found
from ...problems import warning
from .packets import labels_in_xmp
from .tiffdir import exif_texts

XMP_TYPE = b"application/rdf+xml"
AVIF_BRANDS = frozenset({b"avif", b"avis"})
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1", b"mif2"})
MAX_ITEMS = 65535


WHERE = isobmff.Where("HEIF/AVIF", "re-export the file")


def boxes(data: bytes, start: int, end: int) -> list[Box]:
    return isobmff.boxes(data, start, end, WHERE)


def brands(head: bytes) -> set[bytes]:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return set()
    (size,) = struct.unpack_from(">I", head, 0)
    size = min(max(size, 16), len(head))
    return {head[8:12]} | {head[i : i + 4] for i in range(16, size - 3, 4)}


def is_avif(head: bytes) -> bool:
    return bool(brands(head) & AVIF_BRANDS)


def is_heif(head: bytes) -> bool:
    found = brands(head)
    return bool(found & HEIF_BRANDS) and not found & AVIF_BRANDS


@dataclass
class Location:
    item: int
    method: int
    dref: int
    base: int
    extents: list[tuple[int, int, int]]  # (index, offset, length)


@dataclass
class Meta:
    box: Box
    children: list[Box]
    infos: dict[int, tuple[bytes, bytes, bytes]] = field(default_factory=dict)  # id -> (type, content type, raw infe)
    iinf_version: int = 0
    locations: list[Location] = field(default_factory=list)
    iloc_version: int = 0
    sizes: tuple[int, int, int, int] = (4, 4, 0, 0)  # offset, length, base offset, index
    refs: list[tuple[bytes, int, list[int]]] = field(default_factory=list)
    iref_version: int = 0
    primary: int = 1
    idat: bytes = b""

    def child(self, kind: bytes) -> Box | None:
        return next((c for c in self.children if c.type == kind), None)


def _uint(data: bytes, pos: int, size: int) -> int:
    return int.from_bytes(data[pos : pos + size], "big") if size else 0


def parse_meta(data: bytes) -> Meta:
    top = boxes(data, 0, len(data))
    meta_box = next((b for b in top if b.type == b"meta"), None)
    if meta_box is None:
        raise InputError("the HEIF/AVIF file has no meta box; re-export the file")
    meta = Meta(meta_box, boxes(data, meta_box.body + 4, meta_box.end))
    try:
        _parse_children(data, meta)
    except (struct.error, IndexError, ValueError) as exc:  # ValueError: an item name without its NUL (bytes.index)
        raise InputError(f"the HEIF/AVIF item tables are corrupt ({exc}); re-export the file") from exc
    return meta


def _parse_children(data: bytes, meta: Meta) -> None:
    pitm = meta.child(b"pitm")
    if pitm:
        meta.primary = _uint(data, pitm.body + 4, 2 if data[pitm.body] == 0 else 4)
    iinf = meta.child(b"iinf")
    if iinf:
        meta.iinf_version = data[iinf.body]
        skip = 2 if meta.iinf_version == 0 else 4
        for infe in boxes(data, iinf.body + 4 + skip, iinf.end):
            version, pos = data[infe.body], infe.body + 4
            if version < 2:
                continue
            id_size = 2 if version == 2 else 4
            item, pos = _uint(data, pos, id_size), pos + id_size + 2
            kind, pos = data[pos : pos + 4], pos + 4
            name_end = data.index(b"\0", pos, infe.end)
            content = data[name_end + 1 : data.index(b"\0", name_end + 1, infe.end)] if kind == b"mime" else b""
            meta.infos[item] = (kind, content, data[infe.offset : infe.end])
    iloc = meta.child(b"iloc")
    if iloc:
        _parse_iloc(data, iloc, meta)
    iref = meta.child(b"iref")
    if iref:
        meta.iref_version = data[iref.body]
        id_size = 2 if meta.iref_version == 0 else 4
        for ref in boxes(data, iref.body + 4, iref.end):
            pos = ref.body
            source, count = _uint(data, pos, id_size), _uint(data, pos + id_size, 2)
            pos += id_size + 2
            meta.refs.append((ref.type, source, [_uint(data, pos + id_size * i, id_size) for i in range(count)]))
    idat = meta.child(b"idat")
    if idat:
        meta.idat = data[idat.body : idat.end]


def _parse_iloc(data: bytes, iloc: Box, meta: Meta) -> None:
    version, pos = data[iloc.body], iloc.body + 4
    meta.iloc_version = version
    offset_size, length_size = data[pos] >> 4, data[pos] & 15
    base_size, index_size = data[pos + 1] >> 4, (data[pos + 1] & 15) if version in (1, 2) else 0
    meta.sizes = (offset_size, length_size, base_size, index_size)
    pos += 2
    count_size = 2 if version < 2 else 4
    count, pos = _uint(data, pos, count_size), pos + count_size
    if count > MAX_ITEMS:
        raise InputError(f"the HEIF/AVIF file claims {count} items; refusing")
    for _ in range(count):
        item, pos = _uint(data, pos, count_size), pos + count_size
        method = 0
        if version in (1, 2):
            method, pos = _uint(data, pos, 2) & 15, pos + 2
        dref, pos = _uint(data, pos, 2), pos + 2
        base, pos = _uint(data, pos, base_size), pos + base_size
        extent_count, pos = _uint(data, pos, 2), pos + 2
        extents = []
        for _ in range(extent_count):
            index, pos = _uint(data, pos, index_size), pos + index_size
            offset, pos = _uint(data, pos, offset_size), pos + offset_size
            length, pos = _uint(data, pos, length_size), pos + length_size
            extents.append((index, offset, length))
        if pos > iloc.end:
            raise InputError("the HEIF/AVIF item location table is truncated; re-export the file")
        meta.locations.append(Location(item, method, dref, base, extents))


def item_data(data: bytes, meta: Meta, item: int) -> bytes:
    location = next((loc for loc in meta.locations if loc.item == item), None)
    if location is None:
        return b""
    source = meta.idat if location.method == 1 else data
    out = b""
    for _, offset, length in location.extents:
        start = location.base + offset
        end = start + length if length else len(source)
        if end > len(source):
            raise InputError("a HEIF/AVIF metadata item points past the end of the file (truncated?); re-export the file")
        out += source[start:end]
    return out


def _xmp_items(meta: Meta) -> list[int]:
    return [item for item, (kind, content, _) in meta.infos.items() if kind == b"mime" and content == XMP_TYPE]


#: Some writers copy a JPEG APP1 payload into the XMP item, header and all; exiftool reads past it.
JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\0"
_JPEG_HEADER_FOUND = warning(
    "xmp.jpeg-header",
    "the HEIF XMP item starts with the JPEG APP1 header http://ns.adobe.com/xap/1.0/\\0 "
    "(a copied JPEG segment); read past it; relabelling writes a clean packet",
)


def _xmp_body(data: bytes, meta: Meta, item: int) -> tuple[bytes, bool]:
    """The packet of an XMP item, and whether a JPEG APP1 header had to be skipped."""
    body = item_data(data, meta, item)
    return (body[len(JPEG_XMP_HEADER) :], True) if body.startswith(JPEG_XMP_HEADER) else (body, False)


def xmp_packet(data: bytes) -> bytes | None:
    meta = parse_meta(data)
    items = _xmp_items(meta)
    return _xmp_body(data, meta, items[0])[0] if items else None


def labels(data: bytes) -> list[Found]:
    meta = parse_meta(data)
    found: list[Found] = []
    for item in _xmp_items(meta):
        packet, headed = _xmp_body(data, meta, item)
        found += [
            Found(f.carrier, f.raw, ParsedLabel(f.label, (_JPEG_HEADER_FOUND, *f.problems), f.parsed.wrapped)) if headed else f
            for f in labels_in_xmp(packet)
        ]
    for item, (kind, _, _) in meta.infos.items():
        if kind == b"Exif":
            body = item_data(data, meta, item)
            if len(body) >= 4:
                skip = 4 + int.from_bytes(body[:4], "big")
                found += [Found.of(carrier, text) for carrier, text in exif_texts(body[skip:])]
    return found


def _full(kind: bytes, version: int, body: bytes) -> bytes:
    return isobmff.box(kind, bytes([version, 0, 0, 0]) + body)


def _iloc(meta: Meta, locations: list[Location], delta: int, meta_end: int, added: Location) -> bytes:
    offset_size, length_size, base_size, index_size = meta.sizes
    offset_size, length_size = max(offset_size, 4), max(length_size, 4)
    version = meta.iloc_version  # v0 has no construction method: every item (and ours) sits in the file (method 0)
    count_size = 2 if version < 2 else 4
    body = bytes([offset_size << 4 | length_size, base_size << 4 | index_size]) + (len(locations) + 1).to_bytes(count_size, "big")
    for loc in [*locations, added]:
        base, extents = loc.base, loc.extents
        if loc.method == 0 and delta and loc is not added:
            if base and base >= meta_end:
                base += delta
            else:
                extents = [(i, o + delta if base + o >= meta_end else o, n) for i, o, n in extents]
        body += loc.item.to_bytes(count_size, "big") + (loc.method.to_bytes(2, "big") if version else b"") + loc.dref.to_bytes(2, "big")
        body += base.to_bytes(base_size, "big") if base_size else b""
        body += len(extents).to_bytes(2, "big")
        for index, offset, length in extents:
            body += (
                (index.to_bytes(index_size, "big") if index_size else b"")
                + offset.to_bytes(offset_size, "big")
                + length.to_bytes(length_size, "big")
            )
    return _full(b"iloc", version, body)


def with_xmp(data: bytes, packet: bytes) -> bytes:
    meta = parse_meta(data)
    top = boxes(data, 0, len(data))
    if any(b.type == b"moov" for b in top):
        raise UnsupportedError("HEIF/AVIF image sequences (with a moov box) cannot take XMP without re-muxing; label a still image")
    old = _xmp_items(meta)
    out = bytearray(data)
    for item in old:  # blank the stale packet so no second label lingers in mdat
        loc = next((x for x in meta.locations if x.item == item), None)
        if loc is None or loc.method != 0:
            continue
        for _, offset, length in loc.extents:
            start = loc.base + offset
            out[start : start + length] = b" " * length
    new_id = max([*meta.infos, *(x.item for x in meta.locations), 0]) + 1
    if new_id > MAX_ITEMS:
        raise UnsupportedError("the HEIF/AVIF file has too many items to add an XMP item")
    infe = _full(b"infe", 2, new_id.to_bytes(2, "big") + b"\0\0mime\0" + XMP_TYPE + b"\0")
    kept = [raw for item, (_, _, raw) in meta.infos.items() if item not in old]
    iinf_version = meta.iinf_version
    iinf = _full(b"iinf", iinf_version, (len(kept) + 1).to_bytes(2 if iinf_version == 0 else 4, "big") + b"".join(kept) + infe)
    refs = [(kind, source, targets) for kind, source, targets in meta.refs if source not in old]
    refs.append((b"cdsc", new_id, [meta.primary]))
    id_size = 2 if meta.iref_version == 0 else 4
    iref = _full(
        b"iref",
        meta.iref_version,
        b"".join(
            isobmff.box(k, s.to_bytes(id_size, "big") + len(t).to_bytes(2, "big") + b"".join(x.to_bytes(id_size, "big") for x in t))
            for k, s, t in refs
        ),
    )
    idat_data = bytearray(meta.idat)
    for item in old:
        loc = next((x for x in meta.locations if x.item == item and x.method == 1), None)
        if loc is None:
            continue
        for _, offset, length in loc.extents:
            idat_data[loc.base + offset : loc.base + offset + length] = b" " * length
    locations = [x for x in meta.locations if x.item not in old]

    def build(delta: int, packet_at: int) -> bytes:
        # With a base-offset field, the packet's position goes there (extent offset 0), as encoders
        # lay items out: c2pa-rs shifts a non-zero extent offset of a based item twice when it signs.
        if meta.sizes[2] and packet_at < 1 << 8 * meta.sizes[2]:
            added = Location(new_id, 0, 0, packet_at, [(0, 0, len(packet))])
        else:
            added = Location(new_id, 0, 0, 0, [(0, packet_at, len(packet))])
        replacements = {
            b"iinf": iinf,
            b"iloc": _iloc(meta, locations, delta, meta.box.end, added),
            b"iref": iref,
            b"idat": isobmff.box(b"idat", bytes(idat_data)),
        }
        parts = [replacements.get(c.type, bytes(out[c.offset : c.end])) for c in meta.children]
        if meta.child(b"iref") is None:
            parts.append(iref)
        return _full(b"meta", data[meta.box.body], b"".join(parts))

    # The packet goes in a new mdat at the end (exiftool and libheif read construction method 0 everywhere).
    delta = len(build(0, 0)) - (meta.box.end - meta.box.offset)
    packet_at = len(out) + delta + 8
    new_meta = build(delta, packet_at)
    return bytes(out[: meta.box.offset]) + new_meta + bytes(out[meta.box.end :]) + isobmff.box(b"mdat", packet)
