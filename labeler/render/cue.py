"""Audible notices: the Morse rhythm cue "AI" (``.-`` ``..``) and the spoken 人工智能生成.

GB 45438 names the rhythm "short-long-short-short" without timing; we use standard Morse timing
(dot 1 unit, dash 3, gap inside a letter 1, between letters 3) with a 100 ms unit, a clean 880 Hz
sine and 5 ms raised-cosine fades (no clicks). Its level follows the content's loudness next to
where it goes: about 3 dB above the content's active RMS, never below -20 dBFS (audible over quiet
content) and never above -4.4 dBFS peak (it cannot clip, and overlay mixing ducks the content).

The voice cue comes from ``espeak-ng -v cmn-latn-pinyin`` (that voice pronounces the characters as
Mandarin; plain ``cmn`` reads tone digits in English) at ~150 characters/minute, or from a
user-supplied clip. Everything is mono float64 in [-1, 1]; callers spread it over channels.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BackendMissingError, InputError
from ..lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

MORSE_AI = ".- .."
UNIT_S = 0.100
TONE_HZ = 880.0
FADE_S = 0.005
GAP_S = 0.5  # silence between the cue and the content
MIN_PEAK, MAX_PEAK, DEFAULT_PEAK = 0.1, 0.6, 0.35
HEADROOM_DB = 3.0
VOICE_TEXT = "人工智能生成"
ESPEAK_VOICE = "cmn-latn-pinyin"
ESPEAK_WPM = 150  # espeak "words" here are syllables: 6 characters in ~2.4 s = 150 chars/min
ESPEAK_HINT = "apt-get install espeak-ng (or give your own clip: voice_clip under [cue] in labeler.toml)"
MAX_CLIP_S = 30.0
#: Morse element -> (on units, off units after it inside a letter).
_ELEMENT_UNITS = {".": 1, "-": 3}


def morse_segments(code: str = MORSE_AI) -> list[tuple[int, int]]:
    """(start unit, length in units) of every tone in ``code`` (letters separated by spaces)."""
    segments: list[tuple[int, int]] = []
    cursor = 0
    for letter_index, letter in enumerate(code.split()):
        if letter_index:
            cursor += 2  # a letter gap is 3 units; 1 was already added after the last element
        for element in letter:
            length = _ELEMENT_UNITS[element]
            segments.append((cursor, length))
            cursor += length + 1
    return segments


def morse_units(code: str = MORSE_AI) -> int:
    start, length = morse_segments(code)[-1]
    return start + length


def _tone(n: int, sample_rate: int, freq: float, phase0: float = 0.0) -> np.ndarray:
    t = np.arange(n, dtype=np.float64) / sample_rate
    tone = np.sin(2 * np.pi * freq * t + phase0)
    fade = min(round(FADE_S * sample_rate), n // 2)
    if fade > 0:
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
        tone[:fade] *= ramp
        tone[n - fade :] *= ramp[::-1]
    return tone


def morse_cue(
    sample_rate: int, *, peak: float = DEFAULT_PEAK, unit: float = UNIT_S, freq: float = TONE_HZ, code: str = MORSE_AI
) -> np.ndarray:
    """The rhythm cue as mono samples (no leading or trailing silence)."""
    if not 0.0 < freq < sample_rate / 2:
        raise ValueError(f"tone {freq} Hz does not fit a {sample_rate} Hz sample rate")
    unit_n = round(unit * sample_rate)
    out = np.zeros(morse_units(code) * unit_n, dtype=np.float64)
    for start, length in morse_segments(code):
        out[start * unit_n : (start + length) * unit_n] = _tone(length * unit_n, sample_rate, freq)
    return out * peak


def active_rms(samples: np.ndarray, sample_rate: int) -> float | None:
    """RMS of the non-silent 50 ms frames of mono or (frames, channels) samples; None if all silent."""
    mono = samples if samples.ndim == 1 else samples.mean(axis=1)
    frame = max(1, int(sample_rate * 0.05))
    count = len(mono) // frame
    if count == 0:
        return None
    power = np.mean(mono[: count * frame].reshape(count, frame) ** 2, axis=1)
    loudest = float(power.max())
    if loudest < 1e-7:  # below -70 dBFS: silence
        return None
    active = power[power >= loudest * 1e-3]  # within 30 dB of the loudest frame
    return float(np.sqrt(active.mean()))


def cue_peak(content: np.ndarray, sample_rate: int) -> float:
    """The cue's peak amplitude for content next to it: ~3 dB louder, clamped to an audible, safe range."""
    rms = active_rms(content, sample_rate)
    if rms is None:
        return DEFAULT_PEAK
    peak = rms * np.sqrt(2) * 10 ** (HEADROOM_DB / 20)
    return float(np.clip(peak, MIN_PEAK, MAX_PEAK))


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited (FFT) resampling of a short mono clip."""
    if rate_in == rate_out or len(samples) == 0:
        return samples.astype(np.float64)
    n_out = round(len(samples) * rate_out / rate_in)
    spectrum = np.fft.rfft(samples)
    bins = n_out // 2 + 1
    spectrum = spectrum[:bins] if len(spectrum) >= bins else np.pad(spectrum, (0, bins - len(spectrum)))
    return np.fft.irfft(spectrum, n_out) * (n_out / len(samples))


def espeak_path() -> str | None:
    return shutil.which("espeak-ng")


@functools.lru_cache(maxsize=4)
def _espeak(text: str) -> tuple[bytes, int]:
    binary = espeak_path()
    if binary is None:
        raise BackendMissingError(f"the voice notice needs espeak-ng, which is not installed; {ESPEAK_HINT}")
    result = subprocess.run([binary, "-v", ESPEAK_VOICE, "-s", str(ESPEAK_WPM), "--stdout", text], capture_output=True, check=False)
    if result.returncode != 0 or not result.stdout.startswith(b"RIFF"):
        raise BackendMissingError(f"espeak-ng failed ({result.stderr.decode(errors='replace').strip()[-200:]}); {ESPEAK_HINT}")
    import soundfile

    data, rate = soundfile.read(io.BytesIO(result.stdout), dtype="float64")
    return np.asarray(data, dtype=np.float64).tobytes(), int(rate)


def espeak_voice(sample_rate: int, text: str = VOICE_TEXT) -> np.ndarray:
    """``text`` spoken by espeak-ng, normalised to peak 1, at ``sample_rate``."""
    raw, rate = _espeak(text)
    voice = np.frombuffer(raw, dtype=np.float64)
    voice = voice[np.nonzero(np.abs(voice) > 1e-3)[0][0] :] if np.any(np.abs(voice) > 1e-3) else voice
    return _normalised(resample(voice, rate, sample_rate))


def _normalised(samples: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    return samples / peak if peak > 0 else samples


def clip_voice(path: str | Path, sample_rate: int) -> np.ndarray:
    """A user-supplied voice clip (any format soundfile or ffmpeg reads), mono, peak 1."""
    import soundfile

    path = Path(path)
    try:
        with soundfile.SoundFile(str(path)) as handle:
            if handle.frames > MAX_CLIP_S * handle.samplerate:
                raise InputError(f"the voice clip is longer than {MAX_CLIP_S:.0f} s; use a short spoken notice", path)
            data = handle.read(dtype="float64", always_2d=True)
            rate = handle.samplerate
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise InputError(f"cannot read the voice clip ({exc}); give a WAV, FLAC or OGG file", path) from exc
    return _normalised(resample(data.mean(axis=1), rate, sample_rate))


def voice_cue(sample_rate: int, *, peak: float, clip: str | Path | None = None, text: str = VOICE_TEXT) -> np.ndarray:
    """The spoken notice at ``peak`` amplitude: the user's clip, else ``text`` spoken by espeak-ng."""
    voice = clip_voice(clip, sample_rate) if clip else espeak_voice(sample_rate, text)
    return voice * peak
