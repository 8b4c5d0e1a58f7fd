"""Matroska / WebM: find ``Tags/Tag/SimpleTag`` name-value pairs by seeking, never reading clusters.

Only element headers are read while walking the ``Segment``; clusters (the media) are skipped by
their size. A cluster of unknown size (live recordings) cannot be skipped, so the walk stops there
and the ``SeekHead`` entries that point at ``Tags`` are followed instead (ffmpeg writes ``Tags``
after the clusters and indexes them in the ``SeekHead``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ...errors import InputError
from ...label import MAX_CARRIER_BYTES

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
SEEKHEAD, SEEK, SEEK_ID, SEEK_POSITION = 0x114D9B74, 0x4DBB, 0x53AB, 0x53AC
TAGS, TAG, TARGETS, SIMPLE_TAG, TAG_NAME, TAG_STRING, TAG_TRACK_UID = 0x1254C367, 0x7373, 0x63C0, 0x67C8, 0x45A3, 0x4487, 0x63C5
DOC_TYPE = 0x4282
MAX_TAGS = MAX_CARRIER_BYTES
MAX_ELEMENTS = 200_000
UNKNOWN = -1


@dataclass(frozen=True)
class SimpleTag:
    name: str
    value: str
    track: bool  # True when the tag targets a track, not the whole file


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int]:
    """(value, length) of the EBML variable-length integer at ``pos``; value UNKNOWN for all-ones sizes."""
    if pos >= len(data):
        raise ValueError("truncated element header")
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise ValueError("invalid or truncated EBML number")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return UNKNOWN, length
    return value, length


def _header(data: bytes, pos: int) -> tuple[int, int, int]:
    """(element id, payload size, header length)."""
    element, id_len = _vint(data, pos, True)
    size, size_len = _vint(data, pos + id_len, False)
    return element, size, id_len + size_len


def children(data: bytes) -> list[tuple[int, bytes]]:
    out = []
    pos = 0
    while pos < len(data):
        element, size, header = _header(data, pos)
        if size == UNKNOWN or pos + header + size > len(data):
            raise ValueError("element runs past its parent")
        out.append((element, data[pos + header : pos + header + size]))
        pos += header + size
    return out


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0


def doc_type(head: bytes) -> str | None:
    """``matroska`` / ``webm`` from the EBML header in ``head``, or None."""
    try:
        element, size, header = _header(head, 0)
        if element != EBML or size == UNKNOWN:
            return None
        for child, payload in children(head[header : header + size]):
            if child == DOC_TYPE:
                return payload.decode("ascii", errors="replace")
    except ValueError:
        return None
    return None


def _read_header(handle: BinaryIO, pos: int) -> tuple[int, int, int] | None:
    handle.seek(pos)
    head = handle.read(12)
    if not head:
        return None
    try:
        return _header(head, 0)
    except ValueError:
        return None


def _simple_tags(payload: bytes, track: bool, out: list[SimpleTag]) -> None:
    name = value = None
    for child, data in children(payload):
        if child == TAG_NAME:
            name = data.decode("utf-8", errors="replace").rstrip("\x00")
        elif child == TAG_STRING:
            value = data.decode("utf-8", errors="replace").rstrip("\x00")
        elif child == SIMPLE_TAG:
            _simple_tags(data, track, out)
    if name is not None and value is not None:
        out.append(SimpleTag(name, value, track))


def _parse_tags(payload: bytes) -> list[SimpleTag]:
    out: list[SimpleTag] = []
    for element, tag in children(payload):
        if element != TAG:
            continue
        parts = children(tag)
        targets = next((data for child, data in parts if child == TARGETS), b"")
        track = any(child == TAG_TRACK_UID and _uint(data) for child, data in children(targets))
        for child, data in parts:
            if child == SIMPLE_TAG:
                _simple_tags(data, track, out)
    return out


def read_tags(path: Path) -> list[SimpleTag]:
    """Every SimpleTag of the first segment (``InputError`` for a file that is not Matroska or is cut)."""
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty (0 bytes); re-export or re-download it", path)
    with open(path, "rb") as handle:
        head = handle.read(64)
        if doc_type(head + handle.read(4096)) is None:
            raise InputError("not a Matroska/WebM file (no EBML header)", path)
        _, ebml_size, ebml_header = _header(head, 0)
        pos = ebml_header + ebml_size
        found = _read_header(handle, pos)
        if found is None or found[0] != SEGMENT:
            raise InputError("the Matroska file has no Segment (truncated right after its header)", path)
        segment_start = pos + found[2]
        segment_end = size if found[1] == UNKNOWN else min(size, segment_start + found[1])
        tags_at: list[int] = []
        seeks: list[int] = []
        pos, count = segment_start, 0
        while pos < segment_end and count < MAX_ELEMENTS:
            count += 1
            header = _read_header(handle, pos)
            if header is None:
                break
            element, length, header_len = header
            if length == UNKNOWN:
                break  # an unknown-size cluster: use the SeekHead instead
            if element == TAGS:
                tags_at.append(pos)
            elif element == SEEKHEAD and length <= MAX_TAGS:
                handle.seek(pos + header_len)
                seeks += _seek_positions(handle.read(length), segment_start)
            pos += header_len + length
        out: list[SimpleTag] = []
        for at in dict.fromkeys(tags_at + seeks):
            header = _read_header(handle, at)
            if header is None or header[0] != TAGS or header[1] == UNKNOWN:
                continue
            if header[1] > MAX_TAGS or at + header[2] + header[1] > size:
                raise InputError(f"the Matroska Tags element at byte {at} is cut off or over {MAX_TAGS} bytes (truncated file?)", path)
            handle.seek(at + header[2])
            try:
                out += _parse_tags(handle.read(header[1]))
            except ValueError as exc:
                raise InputError(f"the Matroska Tags element at byte {at} is corrupt ({exc})", path) from exc
    return out


def _seek_positions(payload: bytes, segment_start: int) -> list[int]:
    positions = []
    try:
        for element, seek in children(payload):
            if element != SEEK:
                continue
            fields = dict(children(seek))
            if _uint(fields.get(SEEK_ID, b"")) == TAGS:
                positions.append(segment_start + _uint(fields.get(SEEK_POSITION, b"")))
    except ValueError:
        return positions
    return positions
