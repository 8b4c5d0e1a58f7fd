"""The image watermark's signal: spread spectrum on a resolution-normalised luminance canvas.

Why this design (README "Watermark" has the measurements):

- **Resolution-normalised.** The luminance is box-averaged to a fixed 256x256 *canvas* whatever the
  image size or aspect ratio; the pattern lives on the canvas and is upsampled (bicubic) to the image.
  A platform that resizes by any factor (0.5x, 720p) changes nothing the detector sees: it
  averages the received image onto the same canvas. No search over scales is needed.
- **Spread spectrum, not quantisation (QIM/SVD).** Each canvas cell adds +-a times a fixed
  pseudo-random sign; the detector correlates. Only the *sign* of a correlation matters, so the
  gain changes of resizing filters and JPEG do not break it (quantisation-index schemes such as
  DWT-DCT-SVD decode wrongly once a resize scales the quantised value).
- **Host interference removed at the detector** by whitening: the canvas minus its 3x3 local mean,
  divided by the local residual energy (so text edges do not outvote flat areas).
- **Synchronisation pilot.** One cell in eight carries a fixed sign pattern instead of data; its
  normalised correlation ``z`` is N(0, 1) on unmarked content, whatever the content (the signs are
  independent of it). ``z >= SYNC_Z`` (5: 3e-7 per image) says a watermark is there.
- **Shaping and saturation.** The amplitude follows local activity (1.3x in flat areas, up to 1.6x
  in texture: flat screenshots were the hardest case, 0.6x lost 9 % of them after q75 + 0.5x), then
  the whole pattern is scaled to a fixed distortion budget (PSNR >= ``PSNR_DB``). Near white (or black) the pattern is shifted down (up) by its amplitude, so it
  is not clipped away on a white page; the detector's whitening ignores that smooth shift.
- All channels of a pixel move by the same amount: only luminance changes, colour is kept.

The pattern and the pilot are fixed (seeded), not keyed: the key scrambles the payload's code
(``payload.py``), so anyone can see that a labeler watermark is present, only a key holder reads it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from PIL import Image

from ..lazy import lazy_module
from .payload import CODE_BITS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = lazy_module("numpy")

CANVAS = 256
#: Smallest side that can carry the pattern (one canvas cell per pixel).
MIN_SIDE = CANVAS
AMPLITUDE = 4.0
PSNR_DB = 39.0
_MSE_BUDGET = 255.0**2 / 10 ** (PSNR_DB / 10)
#: Pilot correlation needed to report synchronisation (N(0,1) on unmarked content).
SYNC_Z = 5.0
_PILOT_SHARE = 8
_SEED = 0x1957_45438


@functools.cache
def layout() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """(sign per cell, pilot cells, code bit per data cell or -1): fixed for every version 1 mark."""
    rng = np.random.default_rng(_SEED)
    sign = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(CANVAS, CANVAS))
    order = rng.permutation(CANVAS * CANVAS)
    pilots = CANVAS * CANVAS // _PILOT_SHARE
    pilot = np.zeros(CANVAS * CANVAS, dtype=bool)
    pilot[order[:pilots]] = True
    bit = np.full(CANVAS * CANVAS, -1, dtype=np.int64)
    bit[order[pilots:]] = np.arange(CANVAS * CANVAS - pilots) % CODE_BITS
    return sign, pilot.reshape(CANVAS, CANVAS), bit.reshape(CANVAS, CANVAS)


def to_canvas(plane: Image.Image, *, exact: bool = True) -> npt.NDArray[np.float32]:
    """A single-band image box-averaged to the canvas, as floats. ``exact=False`` averages in 8 bits
    (a third of the time; the embedder only shapes its amplitude with it)."""
    if not exact and plane.mode == "L":
        return np.asarray(plane.resize((CANVAS, CANVAS), Image.Resampling.BOX), dtype=np.float32)
    return np.asarray(plane.convert("F").resize((CANVAS, CANVAS), Image.Resampling.BOX), dtype=np.float32)


def to_canvas_array(plane: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``to_canvas`` of a 2-D array (a video frame's luma)."""
    return to_canvas(Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32), "F"))


def _box3(canvas: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    padded = np.pad(canvas, 1, mode="edge")
    total = np.zeros_like(canvas)
    for dy in range(3):
        for dx in range(3):
            total += padded[dy : dy + CANVAS, dx : dx + CANVAS]
    return total / np.float32(9.0)


def _residual(canvas: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """(canvas minus its local mean, local residual energy as a standard deviation)."""
    residual = canvas - _box3(canvas)
    return residual, np.sqrt(_box3(residual * residual))


def pattern(
    luma: npt.NDArray[np.float32], top: npt.NDArray[np.float32], bottom: npt.NDArray[np.float32], code: npt.NDArray[np.uint8]
) -> npt.NDArray[np.float32]:
    """The canvas-sized change carrying ``code``: ``luma`` the canvas luminance, ``top``/``bottom`` the
    canvas of each pixel's brightest/darkest channel (where the pattern would clip)."""
    if code.shape != (CODE_BITS,):
        raise ValueError(f"a watermark code is {CODE_BITS} bits, not {code.shape}")
    sign, _, bit = layout()
    symbols = np.where(bit >= 0, 2.0 * code.astype(np.float32)[np.maximum(bit, 0)] - 1.0, 1.0).astype(np.float32)
    _, activity = _residual(luma)
    amplitude = AMPLITUDE * np.clip(activity / 8.0, 1.3, 1.6).astype(np.float32)
    change: npt.NDArray[np.float32] = (amplitude * sign * symbols).astype(np.float32)
    high = _box3(np.clip((top - (255.0 - 2.0 * amplitude)) / (2.0 * amplitude), 0.0, 1.0).astype(np.float32))
    low = _box3(np.clip((2.0 * amplitude - bottom) / (2.0 * amplitude), 0.0, 1.0).astype(np.float32))
    change += amplitude * (low - high)
    energy = float(np.mean(change * change))
    if energy > _MSE_BUDGET:
        change *= np.float32(np.sqrt(_MSE_BUDGET / energy))
    return change


def upsample(change: npt.NDArray[np.float32], size: tuple[int, int], rows: tuple[int, int] | None = None) -> npt.NDArray[np.int16]:
    """The canvas change at image size (width, height), rounded to whole levels; ``rows`` (first,
    end) gives only those rows of it (the filter still reads the canvas beyond them: no seams)."""
    width, height = size
    first, end = rows or (0, height)
    box = (0.0, first * CANVAS / height, float(CANVAS), end * CANVAS / height)
    part = Image.fromarray(change, "F").resize((width, end - first), Image.Resampling.BICUBIC, box=box)
    return np.rint(np.asarray(part, dtype=np.float32)).astype(np.int16)


#: The eight ways a platform may have turned the pixels (EXIF orientation applied, then stripped);
#: the canvas of a turned image is the turned canvas, so the detector turns it back.
_TURNS: tuple[Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]], ...] = (
    lambda c: c, np.rot90, lambda c: np.rot90(c, 2), lambda c: np.rot90(c, 3),
    np.fliplr, np.flipud, np.transpose, lambda c: np.rot90(c, 2).T,
)  # fmt: skip


def correlate(*lumas: npt.NDArray[np.float32]) -> tuple[float, npt.NDArray[np.float64]]:
    """(pilot z-score, CODE_BITS soft bits) of canvas luminances (one image, or video frames whose
    evidence adds up); the other seven orientations are tried when the stored one shows no
    synchronisation. Only the pilot cells are read per orientation; the data cells once, for the
    orientation that synchronises (or the best one)."""
    whitened = np.zeros((CANVAS, CANVAS), dtype=np.float64)
    for luma in lumas:
        residual, energy = _residual(luma)
        whitened += residual / (energy + 1.0)
    flat = whitened.ravel()
    best_z, best_turn = -np.inf, 0
    for number in range(len(_TURNS)):
        pilots = flat[_cells(number)[0]] * _signs()[0]
        spread = float(np.sqrt(np.sum(pilots * pilots)))
        z = float(pilots.sum()) / spread if spread > 0 else 0.0
        if z > best_z:
            best_z, best_turn = z, number
        if z >= SYNC_Z:
            break
    weighted = flat[_cells(best_turn)[1]] * _signs()[1]
    return best_z, np.bincount(_signs()[2], weights=weighted, minlength=CODE_BITS).astype(np.float64)


@functools.cache
def _cells(number: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Flat canvas positions of the pilot and the data cells, seen through turn ``number``."""
    _, pilot, bit = layout()
    grid = _TURNS[number](np.arange(CANVAS * CANVAS, dtype=np.int64).reshape(CANVAS, CANVAS).astype(np.float64)).astype(np.int64)
    return grid[pilot], grid[bit >= 0]


@functools.cache
def _signs() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """(pilot signs, data signs, data cells' code bit), in the order ``_cells`` lists the cells."""
    sign, pilot, bit = layout()
    return sign[pilot], sign[bit >= 0], bit[bit >= 0]
