"""A minimal one-track MP4 writer: the spliced video stream of a smart render, for ffmpeg to remux.

ffmpeg's command line cannot put packets of two inputs into one output stream, so the spliced
stream (re-encoded packets, then the source's copied packets) is written here, with exactly the
timestamps ffmpeg reported for the source: decode times in ``stts``, composition offsets in
``ctts`` and an edit list that maps the media time back (``media_time`` = the first frame's media
presentation time, after an empty edit as long as the first frame's presentation time, which is
how ffmpeg itself writes a stream that starts late). The sample entry carries the
decoder configuration given (an ``avcC`` with the source's and the segment's parameter sets, or
the source's ``hvcC``), the sample aspect ratio (``pasp``) and the colour description (``colr``),
so the remux that follows reads the same stream properties as from the source.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from ...containers.isobmff import box

#: ffprobe's colour names -> ISO/IEC 23091-2 code points (``colr`` nclx); 2 = unspecified.
PRIMARIES = {"bt709": 1, "bt470m": 4, "bt470bg": 5, "smpte170m": 6, "smpte240m": 7, "film": 8, "bt2020": 9,
             "smpte428": 10, "smpte431": 11, "smpte432": 12}  # fmt: skip
TRANSFERS = {"bt709": 1, "gamma22": 4, "gamma28": 5, "smpte170m": 6, "smpte240m": 7, "linear": 8, "log100": 9,
             "log316": 10, "iec61966-2-4": 11, "bt1361e": 12, "iec61966-2-1": 13, "bt2020-10": 14, "bt2020-12": 15,
             "smpte2084": 16, "smpte428": 17, "arib-std-b67": 18}  # fmt: skip
MATRICES = {"gbr": 0, "bt709": 1, "fcc": 4, "bt470bg": 5, "smpte170m": 6, "smpte240m": 7, "ycgco": 8, "bt2020nc": 9, "bt2020c": 10}
_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


@dataclass(frozen=True)
class Sample:
    pts: int
    dts: int
    size: int
    key: bool
    source: Path  # file holding the payload
    offset: int
    data: bytes | None = None  # replaces the payload read from ``source`` (a rewritten NAL header)


@dataclass(frozen=True)
class Entry:
    """The sample entry: ``avc1``, ``hvc1`` or ``hev1`` with its decoder configuration."""

    kind: bytes  # b"avc1" | b"hvc1" | b"hev1"
    config: bytes  # avcC / hvcC payload
    width: int
    height: int
    sar: Fraction
    colour: dict[str, str]

    def to_bytes(self) -> bytes:
        fields = bytes(6) + struct.pack(">H", 1) + bytes(16) + struct.pack(">HHIIIH", self.width, self.height, 0x480000, 0x480000, 0, 1)
        fields += bytes(32) + struct.pack(">Hh", 0x18, -1)
        children = box(b"avcC" if self.kind == b"avc1" else b"hvcC", self.config)
        if self.sar != 1:
            children += box(b"pasp", struct.pack(">II", self.sar.numerator, self.sar.denominator))
        if any(k in self.colour for k in ("color_primaries", "color_transfer", "color_space")):
            codes = (
                PRIMARIES.get(self.colour.get("color_primaries", ""), 2),
                TRANSFERS.get(self.colour.get("color_transfer", ""), 2),
                MATRICES.get(self.colour.get("color_space", ""), 2),
            )
            full = 0x80 if self.colour.get("color_range") == "pc" else 0
            children += box(b"colr", b"nclx" + struct.pack(">HHHB", *codes, full))
        return box(self.kind, fields + children)


def _full(kind: bytes, version: int, body: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + body)


def _runs(values: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and runs[-1][1] == value:
            runs[-1] = (runs[-1][0] + 1, value)
        else:
            runs.append((1, value))
    return runs


def _table(kind: bytes, rows: Sequence[tuple[int, ...]], fmt: str, version: int = 0) -> bytes:
    return _full(kind, version, struct.pack(">I", len(rows)) + b"".join(struct.pack(fmt, *r) for r in rows))


def _stbl(entry: Entry, samples: Sequence[Sample], last_duration: int, mdat_data: int) -> bytes:
    dts = [s.dts for s in samples]
    durations = [b - a for a, b in itertools.pairwise(dts)] + [last_duration]
    offsets = [s.pts - s.dts for s in samples]
    chunk_offsets, pos = [], mdat_data
    for sample in samples:
        chunk_offsets.append(pos)
        pos += sample.size
    parts = [
        _full(b"stsd", 0, struct.pack(">I", 1) + entry.to_bytes()),
        _table(b"stts", _runs(durations), ">II"),
        _table(b"ctts", _runs(offsets), ">II"),
        _table(b"stss", [(i + 1,) for i, s in enumerate(samples) if s.key], ">I"),
        _full(b"stsz", 0, struct.pack(">II", 0, len(samples)) + b"".join(struct.pack(">I", s.size) for s in samples)),
        _table(b"stsc", [(1, 1, 1)], ">III"),  # one sample per chunk: every chunk offset below is exact
        _table(b"co64", [(o,) for o in chunk_offsets], ">Q"),
    ]
    return box(b"stbl", b"".join(parts))


def _moov(entry: Entry, samples: Sequence[Sample], timescale: int, last_duration: int, mdat_data: int) -> bytes:
    first = samples[0].dts  # media time 0
    empty = min(s.pts for s in samples)  # the first frame shows this late (ffmpeg reads it back from an empty edit)
    if empty < 0:
        raise ValueError("the video starts at a negative presentation time")
    media_time = empty - first
    media_end = max(s.pts - first for s in samples) + last_duration
    media_duration = samples[-1].dts - first + last_duration
    shown = media_end - media_time
    total = empty + shown
    edits = ([(empty, -1)] if empty else []) + [(shown, media_time)]
    elst = _full(b"elst", 1, struct.pack(">I", len(edits)) + b"".join(struct.pack(">Qqhh", d, t, 1, 0) for d, t in edits))
    mvhd = _full(
        b"mvhd",
        1,
        struct.pack(">QQIQ", 0, 0, timescale, total)
        + struct.pack(">IH", 0x10000, 0x100)
        + bytes(10)
        + _MATRIX
        + bytes(24)
        + struct.pack(">I", 2),
    )
    tkhd = box(b"tkhd", bytes([1, 0, 0, 3]) + struct.pack(">QQIIQ", 0, 0, 1, 0, total) + bytes(8) + struct.pack(">hhhH", 0, 0, 0, 0)
               + _MATRIX + struct.pack(">II", round(entry.width * entry.sar) << 16, entry.height << 16))  # fmt: skip
    mdhd = _full(b"mdhd", 1, struct.pack(">QQIQ", 0, 0, timescale, media_duration) + struct.pack(">HH", 0x55C4, 0))
    hdlr = _full(b"hdlr", 0, bytes(4) + b"vide" + bytes(12) + b"VideoHandler\x00")
    dinf = box(b"dinf", _full(b"dref", 0, struct.pack(">I", 1) + box(b"url ", bytes([0, 0, 0, 1]))))
    minf = box(b"minf", box(b"vmhd", bytes([0, 0, 0, 1]) + bytes(8)) + dinf + _stbl(entry, samples, last_duration, mdat_data))
    trak = box(b"trak", tkhd + box(b"edts", elst) + box(b"mdia", mdhd + hdlr + minf))
    return box(b"moov", mvhd + trak)


def write(dst: Path, entry: Entry, samples: Sequence[Sample], timescale: int, last_duration: int) -> None:
    """``dst``: ftyp, a 64-bit ``mdat`` with every payload in decode order, then ``moov``."""
    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    payload = sum(s.size for s in samples)
    header = struct.pack(">I4sQ", 1, b"mdat", 16 + payload)
    handles: dict[Path, BinaryIO] = {}
    with open(dst, "wb") as out:
        out.write(ftyp + header)
        try:
            for sample in samples:
                if sample.data is not None:
                    out.write(sample.data)
                    continue
                if sample.source not in handles:
                    handles[sample.source] = open(sample.source, "rb")  # noqa: SIM115 - closed below
                handle = handles[sample.source]
                handle.seek(sample.offset)
                chunk = handle.read(sample.size)
                if len(chunk) != sample.size:
                    raise OSError(f"{sample.source} ended early")
                out.write(chunk)
        finally:
            for handle in handles.values():
                handle.close()
        out.write(_moov(entry, samples, timescale, last_duration, len(ftyp) + len(header)))
