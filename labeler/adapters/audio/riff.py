"""RIFF/WAVE chunk walking and PCM sample codecs (no audio library involved, so nothing is lost).

Every chunk of the source is copied byte for byte; only the chunk being written changes. A RIFF
size that disagrees with the file, or a chunk running past the end, is refused with a clear
``InputError`` instead of being guessed at: a guessed repair could silently drop audio.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ...errors import InputError
from ...label import MAX_CARRIER_BYTES
from ...lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

MAX_META_CHUNK = MAX_CARRIER_BYTES
REPAIR_HINT = "re-export it, or repair it with `ffmpeg -i IN.wav -c copy OUT.wav`"
PCM_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
#: (format tag, bits per sample) -> numpy dtype of one stored sample ("i3" = packed 24-bit).
SAMPLE_TYPES = {(1, 8): "u1", (1, 16): "<i2", (1, 24): "i3", (1, 32): "<i4", (3, 32): "<f4", (3, 64): "<f8"}


@dataclass(frozen=True)
class Chunk:
    id: bytes
    offset: int  # of the 8-byte header
    size: int  # payload bytes, without the pad byte

    @property
    def data_offset(self) -> int:
        return self.offset + 8

    @property
    def end(self) -> int:
        return self.data_offset + self.size + (self.size & 1)


@dataclass(frozen=True)
class Riff:
    form: bytes
    chunks: tuple[Chunk, ...]
    file_size: int

    def first(self, chunk_id: bytes) -> Chunk | None:
        return next((c for c in self.chunks if c.id == chunk_id), None)


def parse_riff(handle: BinaryIO, path: Path, file_size: int) -> Riff:
    head = handle.read(12)
    if len(head) < 12 or head[:4] != b"RIFF":
        raise InputError("not a RIFF/WAVE file (no 'RIFF' header)" if file_size else "the file is empty (0 bytes); re-export or re-download it", path)
    declared = struct.unpack("<I", head[4:8])[0]
    if abs(declared + 8 - file_size) > 1:  # one byte either way: a final pad byte missing or not counted
        state = "truncated" if declared + 8 > file_size else "followed by unknown bytes"
        raise InputError(f"the RIFF header says {declared + 8} bytes but the file has {file_size} (the file is {state}); {REPAIR_HINT}", path)
    chunks = []
    offset = 12
    while offset + 8 <= file_size:
        handle.seek(offset)
        header = handle.read(8)
        chunk_id, size = header[:4], struct.unpack("<I", header[4:])[0]
        if offset + 8 + size > file_size:
            raise InputError(f"chunk {chunk_id!r} at byte {offset} claims {size} bytes but only {file_size - offset - 8} remain (truncated); {REPAIR_HINT}", path)
        chunks.append(Chunk(chunk_id, offset, size))
        offset += 8 + size + (size & 1)
    return Riff(head[8:12], tuple(chunks), file_size)


def read_payload(handle: BinaryIO, chunk: Chunk, path: Path, limit: int = MAX_META_CHUNK) -> bytes:
    if chunk.size > limit:
        raise InputError(f"metadata chunk {chunk.id!r} is {chunk.size} bytes, over the {limit} byte limit", path)
    handle.seek(chunk.data_offset)
    return handle.read(chunk.size)


def sub_chunks(payload: bytes) -> list[tuple[bytes, bytes]]:
    """The (id, data) pairs inside a LIST payload (after its 4-byte list type); tolerant of junk."""
    out = []
    offset = 4
    while offset + 8 <= len(payload):
        chunk_id, size = payload[offset : offset + 4], struct.unpack("<I", payload[offset + 4 : offset + 8])[0]
        out.append((chunk_id, payload[offset + 8 : offset + 8 + size]))
        offset += 8 + size + (size & 1)
    return out


def chunk_bytes(chunk_id: bytes, payload: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) & 1 else b"")


# --- PCM -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PcmFormat:
    tag: int  # 1 integer PCM, 3 IEEE float (WAVE_FORMAT_EXTENSIBLE resolved)
    channels: int
    sample_rate: int
    bits: int
    block_align: int

    @property
    def dtype(self) -> str | None:
        return SAMPLE_TYPES.get((self.tag, self.bits))

    def decode(self, raw: bytes) -> np.ndarray:
        """Stored bytes -> float64 (frames, channels) in [-1, 1]; exact for every supported type."""
        kind = self.dtype
        frames = len(raw) // self.block_align
        raw = raw[: frames * self.block_align]
        if kind == "i3":
            b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
            values = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8
            return (values / float(1 << 23)).reshape(frames, self.channels)
        data = np.frombuffer(raw, dtype=kind).reshape(frames, self.channels)
        if kind == "u1":
            return (data.astype(np.float64) - 128.0) / 128.0
        if kind in ("<f4", "<f8"):
            return data.astype(np.float64)
        return data / float(1 << (self.bits - 1))

    def encode(self, samples: np.ndarray) -> bytes:
        """float64 (frames, channels) -> stored bytes (clipped, rounded)."""
        kind = self.dtype
        if kind in ("<f4", "<f8"):
            return samples.astype(kind).tobytes()
        scale = float(1 << (self.bits - 1))
        ints = np.clip(np.round(samples * scale), -scale, scale - 1).astype(np.int64)
        if kind == "u1":
            return (ints + 128).astype(np.uint8).tobytes()
        if kind == "i3":
            flat = ints.reshape(-1).astype(np.int32)
            return np.stack([flat & 0xFF, (flat >> 8) & 0xFF, (flat >> 16) & 0xFF], axis=1).astype(np.uint8).tobytes()
        return ints.astype(kind).tobytes()


def parse_fmt(payload: bytes, path: Path) -> PcmFormat:
    if len(payload) < 16:
        raise InputError("the 'fmt ' chunk is shorter than 16 bytes (corrupt header)", path)
    tag, channels, rate, _, align, bits = struct.unpack("<HHIIHH", payload[:16])
    if tag == 0xFFFE and len(payload) >= 40 and payload[26:40] == PCM_GUID_TAIL:
        tag = struct.unpack("<H", payload[24:26])[0]
    if channels == 0 or align == 0 or rate == 0:
        raise InputError(f"the 'fmt ' chunk is invalid ({channels} channels, {rate} Hz, block align {align})", path)
    return PcmFormat(tag, channels, rate, bits, align)
