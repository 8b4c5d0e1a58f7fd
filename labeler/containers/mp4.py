"""ISO-BMFF (MP4, M4A, MOV) boxes: find, read and rewrite the metadata in ``moov``, for any MP4.

Only top-level box headers are read while walking (``moov`` after a large ``mdat`` costs a seek, not
a read); ``moov`` itself is parsed into a small tree of ``Node``s. Media data is copied byte for byte.

The label lives in ``moov/udta/meta`` with ``hdlr`` = ``mdta``: key ``AIGC`` (namespace ``mdta``) in
``keys``, its value in the matching ``ilst`` item (the 1-based key index as box type) as a ``data``
box of type 1 (UTF-8). That is what ``ffmpeg -movflags +use_metadata_tags`` writes and reads. If
``udta`` already holds an iTunes ``mdir`` meta (cover art, titles), it is kept and a second, ``mdta``
meta follows it. Also read: iTunes freeform ``----:com.apple.iTunes:AIGC``, an ``ilst`` item named
``AIGC``, ``meta`` boxes without the FullBox header (QuickTime style, also at ``moov/meta``), and
XMP in the ``uuid`` box BE7ACFCB-97A9-42E8-9C71-999491E3AFAC (top level, ``moov`` or ``udta``).

When ``moov`` changes size and precedes the media data, the change is absorbed by a ``free`` box
right after it if there is one; otherwise every ``stco``/``co64`` chunk offset behind it is shifted;
if a 32-bit ``stco`` would overflow, the new ``moov`` goes to the end of the file and the old one
becomes a ``free`` box. Fragmented files (``moof``) are refused when offsets would have to move.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .. import clone
from ..deviations import holds_label
from ..errors import InputError, UnsupportedError
from ..model import Found
from ..source import memo
from ..xmp import parse_xmp
from . import isobmff
from .isobmff import Box

XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf", b"mvex", b"ilst"})
MAX_MOOV = 256 * 1024 * 1024
KEY = "AIGC"
#: iTunes-style comment item (``ffmpeg -metadata comment=...`` without use_metadata_tags); some tools put the label there.
COMMENT = b"\xa9cmt"
DATA_UTF8 = 1
REMUX_HINT = "re-mux it with `ffmpeg -i IN -c copy OUT.m4a`"
WHERE = isobmff.Where("MP4", REMUX_HINT)


@dataclass
class Node:
    """One box of the ``moov`` tree; leaves keep their payload, containers their children."""

    type: bytes
    payload: bytes = b""  # leaf payload, or the FullBox header of a ``meta`` container
    children: list[Node] | None = None

    def find(self, box_type: bytes) -> Node | None:
        return next(iter(self.all(box_type)), None)

    def all(self, box_type: bytes) -> list[Node]:
        return [c for c in self.children or [] if c.type == box_type]

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children or []:
            yield from child.walk()

    def to_bytes(self) -> bytes:
        body = self.payload if self.children is None else self.payload + b"".join(c.to_bytes() for c in self.children)
        return isobmff.box(self.type, body)


def _is_container(box_type: bytes, parent: bytes | None) -> bool:
    return box_type in CONTAINERS or box_type == b"meta" or parent == b"ilst"


def parse_nodes(data: bytes, parent: bytes | None = None, depth: int = 0) -> list[Node]:
    """The boxes in ``data`` as a tree; a box claiming more than its parent holds is an ``InputError``."""
    if depth > 16:
        raise InputError("MP4 boxes nested more than 16 deep (corrupt or hostile file)")
    nodes: list[Node] = []
    for box_type, offset, size, header in isobmff.boxes(data, 0, len(data), WHERE, parent):
        payload = data[offset + header : offset + size]
        if _is_container(box_type, parent):
            prefix = b""
            if box_type == b"meta" and payload[4:8] != b"hdlr":  # ISO FullBox meta; QuickTime's has no header
                prefix, payload = payload[:4], payload[4:]
            nodes.append(Node(box_type, prefix, parse_nodes(payload, box_type, depth + 1)))
        else:
            nodes.append(Node(box_type, payload))
    return nodes


def top_boxes(handle: BinaryIO, file_size: int, path: Path) -> list[Box]:
    """Top-level boxes by their headers only; a box running past the end, or stray bytes after the
    last box, is an error."""
    return isobmff.walk(handle, 0, file_size, isobmff.Where("MP4", REMUX_HINT, path), trailing=True)


def _read(handle: BinaryIO, box: Box, path: Path) -> bytes:
    return isobmff.read_body(handle, box, MAX_MOOV, path)


@dataclass(frozen=True)
class Movie:
    """The parsed ``moov`` of a file plus its top-level layout."""

    boxes: list[Box]
    moov_box: Box
    moov: Node
    top_uuids: list[tuple[Box, bytes]]
    replaced: dict[int, bytes] = field(default_factory=dict)  # top-level box offset -> new box bytes


def load(path: Path) -> Movie:
    """The parsed ``moov`` and layout; read and parsed once per ``Source`` (each caller gets its own
    copy: ``rewrite`` edits the tree)."""
    return memo(path, "mp4.movie", lambda: _load(path), private=True)


def _load(path: Path) -> Movie:
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty (0 bytes); re-export or re-download it", path)
    with open(path, "rb") as handle:
        boxes = top_boxes(handle, size, path)
        if not boxes or boxes[0].type not in (b"ftyp", b"wide", b"free", b"skip", b"mdat", b"moov", b"pnot", b"uuid", b"styp"):
            raise InputError("not an MP4/QuickTime file (no ftyp or moov box at the start)", path)
        moov_box = next((b for b in boxes if b.type == b"moov"), None)
        if moov_box is None:
            raise InputError(
                f"the MP4 has no moov box (an interrupted recording or upload?); without it the file cannot be played or labelled; {REMUX_HINT} if a player can still read it",
                path,
            )
        moov = Node(b"moov", b"", parse_nodes(_read(handle, moov_box, path), b"moov"))
        uuids = [(b, _read(handle, b, path)) for b in boxes if b.type == b"uuid" and b.size <= MAX_MOOV]
    return Movie(boxes, moov_box, moov, uuids)


# --- reading labels ------------------------------------------------------------------------------


def _handler(meta: Node) -> bytes:
    hdlr = meta.find(b"hdlr")
    return hdlr.payload[8:12] if hdlr is not None and len(hdlr.payload) >= 12 else b""


def _keys(meta: Node) -> list[tuple[bytes, bytes]]:
    """(namespace, name) per key index - 1."""
    keys = meta.find(b"keys")
    if keys is None or len(keys.payload) < 8:
        return []
    out: list[tuple[bytes, bytes]] = []
    offset = 8
    count = struct.unpack(">I", keys.payload[4:8])[0]
    while len(out) < count and offset + 8 <= len(keys.payload):
        size = struct.unpack(">I", keys.payload[offset : offset + 4])[0]
        if size < 8:
            break
        out.append((keys.payload[offset + 4 : offset + 8], keys.payload[offset + 8 : offset + size]))
        offset += size
    return out


def _data_values(item: Node) -> list[bytes]:
    return [d.payload[8:] for d in item.all(b"data") if len(d.payload) >= 8]


def _metas(moov: Node) -> list[Node]:
    udtas = moov.all(b"udta")
    return moov.all(b"meta") + [m for u in udtas for m in u.all(b"meta")]


def _uuid_xmp(payload: bytes) -> bytes | None:
    return payload[16:] if payload[:16] == XMP_UUID else None


def find_labels(movie: Movie) -> list[tuple[str, bytes]]:
    """(carrier, raw text) of every AIGC label in the movie's metadata."""
    found: list[tuple[str, bytes]] = []
    for meta in _metas(movie.moov):
        ilst = meta.find(b"ilst")
        if ilst is None:
            continue
        keys = _keys(meta) if _handler(meta) == b"mdta" else []
        for item in ilst.children or []:
            index = struct.unpack(">I", item.type)[0]
            if keys and 1 <= index <= len(keys) and keys[index - 1][1].decode("latin-1").upper() == KEY:
                found += [("mp4:mdta:AIGC", v) for v in _data_values(item)]
            elif item.type == b"----":
                mean, name = item.find(b"mean"), item.find(b"name")
                if mean is not None and name is not None and name.payload[4:].decode("latin-1").upper() == KEY:
                    found += [(f"mp4:----:{mean.payload[4:].decode('latin-1')}:AIGC", v) for v in _data_values(item)]
            elif item.type.upper() == KEY.encode():
                found += [("mp4:ilst:AIGC", v) for v in _data_values(item)]
            elif item.type == COMMENT:
                found += [("mp4:©cmt", v) for v in _data_values(item) if _label_comment(v)]
    udta_uuids = [n.payload for u in movie.moov.all(b"udta") for n in u.all(b"uuid")] + [n.payload for n in movie.moov.all(b"uuid")]
    for payload in [p for _, p in movie.top_uuids] + udta_uuids:
        xmp = _uuid_xmp(payload)
        if xmp is not None:
            found.append(("xmp-uuid", xmp))
    return found


def found_labels(path: Path) -> list[Found]:
    """Every AIGC label of an MP4 as ``Found`` values; XMP ``uuid`` boxes are parsed as XMP."""
    found: list[Found] = []
    for carrier, raw in find_labels(load(path)):
        if carrier != "xmp-uuid":
            found.append(Found.of(carrier, raw.rstrip(b"\x00")))
            continue
        info = parse_xmp(raw)
        found += [Found.of("xmp:TC260:AIGC", value.text, info.problems) for value in info.aigc]
    return found


def mdta_values(movie: Movie, key: str) -> list[bytes]:
    """The values stored under ``mdta`` key ``key`` (any case) in the movie's metadata."""
    values: list[bytes] = []
    for meta in _metas(movie.moov):
        ilst = meta.find(b"ilst")
        keys = _keys(meta) if _handler(meta) == b"mdta" else []
        for item in (ilst.children or []) if ilst is not None and keys else []:
            index = struct.unpack(">I", item.type)[0]
            if 1 <= index <= len(keys) and keys[index - 1][1].decode("latin-1").upper() == key.upper():
                values += _data_values(item)
    return values


def track_handlers(movie: Movie) -> list[bytes]:
    """The handler type of every track (``soun``, ``vide``, ``text``...)."""
    out = []
    for trak in movie.moov.all(b"trak"):
        mdia = trak.find(b"mdia")
        hdlr = mdia.find(b"hdlr") if mdia else None
        if hdlr is not None and len(hdlr.payload) >= 12:
            out.append(hdlr.payload[8:12])
    return out


# --- writing -------------------------------------------------------------------------------------


def _data_box(text: str) -> Node:
    return Node(b"data", struct.pack(">II", DATA_UTF8, 0) + text.encode("utf-8"))


def _new_mdta_meta() -> Node:
    hdlr = Node(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 13)
    return Node(b"meta", b"\x00\x00\x00\x00", [hdlr, Node(b"keys", struct.pack(">II", 0, 0)), Node(b"ilst", b"", [])])


def _has_key(meta: Node, key: str) -> bool:
    return _handler(meta) == b"mdta" and any(name.decode("latin-1").upper() == key.upper() for _, name in _keys(meta))


def set_label(moov: Node, text: str, key: str = KEY) -> None:
    """Put ``text`` under ``key`` (default AIGC) in an ``mdta`` meta: the one that already has the key
    (also a QuickTime ``moov/meta``), else the one in ``moov/udta`` (created if needed). For AIGC,
    iTunes-style copies are removed, so the file keeps one label."""
    udta = moov.find(b"udta")
    if udta is None:
        udta = Node(b"udta", b"", [])
        moov.children = (moov.children or []) + [udta]
    for copy in _metas(moov) if key == KEY else []:  # drop iTunes-style copies: exactly one label per file
        ilst = copy.find(b"ilst")
        if ilst is not None and _handler(copy) != b"mdta":
            ilst.children = [i for i in ilst.children or [] if not _is_itunes_label(i)]
    meta = next((m for m in _metas(moov) if _has_key(m, key)), None) or next((m for m in udta.all(b"meta") if _handler(m) == b"mdta"), None)
    if meta is None:
        meta = _new_mdta_meta()
        udta.children = (udta.children or []) + [meta]
    keys = _keys(meta)
    ilst = meta.find(b"ilst")
    if ilst is None:
        ilst = Node(b"ilst", b"", [])
        meta.children = (meta.children or []) + [ilst]
    index = next((i + 1 for i, (_, name) in enumerate(keys) if name.decode("latin-1").upper() == key.upper()), None)
    if index is None:
        keys.append((b"mdta", key.encode()))
        index = len(keys)
        keys_node = meta.find(b"keys")
        assert keys_node is not None
        keys_node.payload = (
            keys_node.payload[:4] + struct.pack(">I", len(keys)) + b"".join(struct.pack(">I4s", len(n) + 8, ns) + n for ns, n in keys)
        )
    item_type = struct.pack(">I", index)
    items = [i for i in ilst.children or [] if i.type != item_type]
    ilst.children = items + [Node(item_type, b"", [_data_box(text)])]
    ilst.children.sort(key=lambda n: struct.unpack(">I", n.type)[0] if n.type[0] == 0 else 0)


def _label_comment(value: bytes) -> bool:
    return holds_label(value.rstrip(b"\x00").decode("utf-8", errors="replace"), whole=True)


def _is_itunes_label(item: Node) -> bool:
    if item.type.upper() == KEY.encode() or (item.type == COMMENT and any(_label_comment(v) for v in _data_values(item))):
        return True  # a label in the comment (ffmpeg -metadata comment=...) moves to the mdta key too
    name = item.find(b"name") if item.type == b"----" else None
    return name is not None and name.payload[4:].decode("latin-1").upper() == KEY


def _shift_chunk_offsets(moov: Node, after: int, delta: int) -> bool:
    """Add ``delta`` to chunk offsets >= ``after``; False if a 32-bit ``stco`` would overflow."""
    tables = [n for n in moov.walk() if n.type in (b"stco", b"co64")]
    patched = []
    for table in tables:
        width = 4 if table.type == b"stco" else 8
        fmt = ">I" if width == 4 else ">Q"
        count = struct.unpack(">I", table.payload[4:8])[0]
        entries = [struct.unpack(fmt, table.payload[8 + i * width : 8 + (i + 1) * width])[0] for i in range(count)]
        moved = [e + delta if e >= after else e for e in entries]
        if width == 4 and any(e > 0xFFFFFFFF or e < 0 for e in moved):
            return False
        patched.append((table, table.payload[:8] + b"".join(struct.pack(fmt, e) for e in moved)))
    for table, payload in patched:
        table.payload = payload
    return True


def _free_box(size: int) -> bytes:
    return isobmff.box(b"free", b"\x00" * (size - 8))


def _alignment(delta: int, block: int | None) -> int:
    """Bytes of ``free`` box that keep the media after a grown ``moov`` at its offset modulo
    ``block`` (so its blocks can be cloned, ``labeler.clone``); 0 when nothing will be cloned."""
    if block is None or delta % block == 0:
        return 0
    pad = -delta % block
    return pad + block if pad < 8 else pad  # a free box is at least its 8-byte header


def rewrite(src: Path, dst: Path, edit: Callable[[Movie], None], append: bytes = b"") -> None:
    """Copy ``src`` to ``dst`` with ``edit`` applied to its parsed ``moov``; media bytes unchanged;
    ``append`` (whole top-level boxes) goes at the end, where it moves no chunk offset. Where the
    file system clones, the media keeps its offset modulo the block size and is shared, not copied."""
    movie = load(src)
    edit(movie)
    block = clone.block_size(src, dst)
    old = movie.moov_box
    before = [b for b in movie.boxes if b.offset < old.offset]
    after = [b for b in movie.boxes if b.offset > old.offset]
    new = movie.moov.to_bytes()
    delta = len(new) - old.size
    in_place, at_end = [new], b""
    if delta and any(b.type in (b"mdat", b"moof") for b in after):
        free = after[0] if after[0].type in (b"free", b"skip") else None
        pad = _alignment(delta, block)
        if free is not None and (free.size - delta >= 8 or free.size == delta):
            in_place += [_free_box(free.size - delta)] if free.size != delta else []
            after = after[1:]
        elif any(b.type in (b"moof", b"sidx", b"mfra") for b in movie.boxes):
            raise UnsupportedError(
                "the metadata of a fragmented MP4 cannot grow in place; defragment it first with `ffmpeg -i IN -c copy OUT.mp4`", src
            )
        elif _shift_chunk_offsets(movie.moov, old.end, delta + pad):
            in_place = [movie.moov.to_bytes(), *([_free_box(pad)] if pad else [])]
        else:  # a 32-bit stco would overflow: move moov to the end, the old one becomes free space
            in_place, at_end = [_free_box(old.size)], new
    pieces: list[clone.Piece] = [clone.Range(box.offset, box.size) for box in before]
    pieces.append(b"".join(in_place))
    pieces += [movie.replaced.get(box.offset) or clone.Range(box.offset, box.size) for box in after]
    pieces += [at_end + append]
    clone.write_pieces(src, dst, pieces, block=block)


def _merged_xmp(payload: bytes, text: str) -> bytes | None:
    """The uuid payload with its XMP ``AIGC`` set to ``text``, or None if it holds no label."""
    from ..xmp import merge_xmp, parse_xmp

    xmp = _uuid_xmp(payload)
    if xmp is None or not parse_xmp(xmp).aigc:
        return None
    return XMP_UUID + merge_xmp(xmp, text, None)


def label_movie(movie: Movie, text: str) -> None:
    """Set the canonical label and bring every XMP copy in line (never two different labels).

    A top-level XMP box is rewritten only when no media follows it (its size may change)."""
    set_label(movie.moov, text)
    for node in movie.moov.walk():
        if node.type == b"uuid":
            merged = _merged_xmp(node.payload, text)
            if merged is not None:
                node.payload = merged
    media = [b.offset for b in movie.boxes if b.type in (b"mdat", b"moof")]
    for box, payload in movie.top_uuids:
        merged = _merged_xmp(payload, text)
        if merged is not None and all(offset < box.offset for offset in media) and box.offset > movie.moov_box.offset:
            movie.replaced[box.offset] = isobmff.box(b"uuid", merged)


def write_label(src: Path, dst: Path, text: str) -> None:
    rewrite(src, dst, lambda movie: label_movie(movie, text))


#: Top-level boxes that are the file's structure or media, re-made by any re-encode; every other
#: top-level box (XMP ``uuid`` as ExifTool writes it in MP4, vendor ``uuid``/``meta`` boxes) is the
#: source's metadata and is carried over.
STRUCTURE = frozenset({b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"moof", b"mfra", b"sidx", b"ssix", b"prft", b"emsg"})


def carried_boxes(path: Path) -> bytes:
    """The source's top-level metadata boxes (not ``STRUCTURE``), whole, in file order."""
    movie = load(path)
    with open(path, "rb") as handle:
        return b"".join(_whole(handle, box, path) for box in movie.boxes if box.type not in STRUCTURE)


def _whole(handle: BinaryIO, box: Box, path: Path) -> bytes:
    if box.size > MAX_MOOV:
        raise InputError(f"the top-level {box.type.decode('latin-1')} box is {box.size} bytes, over the {MAX_MOOV} byte limit", path)
    handle.seek(box.offset)
    return handle.read(box.size)


def metadata_nodes(movie: Movie) -> list[Node]:
    """The user metadata of a movie: ``moov/udta`` and a QuickTime ``moov/meta``."""
    return [n for n in movie.moov.children or [] if n.type in (b"udta", b"meta")]


def transplant_metadata(donor: Path, src: Path, dst: Path, renewed: tuple[bytes, ...] = ()) -> None:
    """``src`` with its ``moov/udta`` and ``moov/meta`` replaced by ``donor``'s (tags, cover art)
    and the donor's top-level metadata boxes appended (``carried_boxes``); a ``udta`` child whose
    type is in ``renewed`` (``chpl``: chapter times moved by the notice) is taken from ``src``
    where the donor has one."""
    kept = metadata_nodes(load(donor))

    def edit(movie: Movie) -> None:
        fresh = {c.type: c for n in metadata_nodes(movie) if n.type == b"udta" for c in n.children or [] if c.type in renewed}
        for udta in (n for n in kept if n.type == b"udta"):
            udta.children = [fresh.get(c.type, c) for c in udta.children or []]
        movie.moov.children = [n for n in movie.moov.children or [] if n.type not in (b"udta", b"meta")] + kept

    rewrite(src, dst, edit, carried_boxes(donor))
