"""Find an audible notice near the edges of audio: the Morse "AI" rhythm, or our own voice clip.

Rhythm: a short-long-short-short tone (``.-`` ``..``: tones of 1, 3, 1, 1 units starting at units
0, 2, 8, 10) of any frequency in 300-3000 Hz and any unit in 50-200 ms. The edge window is
resampled to 16 kHz and cut into a 32 ms / 5 ms STFT. A bin is "on" where it is within 6 dB of its
own peak and 20 dB of the frame's loudest bin, *and* stands 12 dB above the frame's median (tonal, so noise bursts and broadband music do
not count). Runs of "on" frames per bin are matched to the pattern: the unit comes from the four
onsets (least squares), durations may share a constant smear (the STFT window lengthens every run
alike), the four tones must have similar levels, and nothing else may sound in that bin for two units
before and after (so a melody or a steady beep train does not fire).

Voice: our default voice clip is espeak-ng's 人工智能生成, deterministic for a given espeak-ng,
found by normalised cross-correlation of log band energies (survives level changes and lossy
re-encoding). A user's own clip (``Notice.voice_clip``) is recognised the same way in the process
that wrote it, and anywhere its path is listed in ``LABELER_VOICE_CLIPS``. A third-party voice
notice cannot be recognised without an offline speech recogniser.

Decision for "no rhythm and no voice clip of ours" (deliberate): if an edge window holds
speech-like sound (several syllable-like energy bursts within 3 s that are not pure tones, and
whose strongest partial is not held still like notes in >= 80 % of the sounding frames), the
answer is UNKNOWN — a voice notice may be there and we cannot hear it, so calling the file
"missing" would be false. A gate still fails such a file (``unverified`` is not ``compliant``), so an
unlabelled file is never waved through. If the edges hold only silence, steady sound, tones or
isolated beeps, no notice of any kind can be there: ABSENT. Music with vocals at an edge reads UNKNOWN, and so does speech over quieter music; instrumental music with held notes
mostly reads ABSENT. Measured on generated sets: espeak-ng speech scores 0-0.15 on the held-note
ratio, speech over music 0.65-0.8, melodies 0.8-0.95 - the threshold errs towards UNKNOWN.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LabelerError
from ..lazy import lazy_module
from ..render.cue import clip_voice, espeak_path, espeak_voice, resample

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
VOICE_CLIPS_ENV = "LABELER_VOICE_CLIPS"  # os.pathsep-separated user voice clips to recognise
VOICE_MATCH = 0.75  # normalised correlation of log band energies that counts as our clip


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
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _clean(mask: np.ndarray, bridge: int = 3, shortest: int = 4) -> np.ndarray:
    """Bridge gaps up to ``bridge`` frames (codec dropouts) and drop runs under ``shortest`` frames."""
    out = mask.copy()
    runs = _runs(mask)
    for (_, end), (start, _) in zip(runs, runs[1:]):
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
    guard = int(round(2 * unit * RATE / HOP))
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
    on = (env >= peak * 10 ** (-ON_DB / 10)) & (env >= median * 10 ** (TONAL_DB / 10)) & (env >= loudest * 10 ** (-DOMINANT_DB / 10)) & loud_enough
    hits: list[RhythmHit] = []
    for column in np.flatnonzero(on.any(axis=0)):
        runs = _runs(_clean(on[:, column]))
        for i in range(len(runs) - 3):
            found = _match(runs, i, env[:, column])
            if found:
                unit, error, start = found
                span = sub[runs[i][0] : runs[i + 3][1], max(0, column - 2) : column + 3].mean(axis=0)
                true_column = max(0, column - 2) + int(np.argmax(span))
                hits.append(RhythmHit(start, start + PATTERN_UNITS * unit, unit, float(freqs[band[true_column]]), error, float(span.max())))
    hits.sort(key=lambda h: -h.level)
    distinct: list[RhythmHit] = []
    for hit in hits:  # one hit per tone (neighbouring bins see the same pattern)
        if not any(abs(hit.start - d.start) < d.unit for d in distinct):
            distinct.append(hit)
    return distinct


# --- our own voice clip ---------------------------------------------------------------------------

BAND_EDGES = (100.0, 7000.0, 33)  # geometric band edges of the voice features: low Hz, high Hz, count


def _band_features(x: np.ndarray) -> np.ndarray:
    power = _stft_power(x)[:: 2]  # 10 ms hop is plenty for speech
    freqs = np.fft.rfftfreq(WIN, 1 / RATE)
    edges = np.geomspace(*BAND_EDGES)
    index = np.digitize(freqs, edges) - 1
    bands = np.stack([power[:, index == b].sum(axis=1) for b in range(len(edges) - 1)], axis=1)
    return np.log10(bands + 1e-10)


def _template_of(samples: np.ndarray) -> np.ndarray:
    feats = _band_features(samples)
    return feats - feats.mean()


@functools.lru_cache(maxsize=1)
def _espeak_template() -> np.ndarray | None:
    return _template_of(espeak_voice(RATE)) if espeak_path() is not None else None


@functools.lru_cache(maxsize=32)
def _clip_template(path: str, mtime: float) -> np.ndarray | None:
    try:
        return _template_of(clip_voice(path, RATE))
    except LabelerError:
        return None


#: Voice clips labeler was given in this process (``Notice.voice_clip``): they count as ours.
_REGISTERED: dict[str, None] = {}


def register_voice_clip(path: str | Path) -> None:
    """Let ``find_voice`` recognise a user's clip (the labelling run verifies its own output)."""
    _REGISTERED[str(Path(path).resolve())] = None


def _clip_paths() -> list[str]:
    configured = [p for p in os.environ.get(VOICE_CLIPS_ENV, "").split(os.pathsep) if p]
    return list(dict.fromkeys(list(_REGISTERED) + configured))


def voice_templates() -> list[tuple[str, np.ndarray]]:
    """(name, template) of every voice notice we can recognise: espeak-ng's and the known clips."""
    found: list[tuple[str, np.ndarray]] = []
    espeak = _espeak_template()
    if espeak is not None:
        found.append(("espeak-ng 人工智能生成", espeak))
    for path in _clip_paths():
        try:
            template = _clip_template(path, os.stat(path).st_mtime)
        except OSError:
            continue
        if template is not None:
            found.append((f"clip {Path(path).name}", template))
    return found


def voice_available() -> bool:
    return espeak_path() is not None or bool(_clip_paths())


def _best_match(feats: np.ndarray, template: np.ndarray) -> tuple[float, int]:
    n = len(template)
    t_norm = np.linalg.norm(template)
    best, best_at = -1.0, 0
    windows = np.lib.stride_tricks.sliding_window_view(feats, (n, feats.shape[1]))[:, 0]
    for at in range(len(windows)):
        window = windows[at] - windows[at].mean()
        score = float(np.sum(window * template) / (np.linalg.norm(window) * t_norm + 1e-12))
        if score > best:
            best, best_at = score, at
    return best, best_at


def find_voice(samples: np.ndarray) -> tuple[float, float, float, str] | None:
    """(start s, end s, correlation, which) of a voice notice we know, in mono 16 kHz samples."""
    feats = _band_features(samples)
    for name, template in voice_templates():
        if len(feats) < len(template):
            continue
        best, best_at = _best_match(feats, template)
        if best >= VOICE_MATCH:
            start = best_at * 2 * HOP / RATE
            return start, start + len(template) * 2 * HOP / RATE, best, name
    return None


# --- could a voice notice be here? -----------------------------------------------------------------


STEADY_WIN = 1024  # 64 ms: ~16 Hz resolution for the dominant low partial
STEADY_RUN = 10  # frames of 10 ms: a partial held this long is a note, not a syllable
STEADY_MAX = 0.8  # held notes in at least this share of sounding frames: music, not speech


def steady_pitch_ratio(x: np.ndarray) -> float:
    """Share of sounding frames whose strongest partial (80-1000 Hz) holds still for >= 100 ms.

    Held notes make music score ~0.8-0.95; speech glides (syllables, tones): ~0-0.15; speech over
    quieter music ~0.65-0.8 (measured on espeak-ng speech and generated melodies)."""
    if len(x) < STEADY_WIN:
        return 0.0
    hop = RATE // 100
    frames = 1 + (len(x) - STEADY_WIN) // hop
    index = np.arange(STEADY_WIN)[None, :] + hop * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(x[index] * np.hanning(STEADY_WIN), axis=1)) ** 2
    freqs = np.fft.rfftfreq(STEADY_WIN, 1 / RATE)
    band = power[:, (freqs >= 80) & (freqs <= 1000)]
    energy = band.sum(axis=1)
    sounding = energy > energy.max() * 1e-3
    if not sounding.any():
        return 0.0
    peak = np.argmax(band, axis=1)
    held = np.zeros(frames, dtype=bool)
    for start, end in _runs(np.concatenate(([False], peak[1:] == peak[:-1])) & sounding):
        if end - start >= STEADY_RUN:
            held[start - 1 : end] = True
    return float(held[sounding].mean())


def speech_like(samples: np.ndarray) -> bool:
    """Several syllable-like, non-tonal bursts within 3 s whose pitch is not held like notes
    (see the module docstring)."""
    if len(samples) < RATE // 2:  # under half a second: no room for four syllables
        return False
    power = _stft_power(samples)[::2]
    freqs = np.fft.rfftfreq(WIN, 1 / RATE)
    band = power[:, (freqs >= 100) & (freqs <= 4000)]
    total = band.sum(axis=1) + 1e-12
    energy_db = 10 * np.log10(total)
    floor = np.percentile(energy_db, 10)
    active = (energy_db > floor + 12) & (energy_db > 10 * np.log10(WIN * 1e-5))
    top3 = np.sort(band, axis=1)[:, -3:].sum(axis=1) / total
    broadband = active & (top3 < 0.7)
    smooth = np.convolve(energy_db, np.ones(5) / 5, mode="same")
    nuclei = [
        i for i in range(1, len(smooth) - 1)
        if broadband[i] and smooth[i] >= smooth[i - 1] and smooth[i] > smooth[i + 1]
        and smooth[i] - smooth[max(0, i - 15) : i + 16].min() >= 6
    ]
    spaced: list[int] = []
    for i in nuclei:
        if not spaced or i - spaced[-1] >= 10:  # 100 ms apart
            spaced.append(i)
    bursts = any(spaced[k + 3] - spaced[k] <= 300 for k in range(len(spaced) - 3))  # 4 within 3 s
    return bursts and steady_pitch_ratio(samples) < STEADY_MAX
