"""Cheap, format-agnostic looks into a file: is there a JUMBF box, where is the XMP packet.

Both scan raw bytes the way exiftool does for files it has no parser for. Small files are read
whole; large ones only at the head and the tail, where every container we know keeps its
metadata (c2pa-rs puts its store after ``ftyp``/IHDR/the ID3 tag, or appends it: WAV, TIFF,
PDF). A manifest or packet buried in the middle of a file over ``WHOLE_LIMIT`` is not seen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..adapters.image.jpeg import header_end
from ..source import loaded, memo, read_all
from ..xmp import MAX_XMP_BYTES

#: Files up to this size are scanned whole.
WHOLE_LIMIT = 32 * 1024 * 1024
#: Bytes read from each end of a larger file.
EDGE = 8 * 1024 * 1024
#: The JUMBF superbox type every C2PA manifest store starts with, and its description box.
JUMBF_MARKERS = (b"jumb", b"jumd")
XMP_OPEN, XMP_CLOSE = b"<x:xmpmeta", b"</x:xmpmeta>"


@dataclass(frozen=True)
class Window:
    data: bytes
    offset: int  # where ``data`` starts in the file


def windows(path: Path) -> list[Window]:
    """The whole file, or its head and tail; of a JPEG, the segments before its image data (C2PA
    stores JUMBF in APP11, XMP lives in APP1: scanning megabytes of scan data found nothing)."""
    return memo(path, "c2pa.windows", lambda: _windows(path))


def _windows(path: Path) -> list[Window]:
    size = os.path.getsize(path)
    if size <= WHOLE_LIMIT:
        data = read_all(path)  # a Source shares the bytes it already read (images) or keeps them
        end = header_end(data)
        return [Window(data if end is None else data[:end], 0)]
    whole = loaded(path)
    if whole is not None:  # a large image already read whole: the same two edges, from memory
        return [Window(whole[:EDGE], 0), Window(whole[size - EDGE :], size - EDGE)]
    with open(path, "rb") as handle:
        head = handle.read(EDGE)
        handle.seek(size - EDGE)
        return [Window(head, 0), Window(handle.read(EDGE), size - EDGE)]


def has_jumbf(parts: list[Window]) -> bool:
    """True when the bytes hold a JUMBF superbox: worth paying for a c2pa Reader."""
    return any(all(marker in part.data for marker in JUMBF_MARKERS) for part in parts)


def xmp_packets(parts: list[Window]) -> list[bytes]:
    """Every ``<x:xmpmeta>`` … ``</x:xmpmeta>`` packet, each at most ``MAX_XMP_BYTES`` long."""
    packets: list[bytes] = []
    for part in parts:
        data = part.data
        start = data.find(XMP_OPEN)
        while start >= 0:
            end = data.find(XMP_CLOSE, start, start + MAX_XMP_BYTES)
            if end < 0:
                break
            packets.append(data[start : end + len(XMP_CLOSE)])
            start = data.find(XMP_OPEN, end)
    return packets
