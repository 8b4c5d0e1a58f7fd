"""RIFF and IFF chunks: one walker for WAV, AVI and WebP (RIFF, little-endian sizes) and AIFF
(IFF ``FORM``, big-endian sizes), as mutagen's ``_riff`` and ``_iff`` share one layout.

A chunk is a 4-byte id, a 32-bit payload size and the payload, followed by one pad byte when the
size is odd. ``RIFF``/``LIST``/``FORM`` chunks start their payload with a 4-byte form type.

Only headers are read while walking: a ``data`` or ``movi`` chunk of gigabytes costs a seek. A chunk
claiming more bytes than its parent holds is refused with a clear ``InputError`` (``strict``) or
clipped to what is there (``strict=False``, for lists whose damage must not stop the copy of the
rest); a missing final pad byte is tolerated, as every reader does. At most ``MAX_CHUNKS`` chunks
are read at one level, so a hostile file of tiny chunks cannot make a walk run for ever.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError

MAX_CHUNKS = 100_000
HEADER = 8
#: Chunks whose payload starts with a 4-byte form (list) type.
GROUPS = frozenset({b"RIFF", b"LIST", b"FORM", b"CAT ", b"PROP"})


@dataclass(frozen=True)
class Dialect:
    """The byte order of chunk sizes: RIFF is little-endian, IFF (``FORM``) big-endian."""

    name: str
    size_format: str

    def size(self, raw: bytes) -> int:
        value: int = struct.unpack(self.size_format, raw)[0]
        return value

    def chunk(self, chunk_id: bytes, payload: bytes) -> bytes:
        """A whole chunk: header, payload and the pad byte an odd size needs."""
        return chunk_id + struct.pack(self.size_format, len(payload)) + payload + (b"\x00" if len(payload) & 1 else b"")


RIFF = Dialect("RIFF", "<I")
IFF = Dialect("IFF", ">I")


@dataclass(frozen=True)
class Chunk:
    id: bytes
    offset: int  # of the 8-byte header
    size: int  # payload bytes, without the pad byte
    form: bytes = b""  # form/list type of a RIFF/LIST/FORM chunk

    @property
    def data_offset(self) -> int:
        return self.offset + HEADER

    @property
    def data_end(self) -> int:
        return self.data_offset + self.size

    @property
    def end(self) -> int:
        """Past the pad byte."""
        return self.data_end + (self.size & 1)

    def payload(self, data: bytes) -> bytes:
        """The payload, from the whole file in memory."""
        return data[self.data_offset : self.data_end]

    def whole(self, data: bytes, limit: int) -> bytes:
        """Header, payload and pad byte from the file in memory; a pad byte missing before ``limit``
        (the end of the parent) is added, so the chunk can be followed by another."""
        return data[self.offset : min(self.end, limit)] + b"\x00" * max(0, self.end - limit)


def header(head: bytes, dialect: Dialect = RIFF) -> tuple[bytes, int, bytes]:
    """(id, declared payload size, form type) of the chunk whose header starts ``head`` (>= 12 bytes)."""
    return head[:4], dialect.size(head[4:8]), head[8:12]


def walk(
    handle: BinaryIO,
    start: int,
    end: int,
    dialect: Dialect = RIFF,
    *,
    what: str = "RIFF",
    hint: str = "re-export the file",
    path: Path | None = None,
    strict: bool = True,
) -> list[Chunk]:
    """The chunks between ``start`` and ``end`` (one level; fewer than 8 bytes left are ignored)."""
    out: list[Chunk] = []
    offset = start
    while offset + HEADER <= end:
        handle.seek(offset)
        head = handle.read(12)
        chunk_id, size = head[:4], dialect.size(head[4:8])
        if offset + HEADER + size > end:
            if strict:
                raise InputError(
                    f"{what} chunk {chunk_id!r} at byte {offset} claims {size} bytes but only {end - offset - HEADER} remain "
                    f"(the file is truncated or corrupt); {hint}",
                    path,
                )
            size = end - offset - HEADER
        out.append(Chunk(chunk_id, offset, size, head[8:12] if chunk_id in GROUPS and size >= 4 else b""))
        if len(out) > MAX_CHUNKS:
            raise InputError(f"more than {MAX_CHUNKS} {what} chunks at one level (corrupt or hostile file); {hint}", path)
        offset += HEADER + size + (size & 1)
    return out


def read_payload(handle: BinaryIO, chunk: Chunk, limit: int, path: Path | None = None) -> bytes:
    """A metadata chunk's payload, refused over ``limit`` bytes (never read a hostile size into memory)."""
    if chunk.size > limit:
        raise InputError(f"metadata chunk {chunk.id!r} is {chunk.size} bytes, over the {limit} byte limit", path)
    handle.seek(chunk.data_offset)
    return handle.read(chunk.size)


def entries(payload: bytes, dialect: Dialect = RIFF) -> list[tuple[bytes, bytes]]:
    """The (id, data) pairs inside a LIST payload (after its 4-byte list type); a damaged last entry
    is clipped, never an error: the list is copied or rewritten, not trusted."""
    chunks = walk(io.BytesIO(payload), 4, len(payload), dialect, strict=False)
    return [(c.id, c.payload(payload)) for c in chunks]
