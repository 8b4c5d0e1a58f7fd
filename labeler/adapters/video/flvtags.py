"""FLV written without a remux: the ``onMetaData`` script tag is edited, every other tag is copied.

An ffmpeg remux rewrites ``onMetaData`` from its own fields, so it drops what it does not model:
the ``cuePoints`` array Flash encoders store there, custom objects, and ``onCuePoint`` script tags
in the stream (ffmpeg turns those into a text stream and their fields into global tags). Here:

- ``set_entries`` (the implicit label) rewrites only the first script tag, adding or replacing
  string entries; audio, video and other script tags are copied byte for byte;
- ``merge`` (after the notice's re-encode) takes ffmpeg's output, puts back the source's
  ``onMetaData`` entries ffmpeg did not write, and re-inserts the source's other script tags
  (``onCuePoint``, ``onTextData`` …) at their timestamps.

Both keep ``filesize`` and a ``keyframes.filepositions`` index true for the bytes they write.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ...containers.copying import copy_range
from ...errors import InputError
from .amf import MAX_SCRIPT, SCRIPT_TAG, Reader

TAG_HEADER = 11
REMUX_HINT = "re-mux it with `ffmpeg -i IN -c copy OUT.flv`"
ON_META = "onMetaData"
Entry = tuple[str, bytes]  # (key, AMF0 value bytes)


@dataclass(frozen=True)
class Tag:
    offset: int
    kind: int  # 8 audio, 9 video, 18 script data
    size: int  # body bytes
    timestamp: int

    @property
    def end(self) -> int:
        return self.offset + TAG_HEADER + self.size + 4  # + PreviousTagSize


def _header(handle: BinaryIO, path: Path) -> int:
    head = handle.read(9)
    if len(head) < 9 or head[:3] != b"FLV":
        raise InputError("not an FLV file (no FLV header)", path)
    return int.from_bytes(head[5:9], "big") + 4  # + PreviousTagSize0


def tags(handle: BinaryIO, path: Path) -> tuple[int, list[Tag]]:
    """(offset of the first tag, every tag's header); a tag running past the end is an error."""
    size = handle.seek(0, 2)
    handle.seek(0)
    first = offset = _header(handle, path)
    found = []
    while offset + TAG_HEADER <= size:
        handle.seek(offset)
        raw = handle.read(TAG_HEADER)
        body = int.from_bytes(raw[1:4], "big")
        tag = Tag(offset, raw[0] & 0x1F, body, int.from_bytes(raw[4:7], "big") | raw[7] << 24)
        if tag.end > size:
            raise InputError(f"the FLV tag at byte {offset} claims {body} bytes but the file ends first (truncated); {REMUX_HINT}", path)
        found.append(tag)
        offset = tag.end
    return first, found


def _body(handle: BinaryIO, tag: Tag, path: Path) -> bytes:
    if tag.size > MAX_SCRIPT:
        raise InputError(f"the FLV script tag is {tag.size} bytes, over the {MAX_SCRIPT} byte limit", path)
    handle.seek(tag.offset + TAG_HEADER)
    return handle.read(tag.size)


def _is_meta(handle: BinaryIO, tag: Tag | None, path: Path) -> bool:
    if tag is None or tag.kind != SCRIPT_TAG:
        return False
    name = ON_META.encode()
    return _body(handle, tag, path)[: 3 + len(name)] == b"\x02" + struct.pack(">H", len(name)) + name


def entries(body: bytes, path: Path) -> list[Entry]:
    """The (key, raw value) pairs of an ``onMetaData`` body (ECMA array or object)."""
    reader = Reader(body)
    try:
        reader.value()  # the name
        kind = reader.take(1)[0]
        if kind not in (3, 8):
            raise ValueError(f"onMetaData holds AMF0 type {kind}, not an object")
        if kind == 8:
            reader.u32()
        out: list[Entry] = []
        while True:
            key = reader.take(reader.u16()).decode("utf-8", errors="replace")
            if not key and body[reader.pos : reader.pos + 1] == b"\x09":
                return out
            start = reader.pos
            reader.value()
            out.append((key, body[start : reader.pos]))
    except ValueError as exc:
        raise InputError(f"the FLV onMetaData tag is corrupt ({exc}); {REMUX_HINT}", path) from exc


def _key(name: str) -> bytes:
    raw = name.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def amf_string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return b"\x02" + struct.pack(">H", len(raw)) + raw if len(raw) < 0x10000 else b"\x0c" + struct.pack(">I", len(raw)) + raw


def _body_of(pairs: list[Entry]) -> bytes:
    return amf_string(ON_META) + b"\x08" + struct.pack(">I", len(pairs)) + b"".join(_key(k) + v for k, v in pairs) + b"\x00\x00\x09"


def _tag_bytes(kind: int, timestamp: int, body: bytes) -> bytes:
    head = (
        bytes([kind])
        + len(body).to_bytes(3, "big")
        + (timestamp & 0xFFFFFF).to_bytes(3, "big")
        + bytes([timestamp >> 24 & 0xFF])
        + b"\x00\x00\x00"
    )
    return head + body + struct.pack(">I", TAG_HEADER + len(body))


def _with_strings(pairs: list[Entry], strings: dict[str, str]) -> list[Entry]:
    wanted = {k.upper() for k in strings}
    return [(k, v) for k, v in pairs if k.upper() not in wanted] + [(k, amf_string(v)) for k, v in strings.items()]


def _fixed(pairs: list[Entry], total: int, moved: dict[int, int]) -> list[Entry]:
    """``filesize`` set to ``total``; ``keyframes.filepositions`` moved per ``moved`` (old -> new)."""
    out = []
    for key, value in pairs:
        if key == "filesize" and value[:1] == b"\x00":
            value = b"\x00" + struct.pack(">d", float(total))
        elif key == "keyframes" and value[:1] == b"\x03":
            value = _moved_positions(value, moved)
        out.append((key, value))
    return out


def _moved_positions(value: bytes, moved: dict[int, int]) -> bytes:
    """A ``keyframes`` object with each file position mapped to where that tag now starts."""
    reader = Reader(value[1:])
    out = b"\x03"
    while True:
        key = reader.take(reader.u16())
        if not key and value[1 + reader.pos : 2 + reader.pos] == b"\x09":
            return out + b"\x00\x00\x09"
        start = reader.pos
        reader.value()
        raw = value[1 + start : 1 + reader.pos]
        if key == b"filepositions" and raw[:1] == b"\x0a":
            count = struct.unpack(">I", raw[1:5])[0]
            numbers = [struct.unpack(">d", raw[6 + 9 * i : 14 + 9 * i])[0] if raw[5 + 9 * i] == 0 else None for i in range(count)]
            known = [n for n in numbers if n is not None]
            if len(known) == len(numbers):
                raw = (
                    b"\x0a"
                    + struct.pack(">I", count)
                    + b"".join(b"\x00" + struct.pack(">d", float(moved.get(int(n), int(n)))) for n in known)
                )
        out += struct.pack(">H", len(key)) + key + raw


@dataclass(frozen=True)
class _Piece:
    """One part of the output: a tag copied from ``source`` at ``tag``, or new bytes."""

    data: bytes = b""
    tag: Tag | None = None
    source: int = 0  # 0 = the main input, 1 = the donor (``merge``'s original file)


def _write(dst: Path, header: bytes, meta: list[Entry], meta_ts: int, pieces: list[_Piece], inputs: list[BinaryIO]) -> None:
    """Write ``header`` + the onMetaData tag + ``pieces``, with filesize and keyframe positions true."""
    # the numbers fixed below keep their width, so the meta tag's length is known before they are
    position = len(header) + len(_tag_bytes(SCRIPT_TAG, meta_ts, _body_of(meta)))
    moved: dict[int, int] = {}
    for piece in pieces:
        if piece.tag is not None and piece.source == 0:
            moved[piece.tag.offset] = position
        position += len(piece.data) if piece.tag is None else piece.tag.end - piece.tag.offset
    meta = _fixed(meta, position, moved)
    with open(dst, "wb") as out:
        out.write(header)
        out.write(_tag_bytes(SCRIPT_TAG, meta_ts, _body_of(meta)))
        for piece in pieces:
            if piece.tag is None:
                out.write(piece.data)
            else:
                copy_range(inputs[piece.source], out, piece.tag.offset, piece.tag.end - piece.tag.offset)


def set_entries(src: Path, dst: Path, strings: dict[str, str]) -> None:
    """``src`` with string entries ``strings`` set in ``onMetaData`` (created if missing)."""
    with open(src, "rb") as handle:
        first, found = tags(handle, src)
        handle.seek(0)
        header = handle.read(first)
        meta_tag = found[0] if found and _is_meta(handle, found[0], src) else None
        pairs = entries(_body(handle, meta_tag, src), src) if meta_tag else []
        rest = found[1:] if meta_tag else found
        _write(dst, header, _with_strings(pairs, strings), 0, [_Piece(tag=t) for t in rest], [handle])


def merge(source: Path, encoded: Path, dst: Path) -> None:
    """``encoded`` (ffmpeg's re-encode of ``source``) with the source's ``onMetaData`` entries that
    ffmpeg did not write and the source's other script tags put back at their timestamps."""
    with open(source, "rb") as donor, open(encoded, "rb") as handle:
        _, old = tags(donor, source)
        first, new = tags(handle, encoded)
        handle.seek(0)
        header = handle.read(first)
        old_meta = old[0] if old and _is_meta(donor, old[0], source) else None
        new_meta = new[0] if new and _is_meta(handle, new[0], encoded) else None
        written = entries(_body(handle, new_meta, encoded), encoded) if new_meta else []
        have = {k.upper() for k, _ in written}
        # the source's keyframe index points into the old file: only ffmpeg's own index is true
        kept = [
            (k, v)
            for k, v in (entries(_body(donor, old_meta, source), source) if old_meta else [])
            if k.upper() not in have and k != "keyframes"
        ]
        scripts = [t for t in old if t.kind == SCRIPT_TAG and t is not old_meta]
        pieces: list[_Piece] = []
        for tag in new[1:] if new_meta else new:
            while scripts and scripts[0].timestamp <= tag.timestamp:
                pieces.append(_Piece(tag=scripts.pop(0), source=1))
            pieces.append(_Piece(tag=tag))
        pieces += [_Piece(tag=t, source=1) for t in scripts]
        _write(dst, header, written + kept, 0, pieces, [handle, donor])
