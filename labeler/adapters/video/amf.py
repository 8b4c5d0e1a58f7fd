"""FLV: read the string entries of the ``onMetaData`` script tag (AMF0), with size limits.

Only the first script-data tag is read (writers put ``onMetaData`` first); numbers, booleans and
nested objects are skipped, strings are returned. No ffmpeg needed to read a label.
"""

from __future__ import annotations

import struct
from pathlib import Path

from ...errors import InputError

MAX_SCRIPT = 4 * 1024 * 1024
MAX_DEPTH = 8
SCRIPT_TAG = 18
_FIXED = {0: 8, 1: 1, 5: 0, 6: 0, 11: 10}  # number, boolean, null, undefined, date


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise ValueError("AMF data ends early")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def value(self, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise ValueError("AMF nested too deep")
        kind = self.take(1)[0]
        if kind in _FIXED:
            self.take(_FIXED[kind])
            return None
        if kind == 2:
            return self.take(self.u16()).decode("utf-8", errors="replace")
        if kind == 12:
            return self.take(self.u32()).decode("utf-8", errors="replace")
        if kind in (3, 8):
            if kind == 8:
                self.u32()  # ECMA array count (advisory)
            return self.pairs(depth + 1)
        if kind == 10:
            return [self.value(depth + 1) for _ in range(self.u32())]
        raise ValueError(f"unsupported AMF0 type {kind}")

    def pairs(self, depth: int) -> dict[str, object]:
        out: dict[str, object] = {}
        while True:
            key = self.take(self.u16()).decode("utf-8", errors="replace")
            if not key and self.data[self.pos : self.pos + 1] == b"\x09":
                self.pos += 1
                return out
            out[key] = self.value(depth)


def keys(path: Path) -> list[str]:
    """Every key of ``onMetaData``, whatever its value type (empty when the file has none)."""
    return list(_entries(path))


def metadata(path: Path) -> dict[str, str]:
    """The string entries of ``onMetaData`` (empty when the file has none)."""
    return {k: v for k, v in _entries(path).items() if isinstance(v, str)}


def _entries(path: Path) -> dict[str, object]:
    with open(path, "rb") as handle:
        header = handle.read(9)
        if len(header) < 9 or header[:3] != b"FLV":
            raise InputError("not an FLV file (no FLV header)", path)
        handle.seek(struct.unpack(">I", header[5:9])[0] + 4)
        tag = handle.read(11)
        if len(tag) < 11 or tag[0] & 0x1F != SCRIPT_TAG:
            return {}
        size = int.from_bytes(tag[1:4], "big")
        if size > MAX_SCRIPT:
            raise InputError(f"the FLV script tag is {size} bytes, over the {MAX_SCRIPT} byte limit", path)
        data = handle.read(size)
    if len(data) < size:
        raise InputError("the FLV is truncated inside its onMetaData tag", path)
    reader = Reader(data)
    try:
        if reader.value() != "onMetaData":
            return {}
        entries = reader.value()
    except ValueError as exc:
        raise InputError(f"the FLV onMetaData tag is corrupt ({exc})", path) from exc
    return entries if isinstance(entries, dict) else {}
