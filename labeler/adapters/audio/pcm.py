"""WAV ``fmt `` chunk and PCM sample codecs (no audio library involved, so nothing is lost)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import InputError
from ...lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

PCM_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
#: (format tag, bits per sample) -> numpy dtype of one stored sample ("i3" = packed 24-bit).
SAMPLE_TYPES = {(1, 8): "u1", (1, 16): "<i2", (1, 24): "i3", (1, 32): "<i4", (3, 32): "<f4", (3, 64): "<f8"}


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
