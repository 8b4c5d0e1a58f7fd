"""ISO base media file format (ISO/IEC 14496-12) boxes: one box walker for MP4/M4A/MOV
(``containers.mp4``) and HEIF/AVIF (``adapters.image.isobmff``).

A box is a 32-bit big-endian size, a 4-byte type and the body. Size 1 means a 64-bit size follows
the type (a 16-byte header: ``largesize``); size 0 means the box runs to the end of its parent.

Only headers are read while walking a file: an ``mdat`` of gigabytes costs a seek. A box claiming
more bytes than its parent holds, or smaller than its own header, is refused with a clear
``InputError``; at most ``MAX_BOXES`` boxes are read at one level.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from ..errors import InputError

MAX_BOXES = 100_000
LARGE_HEADER = 16


class Box(NamedTuple):
    """One box header (a tuple: walking a ``moov`` makes thousands of them)."""

    type: bytes
    offset: int  # of the header
    size: int  # header included
    header: int  # 8, or 16 with a 64-bit size

    @property
    def body(self) -> int:
        return self.offset + self.header

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class Where:
    """How errors name the container: ``what`` (MP4, HEIF/AVIF), the fix and the file."""

    what: str = "MP4"
    hint: str = "re-export the file"
    path: Path | None = None

    def error(self, message: str, parent: bytes | None) -> InputError:
        inside = f" inside {parent!r}" if parent is not None else ""
        return InputError(f"{self.what} {message}{inside}; {self.hint}", self.path)


_HEAD = struct.Struct(">I4s")
_LARGE = struct.Struct(">Q")
_new = tuple.__new__


def _box_at(buf: bytes, pos: int, offset: int, end: int, where: Where, parent: bytes | None) -> Box:
    """The box whose header is at ``buf[pos:]`` and at ``offset`` in a parent ending at ``end``."""
    size, kind = _HEAD.unpack_from(buf, pos)
    header = 8
    if size == 1:
        if len(buf) < pos + LARGE_HEADER or offset + LARGE_HEADER > end:
            raise where.error(f"box {kind!r} at byte {offset} has a truncated 64-bit size (the file is truncated or corrupt)", parent)
        size, header = _LARGE.unpack_from(buf, pos + 8)[0], LARGE_HEADER
    elif size == 0:
        size = end - offset
    if size < header or offset + size > end:
        raise where.error(
            f"box {kind!r} at byte {offset} claims {size} bytes but only {end - offset} remain (the file is truncated or corrupt)", parent
        )
    return _new(Box, (kind, offset, size, header))  # tuple.__new__: a namedtuple's own __new__ is Python code, slow in a walk


def _too_many(where: Where, parent: bytes | None) -> InputError:
    return where.error(f"has more than {MAX_BOXES} boxes at one level (corrupt or hostile file)", parent)


def _stray(where: Where, count: int) -> InputError:
    return where.error(f"has {count} stray bytes at the end (a truncated box header)", None)


def walk(handle: BinaryIO, start: int, end: int, where: Where = Where(), trailing: bool = False) -> list[Box]:
    """The boxes of a file between ``start`` and ``end``, reading only their headers;
    ``trailing``: 1-7 bytes after the last box are an error, not ignored."""
    out: list[Box] = []
    offset = start
    while offset + 8 <= end:
        handle.seek(offset)
        found = _box_at(handle.read(LARGE_HEADER), 0, offset, end, where, None)
        out.append(found)
        if len(out) > MAX_BOXES:
            raise _too_many(where, None)
        offset += found.size
    if trailing and offset < end:
        raise _stray(where, end - offset)
    return out


def boxes(data: bytes, start: int, end: int, where: Where = Where(), parent: bytes | None = None, trailing: bool = False) -> list[Box]:
    """The boxes of an in-memory buffer between ``start`` and ``end`` (``parent`` names them in
    errors; ``trailing`` as for ``walk``)."""
    out: list[Box] = []
    offset = start
    while offset + 8 <= end:
        size, kind = _HEAD.unpack_from(data, offset)
        if 8 <= size <= end - offset:  # the common case inline: a moov walk makes thousands of boxes
            out.append(_new(Box, (kind, offset, size, 8)))
        else:  # 64-bit, to-the-end or damaged: the general path decides
            out.append(_box_at(data, offset, offset, end, where, parent))
            size = out[-1].size
        if len(out) > MAX_BOXES:
            raise _too_many(where, parent)
        offset += size
    if trailing and offset < end:
        raise _stray(where, end - offset)
    return out


def box(kind: bytes, body: bytes) -> bytes:
    """A whole box; a body too big for a 32-bit size gets a 64-bit ``largesize`` header."""
    if len(body) + 8 > 0xFFFFFFFF:
        return struct.pack(">I4sQ", 1, kind, len(body) + LARGE_HEADER) + body
    return struct.pack(">I4s", len(body) + 8, kind) + body


def read_body(handle: BinaryIO, found: Box, limit: int, path: Path | None = None) -> bytes:
    """A box's body, refused over ``limit`` bytes (never read a hostile size into memory)."""
    if found.size > limit:
        raise InputError(f"the {found.type.decode('latin-1')} box is {found.size} bytes, over the {limit} byte limit", path)
    handle.seek(found.body)
    return handle.read(found.size - found.header)
