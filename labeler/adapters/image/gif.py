"""GIF block surgery: the XMP application extension (``XMP DataXMP`` + packet + 258-byte magic
trailer, so readers that walk sub-blocks skip it) and comment extensions holding a label.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InputError
from ...model import Found
from .packets import labels_in_xmp

XMP_APP = b"\x21\xff\x0bXMP DataXMP"
MAGIC_TRAILER = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"


@dataclass(frozen=True)
class Block:
    kind: str  # "xmp", "comment", "ext", "image"
    start: int
    end: int


def is_gif(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    while True:
        if pos >= len(data):
            raise InputError("the GIF is truncated inside a data block; re-export the file")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def header_end(data: bytes) -> int:
    if len(data) < 13:
        raise InputError("the GIF is truncated (no logical screen descriptor)")
    flags = data[10]
    return 13 + (3 * (2 ** ((flags & 7) + 1)) if flags & 0x80 else 0)


def blocks(data: bytes) -> list[Block]:
    if not is_gif(data):
        raise InputError("not a GIF file")
    pos = header_end(data)
    found: list[Block] = []
    while True:
        if pos >= len(data):
            raise InputError("the GIF is truncated (no trailer); re-export the file")
        introducer = data[pos]
        if introducer == 0x3B:
            return found
        if introducer == 0x21:
            if pos + 2 > len(data):
                raise InputError("the GIF is truncated inside an extension; re-export the file")
            kind = "xmp" if data.startswith(XMP_APP, pos) else "comment" if data[pos + 1] == 0xFE else "ext"
            end = _skip_sub_blocks(data, pos + 2)
        elif introducer == 0x2C:
            if pos + 10 > len(data):
                raise InputError("the GIF is truncated inside an image descriptor; re-export the file")
            flags = data[pos + 9]
            table = 3 * (2 ** ((flags & 7) + 1)) if flags & 0x80 else 0
            kind, end = "image", _skip_sub_blocks(data, pos + 10 + table + 1)
        else:
            raise InputError(f"the GIF is corrupt: unknown block 0x{introducer:02X} at byte {pos}; re-export the file")
        found.append(Block(kind, pos, end))
        pos = end


def _xmp_of(data: bytes, block: Block) -> bytes:
    body = data[block.start + len(XMP_APP) : block.end]
    return body[: -len(MAGIC_TRAILER)] if body.endswith(MAGIC_TRAILER) else body.rstrip(b"\0")


def _comment_of(data: bytes, block: Block) -> bytes:
    out, pos = bytearray(), block.start + 2
    while data[pos]:
        out += data[pos + 1 : pos + 1 + data[pos]]
        pos += 1 + data[pos]
    return bytes(out)


def xmp_packet(data: bytes) -> bytes | None:
    return next((_xmp_of(data, b) for b in blocks(data) if b.kind == "xmp"), None)


def labels(data: bytes) -> list[Found]:
    found: list[Found] = []
    for block in blocks(data):
        if block.kind == "xmp":
            found += labels_in_xmp(_xmp_of(data, block))
        elif block.kind == "comment":
            text = _comment_of(data, block)
            if b"AIGC" in text.upper():
                found.append(Found.of("gif:comment", text))
    return found


def with_xmp(data: bytes, packet: bytes) -> bytes:
    """The GIF (upgraded to GIF89a) with one XMP extension, right after the colour table."""
    if 0 in packet:
        raise InputError("the XMP packet contains NUL bytes, which a GIF XMP extension cannot hold")
    found = blocks(data)
    start = header_end(data)
    kept = b"".join(data[b.start : b.end] for b in found if b.kind != "xmp")
    tail = data[found[-1].end if found else start :]
    return b"GIF89a" + data[6:start] + XMP_APP + packet + MAGIC_TRAILER + kept + tail


def without_legacy(data: bytes) -> bytes:
    """Comment extensions holding a label dropped."""
    drop = [b for b in blocks(data) if b.kind == "comment" and b"AIGC" in _comment_of(data, b).upper()]
    out = bytearray(data)
    for block in reversed(drop):
        del out[block.start : block.end]
    return bytes(out)
