"""Camera raw files written by code for the raw tests: TIFF structures with an RGB preview in IFD 0,
a 16-bit colour-filter-array image in a SubIFD, an EXIF IFD with a Nikon-style maker note (its own
TIFF header, offsets relative to it), and for DNG the DNG tags LibRaw needs to decode it."""

from __future__ import annotations

import struct

import numpy as np

TYPES = {1: "B", 2: "s", 3: "H", 4: "I", 5: "II", 7: "s", 10: "ii", 13: "I"}


def _pack(order: str, kind: int, values) -> tuple[int, bytes]:
    if kind in (2, 7):
        raw = values if isinstance(values, bytes) else values.encode() + b"\0"
        return len(raw), raw
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    if kind in (5, 10):
        flat = [x for pair in values for x in pair]
        return len(values), struct.pack(order + TYPES[kind][0] * len(flat), *flat)
    return len(values), struct.pack(order + TYPES[kind] * len(values), *values)


def ifd_block(entries: list[tuple[int, int, object]], at: int, order: str = "<", next_ifd: int = 0) -> bytes:
    entries = sorted(entries, key=lambda e: e[0])
    head = struct.pack(order + "H", len(entries))
    extra = bytearray()
    base = at + 2 + 12 * len(entries) + 4
    for tag, kind, values in entries:
        count, raw = _pack(order, kind, values)
        if len(raw) <= 4:
            field = raw.ljust(4, b"\0")
        else:
            if (base + len(extra)) % 2:
                extra += b"\0"
            field = struct.pack(order + "I", base + len(extra))
            extra += raw
        head += struct.pack(order + "HHI", tag, kind, count) + field
    return head + struct.pack(order + "I", next_ifd) + bytes(extra)


def maker_note() -> bytes:
    """A Nikon type-3 maker note: "Nikon" header, then a big-endian TIFF of its own (ISO, quality)."""
    body = ifd_block([(0x0002, 3, [0, 200]), (0x0004, 2, "RAW    "), (0x0005, 2, "AUTO        ")], 8, ">")
    return b"Nikon\0\x02\x10\0\0" + b"MM\0\x2a\0\0\0\x08" + body


def raw_tiff(
    *, dng: bool = True, make: str = "TestCam", cr2: bool = False, compression: int = 1, seed: int = 1
) -> tuple[bytes, bytes, bytes]:
    """A little-endian TIFF: IFD 0 = 32x24 RGB preview, a SubIFD (CR2: the next IFD) = 64x48 16-bit CFA (RGGB).
    Returns (file, preview strip, raw strip)."""
    rng = np.random.default_rng(seed)
    preview = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8).tobytes()
    cfa = rng.integers(0, 4096, (48, 64), dtype="<u2").tobytes()
    header = 16 if cr2 else 8
    preview_at = header
    cfa_at = preview_at + len(preview)
    sub_at = cfa_at + len(cfa)
    sub = [
        (254, 4, 0),
        (256, 4, 64),
        (257, 4, 48),
        (258, 3, 16),
        (259, 3, compression),
        (262, 3, 32803),
        (273, 4, cfa_at),
        (277, 3, 1),
        (278, 4, 48),
        (279, 4, len(cfa)),
        (284, 3, 1),
        (33421, 3, [2, 2]),
        (33422, 1, [0, 1, 1, 2]),
    ]
    if dng:
        sub += [(50714, 4, 0), (50717, 4, 4095)]  # BlackLevel, WhiteLevel
    sub_block = ifd_block(sub, sub_at)
    exif_at = sub_at + len(sub_block) + (len(sub_block) % 2)
    exif_block = ifd_block([(33434, 5, [(1, 250)]), (34855, 3, 200), (37500, 7, maker_note())], exif_at)
    ifd0_at = exif_at + len(exif_block) + (len(exif_block) % 2)
    ifd0 = [
        (254, 4, 1),
        (256, 4, 32),
        (257, 4, 24),
        (258, 3, [8, 8, 8]),
        (259, 3, 1),
        (262, 3, 2),
        (271, 2, make),
        (272, 2, "Raw One"),
        (273, 4, preview_at),
        (277, 3, 3),
        (278, 4, 24),
        (279, 4, len(preview)),
        (284, 3, 1),
        (34665, 4, exif_at),
    ]
    if not cr2:  # CR2 chains its raw IFD after IFD 0 (the header points at it) instead of a SubIFD
        ifd0.append((330, 4, [sub_at]))
    if dng:
        ifd0 += [
            (50706, 1, [1, 4, 0, 0]),
            (50707, 1, [1, 1, 0, 0]),
            (50708, 2, f"{make} Raw One"),
            (50721, 10, [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)]),  # ColorMatrix1
            (50728, 5, [(1, 2), (1, 1), (1, 2)]),  # AsShotNeutral
            (50778, 3, 21),  # CalibrationIlluminant1 D65
            (50740, 1, list(b"TestCam private data\0")),  # DNGPrivateData (opaque)
        ]
    ifd0_block = ifd_block(ifd0, ifd0_at, next_ifd=sub_at if cr2 else 0)
    head = b"II*\0" + struct.pack("<I", ifd0_at) + (b"CR\x02\0" + struct.pack("<I", sub_at) if cr2 else b"")
    pad = b"\0" * (len(sub_block) % 2)
    data = head + preview + cfa + sub_block + pad + exif_block + b"\0" * (len(exif_block) % 2) + ifd0_block
    return data, preview, cfa
