"""AVI: read and write ``LIST INFO`` sub-chunks (``AIGC`` and labeler's notice receipt) directly.

Stock ffmpeg writes only the INFO ids it knows, so the label is written here. Only chunk headers
are read while walking; ``movi`` (the media) is copied byte for byte, never parsed. Placement, in
order of preference:

1. The existing ``LIST INFO`` before ``movi`` is rewritten; growth is taken from the ``JUNK`` chunk
   that follows it (ffmpeg reserves 1016 bytes of ``JUNK`` before ``movi``).
2. A new ``LIST INFO`` takes the place of (part of) a ``JUNK`` chunk before ``movi``.
3. Otherwise the ``LIST INFO`` goes to the end of the ``RIFF AVI`` chunk (after ``idx1``), where
   ffmpeg also reads it; nothing in front of it moves, so no index offset changes.

A file of several RIFF chunks (OpenDML ``AVIX``) without room before ``movi`` is refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ...containers import riff
from ...containers.copying import copy_range
from ...containers.riff import Chunk
from ...errors import InputError, UnsupportedError

MAX_INFO = 1024 * 1024
REMUX_HINT = "re-mux it with `ffmpeg -i IN -c copy OUT.avi`"


def _walk(handle: BinaryIO, start: int, end: int, path: Path) -> list[Chunk]:
    return riff.walk(handle, start, end, what="AVI", hint=REMUX_HINT, path=path)


@dataclass(frozen=True)
class Layout:
    riffs: list[Chunk]
    body: list[Chunk]  # children of the first RIFF AVI chunk
    info: list[tuple[bytes, bytes]]  # INFO entries (id, raw value), in order


def load(path: Path) -> Layout:
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty (0 bytes); re-export or re-download it", path)
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"AVI ":
            raise InputError("not an AVI file (no RIFF AVI header)", path)
        _, declared, _ = riff.header(head)
        if 8 + declared > size:
            raise InputError(
                f"the AVI is truncated: its RIFF header declares {8 + declared} bytes but the file has {size}; {REMUX_HINT}", path
            )
        riffs = _walk(handle, 0, size, path)
        body = _walk(handle, 12, riffs[0].data_end, path)
        if not any(c.form == b"movi" for c in body):
            raise InputError(f"the AVI has no movi list (no media data); {REMUX_HINT}", path)
        info: list[tuple[bytes, bytes]] = []
        for chunk in body:
            if chunk.id == b"LIST" and chunk.form == b"INFO":
                if chunk.size > MAX_INFO:
                    raise InputError(f"the AVI INFO list is {chunk.size} bytes, over the {MAX_INFO} byte limit", path)
                for entry in _walk(handle, chunk.data_offset + 4, chunk.data_end, path):
                    handle.seek(entry.data_offset)
                    info.append((entry.id, handle.read(entry.size)))
    return Layout(riffs, body, info)


def value(raw: bytes) -> bytes:
    return raw.split(b"\x00", 1)[0]


def _info_list(entries: list[tuple[bytes, bytes]]) -> bytes:
    return riff.RIFF.chunk(b"LIST", b"INFO" + b"".join(riff.RIFF.chunk(cid, value(raw) + b"\x00") for cid, raw in entries))


def _junk(size: int) -> bytes:
    return struct.pack("<4sI", b"JUNK", size - 8) + b"\x00" * (size - 8)


def with_entries(entries: list[tuple[bytes, bytes]], changes: dict[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    """``entries`` with each id in ``changes`` set once (replaced in place, or appended)."""
    out: list[tuple[bytes, bytes]] = []
    for cid, raw in entries:
        if cid in changes:
            if cid not in (c for c, _ in out):
                out.append((cid, changes[cid]))
        else:
            out.append((cid, raw))
    out += [(cid, text) for cid, text in changes.items() if cid not in (c for c, _ in out)]
    return out


def write_info(src: Path, dst: Path, changes: dict[bytes, bytes]) -> None:
    """Copy ``src`` to ``dst`` with INFO entries set; media chunks copied byte for byte."""
    layout = load(src)
    new = _info_list(with_entries(layout.info, changes))
    body = layout.body
    movi = next(i for i, c in enumerate(body) if c.form == b"movi")
    old = next((i for i, c in enumerate(body[:movi]) if c.id == b"LIST" and c.form == b"INFO"), None)
    junk = [i for i, c in enumerate(body[:movi]) if c.id == b"JUNK"]
    # (first chunk replaced, chunks replaced, bytes available) for each way of writing in front of movi
    options = []
    if old is not None:
        options.append((old, 1, body[old].end - body[old].offset))
        if old + 1 < movi and body[old + 1].id == b"JUNK":
            options.append((old, 2, body[old + 1].end - body[old].offset))
    options += [(i, 1, body[i].end - body[i].offset) for i in junk]
    riff = layout.riffs[0]
    with open(src, "rb") as handle, open(dst, "wb") as out:
        for first, count, room in options:
            if room == len(new) or room - len(new) >= 8:
                if old is not None and first != old:  # the old INFO list becomes padding
                    replaced = {old: _junk(body[old].end - body[old].offset)}
                else:
                    replaced = {}
                replaced[first] = new + (_junk(room - len(new)) if room > len(new) else b"")
                skip = set(range(first + 1, first + count))
                copy_range(handle, out, 0, 12)
                for i, chunk in enumerate(body):
                    if i in replaced:
                        out.write(replaced[i])
                    elif i not in skip:
                        copy_range(handle, out, chunk.offset, chunk.end - chunk.offset)
                copy_range(handle, out, riff.end, layout.riffs[-1].end - riff.end)
                return
        if len(layout.riffs) > 1:
            raise UnsupportedError(
                "this OpenDML AVI (several RIFF chunks) has no free JUNK space before its media for the label; re-mux it with ffmpeg first",
                src,
            )
        # at the end of RIFF AVI: nothing before it moves (an old INFO list becomes padding)
        size = 4 + sum(c.end - c.offset for c in body) + len(new)
        out.write(struct.pack("<4sI4s", b"RIFF", size, b"AVI "))
        for i, chunk in enumerate(body):
            if i == old:
                out.write(_junk(chunk.end - chunk.offset))
            else:
                copy_range(handle, out, chunk.offset, chunk.end - chunk.offset)
        out.write(new)
