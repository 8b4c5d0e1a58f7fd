"""The signal processing of the audio watermark (the design is explained in ``labeler.watermark.audio``).

Everything happens on a 16 kHz version of the audio: ``FRAME``-point STFT frames every ``HOP``
samples, numbered from the start of the file (frame ``t`` starts at 16 kHz sample ``t * HOP``). A
tile is ``TILE_FRAMES`` frames x ``TILE_BINS`` bins of the 700-3500 Hz band; the block (``Layout``)
gives each tile a sign and a code bit (or the sync pattern) and repeats every ``Layout.frames``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

RATE = 16000
FRAME = 512
HOP = FRAME // 2
LOW_HZ, HIGH_HZ = 700.0, 3500.0
TILE_FRAMES = 1
TILE_BINS = 2
#: 24 (a 2.2 s block): with 12 (1.1 s) the sync search had too few offsets for a robust z on unmarked audio.
CELLS_PER_BIT = 24
SYNC_SHARE = 0.25
SEED = 0x6B45438
SMOOTH_TILES = 3
CLIP_SIGMA = 2.5
#: Per-bit gain: starts at STRENGTH, then set so that the bit reads TARGET_Z, within [MIN, MAX].
STRENGTH = 0.12
MIN_STRENGTH = 0.04
MAX_STRENGTH = 0.3
TARGET_Z = 3.0
#: The sync pattern is read the same way (its reading grows with its many tiles).
SYNC_TARGET_Z = 12.0

LOW_BIN = math.ceil(LOW_HZ * FRAME / RATE)
BANDS = int((HIGH_HZ - LOW_HZ) * FRAME / RATE) // TILE_BINS
HIGH_BIN = LOW_BIN + BANDS * TILE_BINS
#: Rates whose ratio needs a longer whole-sample step than this are resampled without padding.
MAX_RESAMPLE_STEP = 4096


@dataclass(frozen=True)
class Layout:
    """The block for one code length: per tile (slot, band) its sign and its bit (-1 = sync)."""

    code_bits: int
    slots: int
    sign: np.ndarray  # (slots, BANDS) of +-1
    bit: np.ndarray  # (slots, BANDS) of bit numbers, -1 = sync

    @property
    def frames(self) -> int:
        return self.slots * TILE_FRAMES

    @property
    def seconds(self) -> float:
        return self.frames * HOP / RATE

    def chips(self, code: np.ndarray) -> np.ndarray:
        """Per block frame and band: the tile's sign times its bit as +-1 (sync: +1)."""
        values = np.where(self.bit >= 0, 2.0 * code[np.maximum(self.bit, 0)] - 1.0, 1.0)
        out: np.ndarray = np.repeat(self.sign * values, TILE_FRAMES, axis=0)
        return out

    def bits_per_frame(self) -> np.ndarray:
        out: np.ndarray = np.repeat(self.bit, TILE_FRAMES, axis=0)
        return out


@functools.cache
def layout(code_bits: int) -> Layout:
    if not 8 <= code_bits <= 256:
        raise ValueError(f"the audio watermark carries 8 to 256 code bits, not {code_bits}")
    data = code_bits * CELLS_PER_BIT
    sync = math.ceil(data * SYNC_SHARE / (1 - SYNC_SHARE))
    slots = math.ceil((data + sync) / BANDS)
    cells = slots * BANDS
    rng = np.random.default_rng(SEED)
    order = rng.permutation(cells)
    bit = np.full(cells, -1, dtype=np.int64)
    bit[order[cells - data :]] = np.arange(data) % code_bits
    sign = rng.choice(np.array([-1.0, 1.0]), size=cells)
    return Layout(code_bits, slots, sign.reshape(slots, BANDS), bit.reshape(slots, BANDS))


def _smooth(n: int) -> int:
    """The smallest length >= ``n`` with no prime factor above 7 (a fast FFT size)."""
    while True:
        m = n
        for p in (2, 3, 5, 7):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def resample(x: np.ndarray, rate_in: int, rate_out: int, length: int | None = None) -> np.ndarray:
    """Band-limited FFT resampling along axis 0; ``length`` fixes the output length (else rounded).

    The input is zero-padded to a length that maps to a whole number of output samples and whose FFT
    is fast (an arbitrary length can have a large prime factor: seconds instead of milliseconds)."""
    n_out = round(len(x) * rate_out / rate_in) if length is None else length
    tail = [(0, 0)] * (np.ndim(x) - 1)
    if rate_in == rate_out or len(x) == 0:
        same = np.asarray(x, dtype=np.float64)[:n_out]
        return np.pad(same, [(0, n_out - len(same)), *tail])
    common = math.gcd(rate_in, rate_out)
    step_in, step_out = rate_in // common, rate_out // common
    padded = step_in * _smooth(-(-len(x) // step_in)) if step_in <= MAX_RESAMPLE_STEP else len(x)
    n_fft = padded * step_out // step_in if step_in <= MAX_RESAMPLE_STEP else round(len(x) * rate_out / rate_in)
    spectrum = np.fft.rfft(np.pad(np.asarray(x, dtype=np.float64), [(0, padded - len(x)), *tail]), axis=0)
    bins = n_fft // 2 + 1
    full = np.zeros((bins, *spectrum.shape[1:]), dtype=spectrum.dtype)
    full[: min(bins, len(spectrum))] = spectrum[:bins]
    out: np.ndarray = np.fft.irfft(full, n_fft, axis=0) * (n_fft / padded)
    if n_out <= n_fft:
        return out[:n_out]
    return np.pad(out, [(0, n_out - n_fft), *tail])


@functools.cache
def _window() -> np.ndarray:
    # periodic sqrt-Hann: analysis x synthesis windows sum to exactly 1 at hop FRAME / 2
    out: np.ndarray = np.sqrt(np.hanning(FRAME + 1)[:FRAME])
    return out


def frame_count(samples: int) -> int:
    return 0 if samples < FRAME else 1 + (samples - FRAME) // HOP


def band_stft(x: np.ndarray) -> np.ndarray:
    """The watermark band of the STFT of a 1-D 16 kHz signal: (frames, band bins)."""
    count = frame_count(len(x))
    if count == 0:
        return np.zeros((0, HIGH_BIN - LOW_BIN), dtype=np.complex128)
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    out: np.ndarray = np.fft.rfft(x[index] * _window(), axis=1)[:, LOW_BIN:HIGH_BIN]
    return out


def band_istft(band: np.ndarray, length: int) -> np.ndarray:
    """The time signal (``length`` samples) of a band-only STFT, by overlap-add."""
    spectrum = np.zeros((len(band), FRAME // 2 + 1), dtype=np.complex128)
    spectrum[:, LOW_BIN:HIGH_BIN] = band
    frames = np.fft.irfft(spectrum, FRAME, axis=1) * _window()
    out = np.zeros((len(frames) + 1) * HOP)
    out[: len(frames) * HOP] += frames[:, :HOP].reshape(-1)
    out[HOP:] += frames[:, HOP:].reshape(-1)
    if len(out) < length:
        out = np.pad(out, (0, length - len(out)))
    return out[:length]


def chip_frames(code: np.ndarray, first: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Chips (+-1) and bit numbers (-1 = sync) per band for file frames ``first .. first+count``."""
    plan = layout(len(code))
    index = (first + np.arange(count)) % plan.frames
    return plan.chips(code)[index], plan.bits_per_frame()[index]


def features(band: np.ndarray) -> np.ndarray:
    """Whitened log tile energy for a tile starting at every frame: (frames, BANDS), clipped z-units."""
    if len(band) == 0:
        return np.zeros((0, BANDS))
    power = (np.abs(band) ** 2).reshape(len(band), BANDS, TILE_BINS).sum(axis=2)
    csum = np.concatenate([np.zeros((1, BANDS)), np.cumsum(power, axis=0)])
    ends = np.minimum(np.arange(len(power)) + TILE_FRAMES, len(power))
    tile = csum[ends] - csum[: len(power)]
    floor = 1e-5 * float(np.mean(tile))
    log = np.log(tile + 1e-12 + floor)
    log -= log.mean(axis=1, keepdims=True)  # the loudness of the moment (a syllable, a drum hit) moves all bands
    span = SMOOTH_TILES * TILE_FRAMES
    padded = np.pad(log, ((span // 2, span - 1 - span // 2), (0, 0)), mode="edge")
    lsum = np.concatenate([np.zeros((1, BANDS)), np.cumsum(padded, axis=0)])
    smooth = (lsum[span:] - lsum[:-span]) / span
    white = log - smooth[: len(log)]
    # Tiles at the floor (digital silence, a codec's or resampler's residue) carry no mark: read as 0, and
    # kept out of the scale, else silence-heavy audio gets a tiny sigma that blows their noise up to +-CLIP_SIGMA.
    active = tile > floor
    white[~active] = 0.0
    sigma = 1.4826 * float(np.median(np.abs(white[active]))) + 1e-12 if active.any() else 1.0
    out: np.ndarray = np.clip(white / sigma, -CLIP_SIGMA, CLIP_SIGMA)
    return out


def fold(feats: np.ndarray, first: int, period: int) -> np.ndarray:
    """Feature rows summed by file frame number modulo ``period`` (row 0 = frame ``first``)."""
    lead = first % period
    reps = -(-(lead + len(feats)) // period)
    padded = np.zeros((reps * period, feats.shape[1]))
    padded[lead : lead + len(feats)] = feats
    out: np.ndarray = padded.reshape(reps, period, -1).sum(axis=0)
    return out


def sync_scores(folded: np.ndarray, plan: Layout) -> np.ndarray:
    """The sync pattern's correlation with the fold at every frame offset (circular, one FFT)."""
    template = np.zeros((plan.frames, BANDS))
    template[::TILE_FRAMES] = np.where(plan.bit < 0, plan.sign, 0.0)
    spectrum = np.fft.rfft(folded, axis=0) * np.conj(np.fft.rfft(template, axis=0))
    out: np.ndarray = np.fft.irfft(spectrum.sum(axis=1), plan.frames)
    return out


def read_bits(folded: np.ndarray, offset: int, plan: Layout, *, with_sync: bool = False) -> np.ndarray:
    """Soft bits (z-scores, positive = 1) of the block starting at fold row ``offset``; with
    ``with_sync`` one more value at the end: the sync pattern's reading on the same scale."""
    aligned = np.roll(folded, -offset, axis=0)[::TILE_FRAMES][: plan.slots] * plan.sign
    index = np.where(plan.bit >= 0, plan.bit, plan.code_bits).reshape(-1)
    values = aligned.reshape(-1)
    sums = np.bincount(index, weights=values, minlength=plan.code_bits + 1)
    squares = np.bincount(index, weights=values**2, minlength=plan.code_bits + 1)
    counts = np.bincount(index, minlength=plan.code_bits + 1)
    used = counts > 0
    noise = math.sqrt(float(np.sum(squares[used]) / np.sum(counts[used]))) if used.any() else 0.0
    out: np.ndarray = sums / (noise * np.sqrt(np.maximum(counts, 1)) + 1e-12)
    return out if with_sync else out[: plan.code_bits]


# --- embedding of one segment -------------------------------------------------------------------------


def segment_delta(x16: np.ndarray, first: int, core: slice, code: np.ndarray) -> np.ndarray:
    """The watermark (16 kHz, one column per channel) for ``x16`` whose first frame is file frame
    ``first``. Each bit's gain is set in closed loop: the detector's own reading of the core frames,
    with no gain and with ``STRENGTH``, gives the host's bias and the gain's effect per bit."""
    plan = layout(len(code))
    mono = x16.mean(axis=1)
    band = band_stft(mono)
    chips, bits = chip_frames(code, first, len(band))
    bits = np.where(bits >= 0, bits, len(code))  # the sync pattern is one more "bit", always 1
    want = np.append(2.0 * code - 1.0, 1.0)
    target = np.append(np.full(len(code), TARGET_Z), SYNC_TARGET_Z)

    def reading(amplitude: np.ndarray) -> np.ndarray:
        marked = mono + band_istft(band * np.repeat(chips * amplitude[bits], TILE_BINS, axis=1), len(mono))
        feats = features(band_stft(marked))[core]
        out: np.ndarray = read_bits(fold(feats, first + (core.start or 0), plan.frames), 0, plan, with_sync=True) * want
        return out

    host = reading(np.zeros(len(want)))
    slope = np.maximum((reading(np.full(len(want), STRENGTH)) - host) / STRENGTH, 1.0)
    amplitude = np.clip((target - host) / slope, MIN_STRENGTH, MAX_STRENGTH)
    amplitude = np.clip(amplitude + (target - reading(amplitude)) / slope, MIN_STRENGTH, MAX_STRENGTH)
    gains = np.repeat(chips * amplitude[bits], TILE_BINS, axis=1)
    columns = [band_istft(band_stft(x16[:, c]) * gains, len(x16)) for c in range(x16.shape[1])]
    return np.stack(columns, axis=1)
