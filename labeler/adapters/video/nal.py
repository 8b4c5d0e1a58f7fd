"""H.264 / HEVC bitstream facts that smart rendering needs, read from length-prefixed packets.

Packets as MP4 and Matroska store them: NAL units behind a 1-4 byte big-endian length (the size
comes from the decoder configuration record). Only headers are read: the NAL unit type of each
unit, and in an H.264 parameter set its id (an Exp-Golomb number a few bytes in, read after
removing emulation-prevention bytes). The decoder configuration records (``avcC``, ``hvcC``,
ISO/IEC 14496-15) are parsed into their parameter sets and, for ``avcC``, rebuilt with more of
them: a re-encoded segment's SPS/PPS under new ids travel beside the source's in one record.
"""

from __future__ import annotations

from dataclasses import dataclass

# H.264 (ITU-T H.264 table 7-1)
AVC_IDR = 5
AVC_SPS = 7
AVC_PPS = 8
AVC_MAX_SPS_ID = 31
# HEVC (ITU-T H.265 table 7-1)
HEVC_BLA_W_LP, HEVC_BLA_N_LP = 16, 18
HEVC_IDR_W_RADL, HEVC_IDR_N_LP = 19, 20
HEVC_CRA = 21
HEVC_IRAP = range(16, 24)
HEVC_VPS, HEVC_SPS, HEVC_PPS = 32, 33, 34
HEVC_PREFIX_SEI = 39
HEVC_PARAMETER_SETS = (HEVC_VPS, HEVC_SPS, HEVC_PPS)


class BitstreamError(ValueError):
    """The bytes are not what the decoder configuration says (truncated or corrupt)."""


def units(packet: bytes, length_size: int) -> list[bytes]:
    """The NAL units of a length-prefixed packet."""
    found: list[bytes] = []
    pos = 0
    while pos < len(packet):
        if pos + length_size > len(packet):
            raise BitstreamError("a NAL unit length runs past the packet")
        size = int.from_bytes(packet[pos : pos + length_size], "big")
        pos += length_size
        if size == 0 or pos + size > len(packet):
            raise BitstreamError("a NAL unit runs past the packet")
        found.append(packet[pos : pos + size])
        pos += size
    return found


def join(nals: list[bytes], length_size: int) -> bytes:
    return b"".join(len(n).to_bytes(length_size, "big") + n for n in nals)


def avc_type(nal: bytes) -> int:
    return nal[0] & 0x1F


def hevc_type(nal: bytes) -> int:
    return (nal[0] >> 1) & 0x3F


def with_hevc_type(nal: bytes, kind: int) -> bytes:
    """``nal`` with its type replaced (the other header bits kept); CRA and BLA slices share one syntax."""
    return bytes([(nal[0] & 0x81) | (kind << 1)]) + nal[1:]


def _rbsp(data: bytes) -> bytes:
    """``data`` without emulation-prevention bytes (00 00 03 -> 00 00)."""
    out = bytearray()
    zeros = 0
    for byte in data:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def bit(self) -> int:
        if self.pos >= len(self.data) * 8:
            raise BitstreamError("a parameter set ends early")
        value = (self.data[self.pos // 8] >> (7 - self.pos % 8)) & 1
        self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while not self.bit():
            zeros += 1
            if zeros > 31:
                raise BitstreamError("an Exp-Golomb number is too long")
        return (1 << zeros) - 1 + sum(self.bit() << (zeros - 1 - i) for i in range(zeros))


def avc_sps_id(nal: bytes) -> int:
    """seq_parameter_set_id: after the header, profile_idc, the constraint flags and level_idc."""
    return _Bits(_rbsp(nal[4:16])).ue()


def avc_pps_ids(nal: bytes) -> tuple[int, int]:
    """(pic_parameter_set_id, seq_parameter_set_id) of a PPS."""
    bits = _Bits(_rbsp(nal[1:16]))
    return bits.ue(), bits.ue()


@dataclass(frozen=True)
class AvcConfig:
    """An ``AVCDecoderConfigurationRecord``: its parameter sets and the bytes around them."""

    head: bytes  # version, profile, compatibility, level, length size (5 bytes)
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    tail: bytes  # the High-profile extension (chroma format, bit depths, SPS extensions), kept as is

    @property
    def length_size(self) -> int:
        return (self.head[4] & 3) + 1

    @property
    def parameter_sets(self) -> tuple[bytes, ...]:
        return self.sps + self.pps

    def used_ids(self) -> set[int]:
        return {avc_sps_id(s) for s in self.sps} | {i for p in self.pps for i in avc_pps_ids(p)}

    def with_sets(self, sps: tuple[bytes, ...], pps: tuple[bytes, ...]) -> AvcConfig:
        return AvcConfig(self.head, self.sps + sps, self.pps + pps, self.tail)

    def to_bytes(self) -> bytes:
        if len(self.sps) > 31 or len(self.pps) > 255:
            raise BitstreamError("too many parameter sets for one avcC")
        body = bytearray(self.head)
        body.append(0xE0 | len(self.sps))
        body += b"".join(len(s).to_bytes(2, "big") + s for s in self.sps)
        body.append(len(self.pps))
        body += b"".join(len(p).to_bytes(2, "big") + p for p in self.pps)
        return bytes(body) + self.tail


def _sets(data: bytes, pos: int, count: int) -> tuple[tuple[bytes, ...], int]:
    found = []
    for _ in range(count):
        if pos + 2 > len(data):
            raise BitstreamError("the decoder configuration is cut")
        size = int.from_bytes(data[pos : pos + 2], "big")
        if size == 0 or pos + 2 + size > len(data):
            raise BitstreamError("a parameter set runs past the decoder configuration")
        found.append(data[pos + 2 : pos + 2 + size])
        pos += 2 + size
    return tuple(found), pos


def parse_avcc(data: bytes) -> AvcConfig:
    if len(data) < 7 or data[0] != 1:
        raise BitstreamError("not an avcC record (H.264 in Annex B form or no decoder configuration)")
    sps, pos = _sets(data, 6, data[5] & 0x1F)
    if pos >= len(data):
        raise BitstreamError("the avcC record is cut")
    pps, pos = _sets(data, pos + 1, data[pos])
    return AvcConfig(data[:5], sps, pps, data[pos:])


@dataclass(frozen=True)
class HevcConfig:
    """An ``HEVCDecoderConfigurationRecord``: its NAL unit arrays (type -> units)."""

    length_size: int
    arrays: tuple[tuple[int, tuple[bytes, ...]], ...]

    @property
    def parameter_sets(self) -> tuple[bytes, ...]:
        return tuple(n for kind, nals in self.arrays if kind in HEVC_PARAMETER_SETS for n in nals)


def parse_hvcc(data: bytes) -> HevcConfig:
    if len(data) < 23 or data[0] != 1:
        raise BitstreamError("not an hvcC record")
    arrays = []
    pos = 23
    for _ in range(data[22]):
        if pos + 3 > len(data):
            raise BitstreamError("the hvcC record is cut")
        kind, count = data[pos] & 0x3F, int.from_bytes(data[pos + 1 : pos + 3], "big")
        nals, pos = _sets(data, pos + 3, count)
        arrays.append((kind, nals))
    return HevcConfig((data[21] & 3) + 1, tuple(arrays))
