"""Is there speech in an edge window? A voice-activity measure that tells speech from tones and music.

Why not energy or syllable rate alone: a Morse letter or a beep train is bursty at 3-8 Hz just like
syllables, and music has rhythm too. What sets speech apart is that its *spectral shape* keeps
moving while the sound is steady — formants glide from one phoneme to the next, the pitch glides
(intonation, Mandarin tones), fricatives alternate with vowels. A tone, a beep or a note keeps one
shape for as long as it sounds; only its onset, decay and end change the level.

The measure, on mono 16 kHz samples cut into 25 ms frames every 10 ms:

1. Each frame's 24-band mel spectrum (100-7000 Hz) in log, floored 40 dB below the frame's loudest
   band (so a noise floor under a pure tone adds no random "shape"), minus its mean: the *shape*,
   independent of level.
2. Pairs of frames 30 ms apart that are both sounding (within 20 dB of the window's loudest frames)
   and inside a level-steady stretch (the level moves < 6 dB over the pair and one frame either
   side): onsets, releases and decays are left out, so a beep's edges do not count as change.
3. ``shape_change``: the share of those pairs whose shapes correlate below 0.9 (1 - r > 0.1).
4. ``held_pitch``: the share of sounding frames whose strongest partial (80-1000 Hz) holds still
   for >= 100 ms, as notes do (speech glides).

Speech: at least ``MIN_PAIRS`` steady pairs (0.2 s), ``shape_change >= SHAPE_CHANGE_MIN`` and
``held_pitch < HELD_PITCH_MAX`` over the whole window — or, so that a short notice followed by a
song is not averaged away, over some 2.5 s span (every 0.5 s) with ``shape_change >= 0.12`` and
``held_pitch < 0.5`` (a span of music alone can look busier, so the limits are stricter). Measured on generated sets (sox tones, beeps, beep trains, Morse
letters other than "AI", sox chords and melodies; espeak-ng Mandarin and English speech, alone and
over music at -12 to -3 dB; a third of each with noise at -45 dB or an MP3 round trip):
tones, beeps, trains and Morse letters score 0.0, music at most ~0.05, speech at least ~0.11
(``tests/test_audio_vad.py``; the accuracy is printed by its slow test).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..lazy import lazy_module
from .rhythm import RATE

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

FRAME = 400  # 25 ms
HOP = 160  # 10 ms
NFFT = 512
MEL_BANDS, MEL_LOW, MEL_HIGH = 24, 100.0, 7000.0
SHAPE_FLOOR = 1e-4  # bands more than 40 dB under the frame's loudest band are floored there
LAG = 3  # frames between the two frames of a pair: 30 ms
SOUNDING_DB = 20.0  # a pair's frames are within this of the window's loud frames
STEADY_DB = 6.0  # the level moves less than this across a pair (and one frame either side)
CHANGED = 0.1  # 1 - shape correlation above this is a change of shape
SHAPE_CHANGE_MIN = 0.08  # speech: at least this share of steady pairs change shape
MIN_PAIRS = 20  # 0.2 s of steady sound at least
STEADY_WIN = 1024  # 64 ms: ~16 Hz resolution for the dominant low partial
SPAN_S = 2.5  # when the whole window is not speech, sliding spans this long ...
SPAN_STEP_S = 0.5  # ... this far apart are measured too, ...
SPAN_CHANGE_MIN = 0.12  # ... with stricter limits (a short span of music can look busier)
SPAN_HELD_MAX = 0.5
STEADY_RUN = 10  # frames of 10 ms: a partial held this long is a note, not a syllable
HELD_PITCH_MAX = 0.8  # held notes in at least this share of sounding frames: music, not speech


@dataclass(frozen=True)
class VoiceActivity:
    """The measures behind ``is_speech`` for one window, or for one ``SPAN_S`` span of it when
    ``span_s`` (its start, s) is set (see the module docstring)."""

    shape_change: float
    held_pitch: float
    steady_pairs: int
    span_s: float | None = None

    @property
    def speech(self) -> bool:
        change_min, held_max = (SHAPE_CHANGE_MIN, HELD_PITCH_MAX) if self.span_s is None else (SPAN_CHANGE_MIN, SPAN_HELD_MAX)
        return self.steady_pairs >= MIN_PAIRS and self.shape_change >= change_min and self.held_pitch < held_max

    def as_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "shape_change": round(self.shape_change, 3),
            "held_pitch": round(self.held_pitch, 3),
            "steady_pairs": self.steady_pairs,
        }
        return detail if self.span_s is None else {**detail, "span_s": [round(self.span_s, 2), round(self.span_s + SPAN_S, 2)]}


@functools.lru_cache(maxsize=1)
def _mel_bank() -> np.ndarray:
    freqs = np.fft.rfftfreq(NFFT, 1 / RATE)
    mel = 2595 * np.log10(1 + np.array([MEL_LOW, MEL_HIGH]) / 700)
    edges = 700 * (10 ** (np.linspace(mel[0], mel[1], MEL_BANDS + 2) / 2595) - 1)
    bank = np.zeros((MEL_BANDS, len(freqs)))
    for b in range(MEL_BANDS):
        low, centre, high = edges[b : b + 3]
        bank[b] = np.clip(np.minimum((freqs - low) / (centre - low), (high - freqs) / (high - centre)), 0, None)
    return bank


def _frames(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    if len(x) < size:
        x = np.pad(x, (0, size - len(x)))
    count = 1 + (len(x) - size) // hop
    frames: np.ndarray = x[np.arange(size)[None, :] + hop * np.arange(count)[:, None]]
    return frames


def _shape_pairs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: (is the pair starting here level-steady and sounding, did its shape change)."""
    spectrum = np.abs(np.fft.rfft(_frames(x, FRAME, HOP) * np.hanning(FRAME), n=NFFT, axis=1)) ** 2
    mel = spectrum @ _mel_bank().T + 1e-12
    level = 10 * np.log10(mel.sum(axis=1))
    loud = np.percentile(level, 99)
    sounding = level > max(loud - SOUNDING_DB, np.percentile(level, 10) + 10)
    log_mel = np.log(np.maximum(mel, mel.max(axis=1, keepdims=True) * SHAPE_FLOOR))
    shape = log_mel - log_mel.mean(axis=1, keepdims=True)
    a, b = shape[:-LAG], shape[LAG:]
    r = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    around = np.lib.stride_tricks.sliding_window_view(np.pad(level, (1, LAG + 1), mode="edge"), LAG + 3)[: len(level) - LAG]
    steady = sounding[:-LAG] & sounding[LAG:] & (np.ptp(around, axis=1) < STEADY_DB)
    return steady, 1 - r > CHANGED


def _held_frames(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per 10 ms frame: (sounding, strongest partial in 80-1000 Hz held still for >= 100 ms)."""
    power = np.abs(np.fft.rfft(_frames(x, STEADY_WIN, HOP) * np.hanning(STEADY_WIN), axis=1)) ** 2
    freqs = np.fft.rfftfreq(STEADY_WIN, 1 / RATE)
    band = power[:, (freqs >= 80) & (freqs <= 1000)]
    energy = band.sum(axis=1)
    sounding = energy > energy.max() * 1e-3
    peak = np.argmax(band, axis=1)
    same = np.concatenate(([False], peak[1:] == peak[:-1])) & sounding
    held = np.zeros(len(peak), dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], same.astype(np.int8), [0]))))
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start >= STEADY_RUN:
            held[start - 1 : end] = True
    return sounding, held


def _share(mask: np.ndarray, of: np.ndarray) -> float:
    return float(mask[of].mean()) if of.any() else 0.0


def voice_activity(samples: np.ndarray) -> VoiceActivity:
    """The voice-activity measures of mono 16 kHz ``samples`` (see ``rhythm.to_analysis``): over the
    whole window, and if that is not speech, over sliding ``SPAN_S`` spans with stricter limits, so
    a short notice next to longer music or tones is not averaged away."""
    if len(samples) < RATE // 2:  # under half a second: no room for speech worth a notice
        return VoiceActivity(0.0, 0.0, 0)
    steady, changed = _shape_pairs(samples)
    sounding, held = _held_frames(samples)
    whole = VoiceActivity(_share(changed, steady), _share(held, sounding), int(steady.sum()))
    if whole.speech:
        return whole
    span, step = int(SPAN_S * RATE / HOP), int(SPAN_STEP_S * RATE / HOP)
    for start in range(0, len(steady) - span + 1, step):
        window = slice(start, start + span)
        found = VoiceActivity(
            _share(changed[window], steady[window]), _share(held[window], sounding[window]), int(steady[window].sum()), start * HOP / RATE
        )
        if found.speech:
            return found
    return whole


def is_speech(samples: np.ndarray) -> bool:
    return voice_activity(samples).speech


PAUSE_S = 0.3  # silence this long ends an utterance (a sentence or phrase for the recogniser)
UTTERANCE_DB = 35.0  # frames within this of the window's loud frames are sounding
SHORTEST_S = 0.3


def utterances(samples: np.ndarray) -> list[tuple[float, float]]:
    """(start s, end s) of the stretches of sound separated by pauses, for a recogniser: each is
    one unit for the notice rule, so a notice is not read as part of the speech around it."""
    frames = _frames(samples, FRAME, HOP)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    sounding = level > np.percentile(level, 99) - UTTERANCE_DB
    edges = np.flatnonzero(np.diff(np.concatenate(([0], sounding.astype(np.int8), [0]))))
    spans: list[list[int]] = []
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if spans and (start - spans[-1][1]) * HOP / RATE < PAUSE_S:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    pad = 0.1
    return [
        (max(0.0, start * HOP / RATE - pad), min(len(samples) / RATE, (end * HOP + FRAME) / RATE + pad))
        for start, end in spans
        if (end - start) * HOP / RATE >= SHORTEST_S
    ]
