"""Find the Morse "AI" rhythm notice near the edges of audio.

Rhythm: a short-long-short-short tone (``.-`` ``..``: tones of 1, 3, 1, 1 units starting at units
0, 2, 8, 10) of any frequency in 300-3000 Hz and any unit in 50-200 ms. The edge window is
resampled to 16 kHz and cut into a 32 ms / 5 ms STFT. A bin is "on" where it is within 6 dB of its
own peak and 20 dB of the frame's loudest bin, *and* stands 12 dB above the frame's median (tonal, so noise bursts and broadband music do
not count). Runs of "on" frames per bin are matched to the pattern: the unit comes from the four
onsets (least squares), durations may share a constant smear (the STFT window lengthens every run
alike), the four tones must have similar levels, and nothing else may sound in that bin for two units
before and after (so a melody or a steady beep train does not fire).

labeler's own spoken notice is found by ``detect.voice``; whether an edge without a notice holds
speech is decided by ``detect.speech``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..lazy import lazy_module
from ..render.cue import resample

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

RATE = 16000
WIN = 512  # 32 ms
HOP = 80  # 5 ms
EDGE_S = 12.0
BAND_HZ = (300.0, 3000.0)
UNIT_RANGE_S = (0.05, 0.2)
ON_DB = 6.0  # a bin is on within this many dB of its peak
DOMINANT_DB = 20.0  # ... within this many dB of the loudest bin of the frame
TONAL_DB = 12.0  # ... and this far above the frame's median over the band
LEVEL_SPREAD_DB = 6.0
#: The pattern in units: onsets and lengths of the four tones of ".- ..".
ONSETS = (0.0, 2.0, 8.0, 10.0)
LENGTHS = (1.0, 3.0, 1.0, 1.0)
PATTERN_UNITS = 11.0


@dataclass(frozen=True)
class RhythmHit:
    start: float  # seconds, relative to the analysed window
    end: float
    unit: float
    freq: float
    error: float  # worst timing deviation, in units
    level: float = 0.0  # mean band power of the tones (to pick the true bin among neighbours)

    def as_detail(self, offset: float = 0.0) -> dict[str, Any]:
        return {
            "start_s": round(self.start + offset, 3),
            "end_s": round(self.end + offset, 3),
            "unit_ms": round(self.unit * 1000, 1),
            "freq_hz": round(self.freq, 1),
            "timing_error_units": round(self.error, 3),
        }


def to_analysis(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono 16 kHz float64 for every detector here."""
    mono = samples if samples.ndim == 1 else samples.mean(axis=1)
    return resample(np.asarray(mono, dtype=np.float64), sample_rate, RATE)


def _stft_power(x: np.ndarray) -> np.ndarray:
    if len(x) < WIN:
        x = np.pad(x, (0, WIN - len(x)))
    frames = 1 + (len(x) - WIN) // HOP
    index = np.arange(WIN)[None, :] + HOP * np.arange(frames)[:, None]
    spectrum = np.fft.rfft(x[index] * np.hanning(WIN), axis=1)
    return np.abs(spectrum) ** 2


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) frame index pairs of True runs, end exclusive."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _clean(mask: np.ndarray, bridge: int = 3, shortest: int = 4) -> np.ndarray:
    """Bridge gaps up to ``bridge`` frames (codec dropouts) and drop runs under ``shortest`` frames."""
    out: np.ndarray = mask.copy()
    runs = _runs(mask)
    for (_, end), (start, _) in itertools.pairwise(runs):
        if start - end <= bridge:
            out[end:start] = True
    for start, end in _runs(out):
        if end - start < shortest:
            out[start:end] = False
    return out


def _match(runs: list[tuple[int, int]], i: int, level: np.ndarray) -> tuple[float, float, float] | None:
    """Does runs[i:i+4] form ".- .."? Returns (unit s, worst error in units, start s) or None."""
    four = runs[i : i + 4]
    starts = np.array([s for s, _ in four], dtype=np.float64) * HOP / RATE
    lengths = np.array([e - s for s, e in four], dtype=np.float64) * HOP / RATE
    rel = starts - starts[0]
    unit = float(np.dot(rel, ONSETS) / np.dot(ONSETS, ONSETS))
    if not UNIT_RANGE_S[0] <= unit <= UNIT_RANGE_S[1]:
        return None
    slack = 0.012 / unit  # 12 ms of frame jitter, in units
    onset_error = np.abs(rel / unit - ONSETS).max()
    smear = float(np.mean(lengths / unit - LENGTHS))
    length_error = np.abs(lengths / unit - LENGTHS - smear).max()
    if onset_error > 0.2 + slack or length_error > 0.3 + 2 * slack or not -0.5 < smear < 0.8:
        return None
    levels = np.array([level[s:e].mean() for s, e in four])
    if 10 * np.log10(levels.max() / max(levels.min(), 1e-20)) > LEVEL_SPREAD_DB:
        return None
    # isolation: the bin is quiet for 2 units before the first tone and after the last
    guard = round(2 * unit * RATE / HOP)
    before = runs[i - 1][1] if i > 0 else -(10**9)
    after = runs[i + 4][0] if i + 4 < len(runs) else 10**9
    if four[0][0] - before < guard or after - four[3][1] < guard:
        return None
    return unit, float(max(onset_error, length_error)), float(starts[0])


def find_rhythm(samples: np.ndarray) -> list[RhythmHit]:
    """Every ".- .." tone pattern in mono 16 kHz ``samples`` (see ``to_analysis``), best first."""
    power = _stft_power(samples)
    freqs = np.fft.rfftfreq(WIN, 1 / RATE)
    band = np.flatnonzero((freqs >= BAND_HZ[0] - 20) & (freqs <= BAND_HZ[1] + 20))
    sub = power[:, band]
    # a tone between two bins shows in both: take each bin with its neighbours
    env = np.maximum(sub, np.maximum(np.roll(sub, 1, axis=1), np.roll(sub, -1, axis=1)))
    median = np.median(sub, axis=1, keepdims=True) + 1e-12
    peak = env.max(axis=0, keepdims=True) + 1e-12
    loud_enough = peak > 1e-9 * WIN  # ignore bins that never rise above ~-90 dBFS
    loudest = env.max(axis=1, keepdims=True)
    on = (
        (env >= peak * 10 ** (-ON_DB / 10))
        & (env >= median * 10 ** (TONAL_DB / 10))
        & (env >= loudest * 10 ** (-DOMINANT_DB / 10))
        & loud_enough
    )
    hits: list[RhythmHit] = []
    for column in np.flatnonzero(on.any(axis=0)):
        runs = _runs(_clean(on[:, column]))
        for i in range(len(runs) - 3):
            found = _match(runs, i, env[:, column])
            if found:
                unit, error, start = found
                left = max(0, int(column) - 2)
                span = sub[runs[i][0] : runs[i + 3][1], left : column + 3].mean(axis=0)
                true_column = left + int(np.argmax(span))
                hits.append(RhythmHit(start, start + PATTERN_UNITS * unit, unit, float(freqs[band[true_column]]), error, float(span.max())))
    hits.sort(key=lambda h: -h.level)
    distinct: list[RhythmHit] = []
    for hit in hits:  # one hit per tone (neighbouring bins see the same pattern)
        if not any(abs(hit.start - d.start) < d.unit for d in distinct):
            distinct.append(hit)
    return distinct
