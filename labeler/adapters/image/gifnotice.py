"""The notice drawn into a GIF frame by frame, keeping the file's structure.

Pillow's GIF writer coalesces frames, merges identical ones and drops per-frame disposal,
transparency and local palettes, so it is not used to write. Here every block is copied as it was
(extensions, comments, the loop count, graphic control blocks); only frames whose rectangle meets
the notice box are re-encoded, in their own palette, with the notice's two colours (found in the
palette, added to it, or put in an entry the frame does not use). A frame that does not cover the
notice while earlier disposal (2, "restore to background") cleared it gets its rectangle grown over
the notice, the added pixels transparent, so every displayed frame shows the notice. Frame count,
durations, disposal, transparency index and local palettes stay as they were.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import GifImagePlugin, Image

from ...errors import InputError, UnsupportedError
from ...lazy import lazy_module
from . import gif
from .pixels import Placement

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

BLACK, WHITE = (0, 0, 0), (255, 255, 255)
#: Luminance limits a stand-in colour must meet when a full palette has no free entry (the receipt
#: check wants ink >= 160 and box <= 120; a margin is kept).
DARK_MAX, LIGHT_MIN = 100, 180
_DISPOSE_BACKGROUND, _DISPOSE_PREVIOUS = 2, 3

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1


@dataclass(frozen=True)
class Frame:
    gce: int | None  # offset of its graphic control extension, if any
    start: int
    end: int
    rect: Rect
    flags: int
    palette: bytes | None  # local colour table
    lzw: bytes  # minimum code size + sub-blocks + terminator
    disposal: int
    transparent: int | None

    @property
    def size(self) -> tuple[int, int]:
        return self.rect[2] - self.rect[0], self.rect[3] - self.rect[1]


def _table(data: bytes, at: int, flags: int) -> tuple[bytes | None, int]:
    if not flags & 0x80:
        return None, at
    size = 3 * 2 ** ((flags & 7) + 1)
    if at + size > len(data):
        raise InputError("the GIF is truncated inside a colour table; re-export the file")
    return data[at : at + size], at + size


def frames_of(data: bytes) -> list[Frame]:
    """Every image block with the disposal method and transparency index of its control block."""
    found, gce = [], None
    for block in gif.blocks(data):
        if block.kind == "ext" and data[block.start + 1] == 0xF9 and data[block.start + 2] == 4:
            gce = block.start
        elif block.kind == "image":
            left, top, width, height, flags = struct.unpack_from("<HHHHB", data, block.start + 1)
            palette, at = _table(data, block.start + 10, flags)
            packed = data[gce + 3] if gce is not None else 0
            transparent = data[gce + 6] if gce is not None and packed & 1 else None
            rect = (left, top, left + width, top + height)
            found.append(Frame(gce, block.start, block.end, rect, flags, palette, data[at : block.end], (packed >> 2) & 7, transparent))
            gce = None
    return found


def _decode(frame: Frame, palette: bytes) -> np.ndarray:
    """The frame's palette indices (height x width), decoded by Pillow from a one-frame GIF."""
    width, height = frame.size
    bits = max(1, (len(palette) // 3 - 1).bit_length())
    table = palette.ljust(3 * 2**bits, b"\0")
    mini = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80 | (bits - 1), 0, 0) + table
    mini += b"," + struct.pack("<HHHHB", 0, 0, width, height, frame.flags & 0x40) + frame.lzw + b";"
    try:
        with Image.open(io.BytesIO(mini)) as image:
            image.load()
            if image.mode not in ("P", "L"):
                raise ValueError(f"decoded as {image.mode}")
            return np.asarray(image, dtype=np.uint8).reshape(height, width)
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"a GIF frame cannot be decoded ({exc}); re-export the file") from exc


def _encode(indices: np.ndarray) -> bytes:
    """LZW data (minimum code size 8, sub-blocks, terminator) for palette indices, by Pillow's encoder."""
    image = Image.frombytes("P", (indices.shape[1], indices.shape[0]), np.ascontiguousarray(indices).tobytes())
    written = b"".join(GifImagePlugin.getdata(image))
    return written[10:]  # past the image descriptor Pillow writes first


class _Palette:
    """A frame's colour table being extended: exact colours first, then new or unused entries."""

    def __init__(self, table: bytes, taken: set[int], where: str) -> None:
        self.colours = [tuple(table[i : i + 3]) for i in range(0, len(table) - 2, 3)]
        self.original = list(self.colours)
        self.taken = taken
        self.where = where
        self.reserved: set[int] = set()  # entries given to the notice: never merged away

    def slot(self, rgb: tuple[int, int, int]) -> int | None:
        if len(self.colours) < 256:
            self.colours.append(rgb)
            index = len(self.colours) - 1
        else:
            index = next((i for i in range(256) if i not in self.taken), -1)
            if index < 0:
                return None
            self.colours[index] = rgb
        self.taken.add(index)
        self.reserved.add(index)
        return index

    def index_of(self, rgb: tuple[int, int, int], avoid: int | None, pixels: np.ndarray) -> int:
        """Index for ``rgb``: an exact entry, a new or unused one, a stand-in dark/light enough for
        the notice check, or last, an entry freed by merging the two closest colours the frame uses
        (``pixels`` remapped in place; the smallest change a full palette allows)."""
        exact = next((i for i, c in enumerate(self.colours) if c == rgb and i != avoid), None)
        if exact is not None:
            self.taken.add(exact)
            self.reserved.add(exact)
            return exact
        index = self.slot(rgb)
        if index is not None:
            return index
        dark = rgb == BLACK
        luma = [(0.299 * r + 0.587 * g + 0.114 * b, i) for i, (r, g, b) in enumerate(self.colours) if i != avoid]
        value, index = min(luma) if dark else max(luma)
        if (value <= DARK_MAX) if dark else (value >= LIGHT_MIN):
            self.reserved.add(index)
            return index
        keep, drop = self._closest_pair(avoid)
        pixels[pixels == drop] = keep
        self.colours[drop] = rgb
        return drop

    def _closest_pair(self, avoid: int | None) -> tuple[int, int]:
        colours = np.array(self.colours, dtype=np.int32)
        distance = ((colours[:, None, :] - colours[None, :, :]) ** 2).sum(axis=2).astype(np.float64)
        np.fill_diagonal(distance, np.inf)
        for index in {avoid, *self.reserved} - {None}:
            distance[index, :] = distance[:, index] = np.inf
        keep, drop = np.unravel_index(int(np.argmin(distance)), distance.shape)
        if not np.isfinite(distance[keep, drop]):
            raise UnsupportedError(f"{self.where} has no palette entry to spare for the notice; reduce its colours and label again")
        self.reserved.add(int(drop))
        return int(keep), int(drop)

    @property
    def changed(self) -> bool:
        return self.colours != self.original

    def table(self) -> tuple[bytes, int]:
        """The colour table bytes (padded to a power of two) and its size field."""
        bits = max(1, (len(self.colours) - 1).bit_length())
        return b"".join(bytes(c) for c in self.colours).ljust(3 * 2**bits, b"\0"), bits - 1


def _overlap(a: Rect, b: Rect) -> Rect | None:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def _union(a: Rect, b: Rect) -> Rect:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _plan_rects(frames: list[Frame], box: Rect, screen: tuple[int, int]) -> list[Rect]:
    """Each frame's rectangle, grown over the notice box where earlier disposal cleared the notice
    and the frame does not redraw it. Refuses when growing a "restore to background" frame would
    clear pixels the original kept."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    present = np.zeros((bh, bw), bool)  # notice pixels on the canvas before the frame is drawn
    dirty = np.zeros((screen[1], screen[0]), bool)  # canvas pixels that may differ from the background
    rects = []
    for number, frame in enumerate(frames, 1):
        rect = frame.rect
        inside = np.zeros((bh, bw), bool)
        part = _overlap(rect, box)
        if part is not None:
            inside[part[1] - box[1] : part[3] - box[1], part[0] - box[0] : part[2] - box[0]] = True
        if (~present & ~inside).any():
            grown = _union(rect, box)
            if frame.disposal == _DISPOSE_BACKGROUND:
                extra = dirty[grown[1] : grown[3], grown[0] : grown[2]].copy()
                clip = _overlap(rect, (0, 0, *screen))
                if clip is not None:
                    extra[clip[1] - grown[1] : clip[3] - grown[1], clip[0] - grown[0] : clip[2] - grown[0]] = False
                if extra.any():
                    raise UnsupportedError(
                        f"GIF frame {number} does not cover the notice and is cleared to the background after it is shown; "
                        "drawing the notice into it would also clear picture around it. Re-export the GIF with full frames "
                        "(e.g. convert in.gif -coalesce out.gif) and label again"
                    )
            rect = grown
            inside[:] = True
        rects.append(rect)
        saved = (present.copy(), dirty.copy()) if frame.disposal == _DISPOSE_PREVIOUS else None
        present |= inside
        clip = _overlap(rect, (0, 0, *screen))
        if clip is not None:
            dirty[clip[1] : clip[3], clip[0] : clip[2]] = True
        if frame.disposal == _DISPOSE_BACKGROUND:
            present &= ~inside
            if clip is not None:
                dirty[clip[1] : clip[3], clip[0] : clip[2]] = False
        elif saved is not None:
            present, dirty = saved
    return rects


def _redraw(
    data: bytes, frame: Frame, rect: Rect, placement: Placement, global_table: bytes | None, number: int
) -> tuple[bytes, bytes | None]:
    """The frame's new image block and its control block (None: unchanged)."""
    table = frame.palette if frame.palette is not None else global_table
    if table is None:
        raise InputError(f"GIF frame {number} has no colour table; re-export the file")
    old = _decode(frame, table)
    width, height = rect[2] - rect[0], rect[3] - rect[1]
    visible = np.ones(old.shape, bool)  # pixels the notice does not replace: their colours stay taken
    covered = _overlap(frame.rect, placement.box)
    if covered is not None:
        visible[covered[1] - frame.rect[1] : covered[3] - frame.rect[1], covered[0] - frame.rect[0] : covered[2] - frame.rect[0]] = False
    taken = set(np.unique(old[visible]).tolist()) | ({frame.transparent} if frame.transparent is not None else set())
    palette = _Palette(table, taken, f"GIF frame {number}")
    transparent = frame.transparent
    if rect != frame.rect:
        if transparent is None:
            transparent = palette.slot(BLACK)
            if transparent is None:
                raise UnsupportedError(
                    f"GIF frame {number} uses all 256 colours, so it cannot grow over the notice; re-export it with full frames"
                )
        indices = np.full((height, width), transparent, np.uint8)
        x, y = frame.rect[0] - rect[0], frame.rect[1] - rect[1]
        indices[y : y + old.shape[0], x : x + old.shape[1]] = old
    else:
        indices = old.copy()
    black, white = palette.index_of(BLACK, transparent, indices), palette.index_of(WHITE, transparent, indices)
    part = _overlap(rect, placement.box)
    if part is not None:
        patch = np.asarray(placement.patch)
        bx, by = placement.box[:2]
        ink = patch[part[1] - by : part[3] - by, part[0] - bx : part[2] - bx, 0] >= 128
        indices[part[1] - rect[1] : part[3] - rect[1], part[0] - rect[0] : part[2] - rect[0]] = np.where(ink, white, black)
    flags = frame.flags & ~0x40  # written progressive (not interlaced): the same picture
    local = b""
    if palette.changed or frame.palette is not None:
        local, size = palette.table()
        flags = (flags & ~0x07) | 0x80 | size
    block = b"," + struct.pack("<HHHHB", rect[0], rect[1], width, height, flags) + local + _encode(indices)
    gce = None
    if transparent is not None and transparent != frame.transparent:
        if frame.gce is not None:
            old_gce = bytearray(data[frame.gce : frame.gce + 8])
            old_gce[3] |= 1
            old_gce[6] = transparent
            gce = bytes(old_gce)
        else:
            gce = b"\x21\xf9\x04" + bytes([1]) + b"\0\0" + bytes([transparent]) + b"\0"
    return block, gce


def draw(data: bytes, placement: Placement) -> bytes:
    """``data`` with the notice in every displayed frame; every other block copied byte for byte."""
    frames = frames_of(data)
    if not frames:
        raise InputError("the GIF has no image; re-export the file")
    screen = struct.unpack_from("<HH", data, 6)
    global_table, _ = _table(data, 13, data[10])
    rects = _plan_rects(frames, placement.box, screen)
    pieces: list[bytes | memoryview] = []
    view = memoryview(data)
    pos = 0
    for number, (frame, rect) in enumerate(zip(frames, rects, strict=True), 1):
        if _overlap(rect, placement.box) is None:
            continue
        block, gce = _redraw(data, frame, rect, placement, global_table, number)
        if gce is not None and frame.gce is not None:
            pieces += [view[pos : frame.gce], gce, view[frame.gce + 8 : frame.start]]
        else:
            pieces += [view[pos : frame.start], gce or b""]
        pieces.append(block)
        pos = frame.end
    pieces.append(view[pos:])
    return b"".join(pieces)
