"""Matroska / WebM: set global SimpleTags by editing the ``Tags`` element in place (no remux).

The media (clusters, cues) is copied byte for byte, so packets *and their timestamps* stay exactly
as they were (an ffmpeg ``-c copy`` remux re-times Opus pre-skip and negative timestamps). The new
``Tags`` element holds every existing ``Tag`` (track tags, other global tags) minus the SimpleTags
being set, plus one global ``Tag`` with them. Where it goes, in order of preference:

1. where the old ``Tags`` was, if it fits (with any ``Void`` after it; spare bytes become ``Void``);
2. there anyway, when it is the last element of the file (ffmpeg writes ``Tags`` last);
3. at the end of the segment, the old one voided, with the ``SeekHead`` entry pointed at it (its
   position rewritten 8 bytes wide, or a new entry added, growing into the ``Void`` that ffmpeg
   reserves after the ``SeekHead``).

``Unplaceable`` is raised when none applies (live files with unknown-size clusters, no seek entry
and no room); the caller then falls back to an ffmpeg stream-copy remux.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from . import ebml
from .ebml import (
    SEEK,
    SEEK_ID,
    SEEK_POSITION,
    SEEKHEAD,
    SEGMENT,
    SIMPLE_TAG,
    TAG,
    TAG_NAME,
    TAG_STRING,
    TAGS,
    TARGETS,
    UNKNOWN,
)

VOID = 0xEC
MAX_ELEMENTS = 200_000


class Unplaceable(Exception):
    """The Tags element cannot be written without moving media data."""


@dataclass(frozen=True)
class Element:
    id: int
    offset: int
    header: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.header + self.size


def vint(value: int, width: int = 0) -> bytes:
    """EBML size ``value`` in ``width`` bytes (the smallest that fits when 0)."""
    need = 1
    while value > (1 << (7 * need)) - 2:
        need += 1
    width = max(width, need)
    if width > 8:
        raise Unplaceable("element too large")
    return ((1 << (7 * width)) | value).to_bytes(width, "big")


def element(element_id: int, payload: bytes, width: int = 0) -> bytes:
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + vint(len(payload), width) + payload


def void(total: int) -> bytes:
    """A Void element of exactly ``total`` bytes (``total`` >= 2)."""
    width = 1 if total - 2 <= 126 else 8
    return element(VOID, b"\x00" * (total - 1 - width), width)


def _walk(handle: BinaryIO, size: int) -> tuple[Element, list[Element]]:
    head = handle.read(64)
    _, ebml_size, ebml_header = ebml._header(head, 0)
    pos = ebml_header + ebml_size
    segment_head = ebml._read_header(handle, pos)
    if segment_head is None or segment_head[0] != SEGMENT:
        raise Unplaceable("no segment")
    segment = Element(SEGMENT, pos, segment_head[2], segment_head[1] if segment_head[1] != UNKNOWN else size - pos - segment_head[2])
    children: list[Element] = []
    pos = segment.offset + segment.header
    while pos < min(size, segment.end) and len(children) < MAX_ELEMENTS:
        header = ebml._read_header(handle, pos)
        if header is None or header[1] == UNKNOWN or pos + header[2] + header[1] > size:
            raise Unplaceable("unknown-size or cut element")
        children.append(Element(header[0], pos, header[2], header[1]))
        pos += header[2] + header[1]
    return segment, children


def _read(handle: BinaryIO, el: Element) -> bytes:
    if el.size > ebml.MAX_TAGS:
        raise Unplaceable("element too large to edit")
    handle.seek(el.offset + el.header)
    return handle.read(el.size)


def _is_global(tag: list[tuple[int, bytes]]) -> bool:
    targets = next((data for child, data in tag if child == TARGETS), b"")
    return not any(child != 0x68CA and child != 0x63CA and ebml._uint(data) for child, data in ebml.children(targets))


def _tag_name(simple: bytes) -> str:
    return next((data.decode("utf-8", errors="replace") for child, data in ebml.children(simple) if child == TAG_NAME), "")


def new_tags(old_payloads: list[bytes], entries: dict[str, str]) -> bytes:
    """The Tags payload: old Tag elements minus global SimpleTags named in ``entries``, plus them."""
    names = {name.upper() for name in entries}
    out = b""
    for payload in old_payloads:
        for child, data in ebml.children(payload):
            if child != TAG:
                out += element(child, data)
                continue
            parts = ebml.children(data)
            if _is_global(parts):
                parts = [(c, d) for c, d in parts if not (c == SIMPLE_TAG and _tag_name(d).upper() in names)]
                if not any(c == SIMPLE_TAG for c, _ in parts):
                    continue
            out += element(TAG, b"".join(element(c, d) for c, d in parts))
    simple = b"".join(
        element(SIMPLE_TAG, element(TAG_NAME, name.encode()) + element(TAG_STRING, value.encode("utf-8")))
        for name, value in entries.items()
    )
    return out + element(TAG, element(TARGETS, b"") + simple)


def _copy(src: BinaryIO, dst: BinaryIO, start: int, end: int) -> None:
    src.seek(start)
    length = end - start
    while length > 0:
        data = src.read(min(1 << 20, length))
        if not data:
            raise Unplaceable("file ended early")
        dst.write(data)
        length -= len(data)


def write_tags(src: Path, dst: Path, entries: dict[str, str]) -> None:
    """Copy ``src`` to ``dst`` with global SimpleTags ``entries`` set; raises ``Unplaceable``."""
    size = src.stat().st_size
    with open(src, "rb") as handle:
        segment, children = _walk(handle, size)
        tags = [c for c in children if c.id == TAGS]
        tags_payload = new_tags([_read(handle, t) for t in tags], entries)
        # patches: (start, end, replacement bytes) over the original file, applied in order
        patches: list[tuple[int, int, bytes]] = []
        appended = b""
        first = tags[0] if tags else None
        for extra in tags[1:]:
            patches.append((extra.offset, extra.end, void(extra.end - extra.offset)))
        if first is not None:
            index = children.index(first)
            room_end = children[index + 1].end if index + 1 < len(children) and children[index + 1].id == VOID else first.end
            room = room_end - first.offset
            fitted = _fit(tags_payload, room)
            if fitted is not None:
                patches.append((first.offset, room_end, fitted))
            elif first is children[-1] and segment.end >= size:
                patches.append((first.offset, first.end, element(TAGS, tags_payload)))
            else:
                patches.append((first.offset, first.end, void(first.end - first.offset)))
                appended = element(TAGS, tags_payload)
        else:
            appended = element(TAGS, tags_payload)
        if appended:
            if segment.end < size:
                raise Unplaceable("data after the segment")
            patches += _seek_patch(handle, segment, children, size - segment.offset - segment.header)
        growth = sum(len(new) - (end - start) for start, end, new in patches) + len(appended)
        if growth:
            # the Segment ID is 4 bytes; its size field keeps its width
            patches.append((segment.offset + 4, segment.offset + segment.header, vint(segment.size + growth, segment.header - 4)))
        patches.sort()
        with open(dst, "wb") as out:
            pos = 0
            for start, end, new in patches:
                _copy(handle, out, pos, start)
                out.write(new)
                pos = end
            _copy(handle, out, pos, size)
            out.write(appended)


def _fit(payload: bytes, room: int) -> bytes | None:
    for width in range(len(vint(len(payload))), 9):
        body = element(TAGS, payload, width)
        spare = room - len(body)
        if spare == 0 or spare >= 2:
            return body + (void(spare) if spare else b"")
    return None


def _seek_patch(handle: BinaryIO, segment: Element, children: list[Element], position: int) -> list[tuple[int, int, bytes]]:
    """Point the SeekHead's Tags entry at ``position`` (relative to the segment data).

    The entry is rewritten with an 8-byte position: ffmpeg writes the narrowest width, so a Tags
    element moved from before the clusters to the end no longer fits the old field. A SeekHead that
    grows takes the room from the Void after it (ffmpeg and mkvmerge reserve one)."""
    seekhead = next((c for c in children if c.id == SEEKHEAD), None)
    if seekhead is None:
        raise Unplaceable("no SeekHead")
    entry = element(SEEK, element(SEEK_ID, TAGS.to_bytes(4, "big")) + element(SEEK_POSITION, position.to_bytes(8, "big")))
    payload = b""
    for child, data in ebml.children(_read(handle, seekhead)):
        points_at_tags = child == SEEK and ebml._uint(dict(ebml.children(data)).get(SEEK_ID, b"")) == TAGS
        payload += entry if points_at_tags else element(child, data)
        entry = b"" if points_at_tags else entry
    new_head = element(SEEKHEAD, payload + entry, seekhead.header - 4)
    index = children.index(seekhead)
    following = children[index + 1] if index + 1 < len(children) else None
    end = following.end if following is not None and following.id == VOID else seekhead.end
    spare = end - seekhead.offset - len(new_head)
    if spare < 0 or spare == 1:
        raise Unplaceable("no room in the SeekHead for the moved Tags")
    return [(seekhead.offset, end, new_head + (void(spare) if spare else b""))]
