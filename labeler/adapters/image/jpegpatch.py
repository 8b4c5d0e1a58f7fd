"""JPEG notices without generational loss: only the MCUs under the notice are re-encoded.

The notice covers a few percent of a photo, so only the 8x8 blocks (MCUs) under it are decoded,
drawn on and quantised again with the source's own tables; every other block's DCT coefficients are
copied unchanged, so the rest of the image decodes identically and relabelling never degrades it.

How (libjpeg-turbo's tools, ``libjpeg-turbo-progs``), with what it costs on a 24 MP 4:2:0 JPEG of
4.4 MB (BENCHMARKS.md, "Images"; 2 cores at load ~20-25 while measured):

1. ``djpeg -crop`` decodes the pixels of the MCU-aligned region around the box (one MCU of context
   on each side, so chroma upsampling at its edges sees real neighbours): the other rows are only
   entropy-decoded, and nothing full-size is held (0.2 s, 2 MB).
2. The notice is composited there and that region alone is encoded by Pillow with the source's
   quantisation table for each component and its chroma subsampling.
3. ``jpegtran -drop +X+Y patch.jpg`` puts the patch's coefficients in place of the source's
   (0.35-0.6 s, 72 MB: libjpeg holds every coefficient, 2 bytes per sample, as much as the decoded
   RGB image at 4:2:0). The patch's tables equal the source's, so jpegtran neither requantises the
   patch nor (without ``-trim``) rescales the whole image to a common table; the output is checked
   for that anyway. Restart intervals (``-restart NB``), progressive mode (``-progressive``) and
   optimised Huffman tables (``-optimize`` when the source's are not the standard ones) are kept;
   every APPn/COM segment is put back from the source by ``jpeg.replace_headers`` (EXIF, ICC, XMP,
   IPTC, Adobe APP14, MPF) and an MPO's other images are copied after it (``mpf.relink``).

Options measured and not taken: PyPI ``jpeglib`` (read_dct/write_dct) took 0.9 s to read and 1.6 s
to write the coefficients and peaked at 241 MB in this process, against jpegtran's 72 MB in a
child. Patching the entropy-coded data ourselves would keep memory to a few MCU rows, but finding
an MCU's bit offset means Huffman-decoding every symbol before it (an estimated 5 million for 24 MP at
quality 88), seconds in Python; most files have no restart markers to jump between.

What goes the old way (whole image decoded and re-encoded with the same tables), with the reason
returned by ``route``: CMYK/YCCK and RGB-coded JPEGs (Pillow writes the patch in another colour
transform), 12-bit and arithmetic-coded ones, chroma sampling Pillow cannot write (4:1:1, 4:4:0),
and a machine without jpegtran/djpeg.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from ...errors import InputError
from . import encoders, jpeg, mpf
from .pixels import Placement, composite

TOOLS = ("jpegtran", "djpeg")
INSTALL_HINT = "apt-get install libjpeg-turbo-progs"
#: SOF markers of Huffman-coded DCT frames: baseline, extended, progressive.
_HUFFMAN_DCT = {0xC0: False, 0xC1: False, 0xC2: True}
_ARITHMETIC = frozenset({0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_LOSSLESS = frozenset({0xC3, 0xC7, 0xCB, 0xCF})
#: Luma sampling (h, v) with 1x1 chroma -> Pillow's ``subsampling`` value.
_PILLOW_SAMPLING = {(1, 1): 0, (2, 1): 1, (2, 2): 2}
_DQT, _DRI, _DHT = 0xDB, 0xDD, 0xC4
TOOL_SECONDS = 120
#: Exit codes of djpeg/jpegtran with a usable result: 2 = libjpeg warnings (corrupt data it decoded
#: past, as Pillow's decoder does on the old path).
_USABLE = (0, 2)


@dataclass(frozen=True)
class Component:
    ident: int
    h: int
    v: int
    table: int


@dataclass(frozen=True)
class Frame:
    """What the patch must match: the SOF, the quantisation tables, the restart interval."""

    marker: int
    precision: int
    width: int
    height: int
    components: tuple[Component, ...]
    tables: dict[int, tuple[int, ...]]  # quantisation tables by id, zig-zag order as stored
    restart: int  # MCUs per restart interval, 0 = none
    adobe_transform: int | None

    @property
    def progressive(self) -> bool:
        return self.marker == 0xC2

    @property
    def mcu(self) -> tuple[int, int]:
        """Pixels per MCU (iMCU for a single component)."""
        if len(self.components) == 1:
            return 8, 8
        return 8 * max(c.h for c in self.components), 8 * max(c.v for c in self.components)


def _tables(payload: bytes) -> dict[int, tuple[int, ...]]:
    found: dict[int, tuple[int, ...]] = {}
    pos = 0
    while pos < len(payload):
        precision, ident = payload[pos] >> 4, payload[pos] & 15
        size = 128 if precision else 64
        body = payload[pos + 1 : pos + 1 + size]
        if len(body) < size:
            raise InputError("the JPEG's quantisation table segment (DQT) is truncated; re-export the file")
        found[ident] = struct.unpack(">64H", body) if precision else tuple(body)
        pos += 1 + size
    return found


def huffman_tables(data: bytes) -> frozenset[bytes]:
    """Every Huffman table the file defines before its first scan (class/id byte, counts, symbols)."""
    found: set[bytes] = set()
    for segment in jpeg.segments(data):
        if segment.marker == jpeg.SOS:
            break
        if segment.marker == _DHT:
            payload, pos = segment.payload(data), 0
            while pos + 17 <= len(payload):
                end = pos + 17 + sum(payload[pos + 1 : pos + 17])
                found.add(payload[pos:end])
                pos = end
    return frozenset(found)


def frame_of(data: bytes) -> Frame | None:
    """The first frame's parameters, or None when the file has no frame header before its scan."""
    tables: dict[int, tuple[int, ...]] = {}
    restart = 0
    adobe: int | None = None
    sof: tuple[int, bytes] | None = None
    for segment in jpeg.segments(data):
        payload = segment.payload(data)
        if segment.marker == jpeg.SOS:
            break
        if segment.marker == _DQT:
            tables.update(_tables(payload))
        elif segment.marker == _DRI and len(payload) >= 2:
            restart = struct.unpack(">H", payload[:2])[0]
        elif jpeg.is_adobe(segment, data):
            adobe = data[segment.start + 4 + jpeg.ADOBE_TRANSFORM_AT]
        elif 0xC0 <= segment.marker <= 0xCF and segment.marker not in (0xC4, 0xC8, 0xCC) and sof is None:
            sof = (segment.marker, payload)
    if sof is None or len(sof[1]) < 6:
        return None
    marker, payload = sof
    precision, height, width, count = struct.unpack(">BHHB", payload[:6])
    if len(payload) < 6 + 3 * count:
        raise InputError("the JPEG's frame header (SOF) is truncated; re-export the file")
    components = tuple(
        Component(payload[at], payload[at + 1] >> 4, payload[at + 1] & 15, payload[at + 2]) for at in range(6, 6 + 3 * count, 3)
    )
    return Frame(marker, precision, width, height, components, tables, restart, adobe)


def tools_available() -> bool:
    return all(shutil.which(tool) is not None for tool in TOOLS)


def route(data: bytes) -> str | None:
    """Why this JPEG's notice cannot be patched in (the whole image is re-encoded then), or None."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed ({INSTALL_HINT})"
    frame = frame_of(data)
    if frame is None:
        return "no frame header before the image data"
    if frame.marker in _ARITHMETIC or frame.marker in _LOSSLESS or frame.marker not in _HUFFMAN_DCT:
        return f"a JPEG coding process (SOF 0x{frame.marker:02X}) other than Huffman baseline or progressive"
    if frame.precision != 8:
        return f"{frame.precision}-bit samples"
    ids = [c.ident for c in frame.components]
    if len(ids) not in (1, 3):
        return f"{len(ids)} components (CMYK/YCCK): Pillow writes the patch in another colour transform"
    if len(ids) == 3 and (frame.adobe_transform == 0 or bytes(ids) == b"RGB"):
        return "RGB-coded (not YCbCr) components: Pillow writes the patch as YCbCr"
    if any(c.table not in frame.tables for c in frame.components):
        return "a component names a quantisation table the file does not define"
    if len(ids) == 3:
        luma, *chroma = frame.components
        if any((c.h, c.v) != (1, 1) for c in chroma) or (luma.h, luma.v) not in _PILLOW_SAMPLING:
            sampling = " ".join(f"{c.h}x{c.v}" for c in frame.components)
            return f"chroma sampling {sampling}, which Pillow cannot write (it writes 4:4:4, 4:2:2 and 4:2:0)"
    return None


def _run(command: list[str], data: bytes, what: str) -> bytes:
    try:
        done = subprocess.run(command, input=data, capture_output=True, check=False, timeout=TOOL_SECONDS)
    except subprocess.TimeoutExpired as exc:
        raise InputError(f"{what} did not finish within {TOOL_SECONDS} s; re-export the file") from exc
    if done.returncode not in _USABLE or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"{what} failed ({message[-1] if message else f'exit code {done.returncode}'}); re-export the file")
    return done.stdout


def _aligned(box: tuple[int, int, int, int], mcu: tuple[int, int], size: tuple[int, int], grow: int) -> tuple[int, int, int, int]:
    """``box`` widened to MCU boundaries (plus ``grow`` MCUs each side), clipped to the image."""
    (mw, mh), (width, height) = mcu, size
    x0, y0, x1, y1 = box
    return (
        max(0, (x0 // mw - grow) * mw),
        max(0, (y0 // mh - grow) * mh),
        min(width, (-(-x1 // mw) + grow) * mw),
        min(height, (-(-y1 // mh) + grow) * mh),
    )


def _qtables(frame: Frame) -> list[list[int]]:
    """One table per component in Pillow's order (natural 8x8), so component i is quantised by table i."""
    return [list(_natural(frame.tables[c.table])) for c in frame.components]


_ZIGZAG = (
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
    54, 47, 55, 62, 63,
)  # fmt: skip


def _natural(zigzag: tuple[int, ...]) -> tuple[int, ...]:
    out = [0] * 64
    for index, value in enumerate(zigzag):
        out[_ZIGZAG[index]] = value
    return tuple(out)


def _patch(frame: Frame, primary: bytes, placement: Placement) -> tuple[bytes, tuple[int, int]]:
    """The re-encoded MCUs under the notice, as a JPEG, and where they go (pixels, MCU-aligned)."""
    size = (frame.width, frame.height)
    inner = _aligned(placement.box, frame.mcu, size, 0)
    outer = _aligned(placement.box, frame.mcu, size, 1)
    width, height = outer[2] - outer[0], outer[3] - outer[1]
    decoded = _run(["djpeg", "-crop", f"{width}x{height}+{outer[0]}+{outer[1]}"], primary, "djpeg (decoding the notice's blocks)")
    with Image.open(io.BytesIO(decoded)) as image:
        if image.width < width or image.height < height:
            raise InputError(
                f"djpeg decoded {image.width}x{image.height} pixels of the notice's blocks, not {width}x{height}; re-export the file"
            )
        region = image.crop((0, 0, width, height)) if image.size != (width, height) else image.copy()
    box = placement.box
    shifted = replace(placement, box=(box[0] - outer[0], box[1] - outer[1], box[2] - outer[0], box[3] - outer[1]))
    drawn = composite(region, shifted, in_place=True)
    patch = drawn.crop((inner[0] - outer[0], inner[1] - outer[1], inner[2] - outer[0], inner[3] - outer[1]))
    options: dict[str, object] = {"qtables": _qtables(frame), "optimize": False}
    if len(frame.components) == 3:
        luma = frame.components[0]
        options["subsampling"] = _PILLOW_SAMPLING[(luma.h, luma.v)]
    buffer = io.BytesIO()
    patch.save(buffer, "JPEG", **options)
    return buffer.getvalue(), (inner[0], inner[1])


def _same_coding(before: Frame, after: Frame | None) -> str | None:
    """Why the output's frame differs from the source's (tables, sampling, size), or None."""
    if after is None:
        return "jpegtran wrote no frame header"
    if (after.width, after.height) != (before.width, before.height):
        return f"size {after.width}x{after.height}, not {before.width}x{before.height}"
    for old, new in zip(before.components, after.components, strict=False):
        if (old.h, old.v) != (new.h, new.v) or before.tables[old.table] != after.tables.get(new.table):
            return f"component {old.ident}'s sampling or quantisation table changed"
    if len(before.components) != len(after.components):
        return "the number of components changed"
    return None if after.restart == before.restart else f"restart interval {after.restart}, not {before.restart}"


def draw(original: bytes, placement: Placement, packet: bytes) -> bytes:
    """``original`` with the notice drawn into the MCUs under ``placement.box`` only; its other
    blocks' coefficients, every APPn/COM segment (XMP replaced by ``packet``) and an MPO's other
    images kept. Call when ``route(original)`` is None."""
    frame = frame_of(original)
    if frame is None:
        raise InputError("the JPEG has no frame header before its image data; re-export the file")
    tail = mpf.tail(original)
    primary = original[: len(original) - len(tail)]
    patch, (x, y) = _patch(frame, primary, placement)
    command = ["jpegtran", "-copy", "none"]
    if frame.progressive:
        command.append("-progressive")  # progressive output always has optimised Huffman tables
    elif not huffman_tables(primary) <= huffman_tables(patch):
        command.append("-optimize")  # the source's own (optimised) tables, not the standard ones the patch has
    if frame.restart:
        command += ["-restart", f"{frame.restart}B"]
    with tempfile.TemporaryDirectory(prefix="labeler-jpegpatch-") as folder:
        drop = Path(folder) / "patch.jpg"
        drop.write_bytes(patch)
        encoded = _run([*command, "-drop", f"+{x}+{y}", str(drop)], primary, "jpegtran (putting the notice's blocks in)")
    why = _same_coding(frame, frame_of(encoded))
    if why is not None:
        raise InputError(f"jpegtran changed the image's coding ({why}); nothing was written")
    return mpf.relink(original, jpeg.replace_headers(encoded, primary, packet) + tail)


def explain(data: bytes) -> str:
    """How the notice goes into this JPEG, for the labelling plan."""
    why = route(data)
    if why is None:
        return "only the 8x8 blocks under it re-encoded, every other block's coefficients copied"
    return f"whole image re-encoded with its own tables: {why}"


def encode_jpeg(image: Image.Image, placement: Placement, original: bytes, packet: bytes) -> bytes:
    """The JPEG container's encoder: MCU patch when ``route`` allows, the whole-image re-encode otherwise."""
    if route(original) is None:
        return draw(original, placement, packet)
    return encoders.encode_jpeg(image, placement, original, packet)
