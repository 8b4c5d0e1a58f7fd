"""Camera raw files: which are TIFF structures (label them in IFD 0, never draw on them) and which
are not (refuse them, naming the format).

A raw file holds sensor data (a colour filter array) that no viewer shows as such; a visible notice
would mean developing it into an RGB picture and throwing the raw data away. So a raw file takes the
implicit label only: XMP in tag 700 of IFD 0, written by ``tiffdir.with_xmp`` without moving a byte
of strips, tiles, sub-IFDs or maker notes (every offset in the file stays valid).
"""

from __future__ import annotations

import struct

from ...errors import InputError
from . import tiffdir

TAG_COMPRESSION = 259
TAG_PHOTOMETRIC = 262
TAG_SUB_IFDS = 330
TAG_DNG_VERSION = 50706
#: PhotometricInterpretation values that only raw sensor data uses: CFA, LinearRaw.
RAW_PHOTOMETRIC = frozenset({32803, 34892})
#: Compression schemes only camera raw data uses: Sony ARW, packed raw (Epson), Samsung SRW (two),
#: Panasonic, Nikon NEF, Kodak DCR, Pentax PEF.
RAW_COMPRESSION = frozenset({32767, 32769, 32770, 32772, 34316, 34713, 65000, 65535})
MAX_IFDS = 64
#: Extensions of TIFF-structured raw formats (the content decides; these only name the format).
TIFF_RAW_EXTENSIONS = ("dng", "cr2", "nef", "nrw", "arw", "srf", "sr2", "pef", "srw", "3fr", "erf", "kdc", "dcr", "mef", "mos")
#: Non-TIFF raw containers: (offset, magic, name). Refused: labeler has no carrier writer for them.
FOREIGN_RAW = (
    (4, b"ftypcrx ", "Canon CR3"),
    (0, b"FUJIFILMCCD-RAW", "Fujifilm RAF"),
    (0, b"IIRO", "Olympus ORF"),
    (0, b"IIRS", "Olympus ORF"),
    (0, b"MMOR", "Olympus ORF"),
    (0, b"IIU\0", "Panasonic RW2"),
    (6, b"HEAPCCDR", "Canon CRW"),
    (0, b"FOVb", "Sigma X3F"),
    (0, b"\0MRM", "Minolta MRW"),
    (0, b"ARRI\x12\x34\x56\x78", "ARRI raw"),
)


def foreign_raw(head: bytes) -> str | None:
    """The name of a raw format that is not a TIFF structure, or None."""
    return next((name for at, magic, name in FOREIGN_RAW if head[at : at + len(magic)] == magic), None)


def refusal(head: bytes) -> str | None:
    """Why a non-TIFF raw file is refused (for the "unsupported" reason), or None."""
    name = foreign_raw(head)
    if name is None:
        return None
    return (
        f"{name} is a camera raw format labeler cannot write a label into without risking the raw data; "
        "label the developed image (JPEG, TIFF, PNG...) or convert the raw file to DNG (Adobe DNG Converter), which labeler labels"
    )


def _ifds(data: bytes) -> list[tiffdir.Ifd]:
    """IFD 0, the chain after it and every SubIFD (bounded, cycle-safe)."""
    order, first = tiffdir.first_ifd(data)
    seen: set[int] = set()
    todo, found = [first.offset], list[tiffdir.Ifd]()
    while todo and len(found) < MAX_IFDS:
        offset = todo.pop()
        if offset in seen or not 8 <= offset < len(data):
            continue
        seen.add(offset)
        try:
            ifd = tiffdir.read_ifd(data, offset, order)
        except (InputError, struct.error):
            continue
        found.append(ifd)
        todo.append(ifd.next_offset)
        sub = ifd.get(TAG_SUB_IFDS)
        if sub is not None and sub.type in (4, 13) and len(sub.value) == 4 * sub.count:
            todo += struct.unpack(f"{order}{sub.count}I", sub.value)
    return found


def _short(entry: tiffdir.Entry | None, order: str) -> int | None:
    if entry is None or entry.type not in (3, 4) or len(entry.value) < 2:
        return None
    return int(struct.unpack(order + ("H" if entry.type == 3 else "I"), entry.value[: 2 if entry.type == 3 else 4])[0])


def tiff_raw_kind(data: bytes) -> str | None:
    """For a TIFF structure: the raw format it holds ("DNG", "Canon CR2", "camera raw"), or None."""
    if data[8:11] == b"CR\x02":
        return "Canon CR2"
    try:
        order = tiffdir.byte_order(data)
        ifds = _ifds(data)
    except (InputError, struct.error):  # BigTIFF or no readable IFD 0: not a raw file labeler knows
        return None
    if ifds and ifds[0].get(TAG_DNG_VERSION) is not None:
        return "DNG"
    for ifd in ifds:
        if _short(ifd.get(TAG_PHOTOMETRIC), order) in RAW_PHOTOMETRIC or _short(ifd.get(TAG_COMPRESSION), order) in RAW_COMPRESSION:
            return "camera raw"
    return None


def notice_refusal(kind: str) -> str:
    return (
        f"this is a {kind} file: its sensor data cannot show a visible notice without being developed and re-encoded, "
        "which would destroy the raw data; label it with --no-explicit (the implicit label goes into IFD 0, raw data "
        "untouched) and put the visible notice on the developed image"
    )
