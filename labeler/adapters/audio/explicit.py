"""The audible notice for every audio container: where it goes, how it is mixed, how it is found.

Containers hand this module a stream of float64 sample blocks ``(frames, channels)`` and get the
stream back with the cue in it, so a one-hour file never sits in memory: only the first and last
``LEVEL_S`` seconds are buffered (to measure the loudness the cue must match, and to place an
``end`` cue without knowing the length in advance).

``cue_mode``: ``prepend`` puts cue + ``GAP_S`` of silence before the content (or after it, for an
``end`` cue) and masks nothing; ``overlay`` mixes the cue over the first (last) seconds, ducking the
content by 12 dB under it so the cue stays clear and the sum cannot clip; the length is unchanged
unless the content is shorter than the cue.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...detect import asr
from ...detect.rhythm import EDGE_S, RATE, find_rhythm, to_analysis
from ...detect.speech import utterances, voice_activity
from ...detect.voice import Heard, find_own_voice, judge_spoken, register_spoken_text
from ...errors import BackendMissingError, InputError, LabelFormatError
from ...lazy import lazy_module
from ...model import Evidence, Presence
from ...notice import Notice
from ...render.cue import GAP_S, cue_peak, morse_cue, voice_cue
from .common import Rewrite

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

POSITIONS = ("start", "end", "both")
MODES = ("prepend", "overlay")
CUES = ("morse", "voice")
LEVEL_S = 10.0
DUCK = 10 ** (-12 / 20)
TAIL_PAD_S = 0.25  # silence after an end cue, so codec padding never clips it
RAMP_S = 0.02


@dataclass(frozen=True)
class CuePlan:
    """A validated notice request for audio."""

    position: str
    mode: str
    cue: str
    text: str
    clip: str | None

    @classmethod
    def of(cls, notice: Notice) -> CuePlan:
        position = notice.position or "start"
        for value, allowed, what in ((position, POSITIONS, "position"), (notice.cue_mode, MODES, "cue mode"), (notice.cue, CUES, "cue")):
            if value not in allowed:
                raise LabelFormatError(f"audio notice {what} {value!r} is not supported; use one of {', '.join(allowed)}")
        if notice.cue == "voice" and notice.voice_clip and not asr.in_use():
            raise BackendMissingError(
                f"the words of the voice clip {notice.voice_clip!r} cannot be checked without a speech recogniser, so the result could not be "
                f"verified; use the default spoken notice (espeak-ng) or the Morse cue, or {asr.INSTALL_HINT}"
            )
        return cls(position, notice.cue_mode, notice.cue, notice.text_for("audio"), notice.voice_clip)

    def make_cue(self, context: np.ndarray, sample_rate: int) -> np.ndarray:
        """The mono cue, its level set from the content next to it."""
        peak = cue_peak(context, sample_rate)
        if self.cue == "voice" and not self.clip:
            register_spoken_text(self.text)  # so this run's verify finds the rendering (a receipt)
        if self.cue == "voice":
            return voice_cue(sample_rate, peak=peak, clip=self.clip, text=self.text)
        return morse_cue(sample_rate, peak=peak)

    def rewrite(self) -> Rewrite:
        """The cue as a ``Rewrite`` for the containers' write paths."""
        return Rewrite(lambda blocks, sample_rate, channels: with_cue(blocks, sample_rate, channels, self), self.lead_in)

    def lead_in(self, sample_rate: int) -> float:
        """Seconds the content moves later in the output (a prepended start cue and its gap), so
        chapter marks can move with it; the cue's length does not depend on its level."""
        if self.mode != "prepend" or self.position == "end":
            return 0.0
        return (len(self.make_cue(np.zeros((0, 1)), sample_rate)) + int(GAP_S * sample_rate)) / sample_rate


def _ramp_gain(n: int, start: int, stop: int, sample_rate: int) -> np.ndarray:
    """Gain DUCK over [start, stop), 1 away from it, with short ramps outside the span (no clicks)."""
    gain = np.ones(n)
    ramp = max(1, int(RAMP_S * sample_rate))
    gain[max(0, start - ramp) : stop + ramp] = DUCK  # the smoothing below eats one ramp each side
    kernel = np.ones(ramp) / ramp
    return np.convolve(np.pad(gain, ramp, mode="edge"), kernel, mode="same")[ramp:-ramp]


def _put(x: np.ndarray, cue: np.ndarray, mode: str, at_end: bool, sample_rate: int) -> np.ndarray:
    channels = x.shape[1]
    gap = np.zeros((int(GAP_S * sample_rate), channels))
    spread = np.repeat(cue[:, None], channels, axis=1)
    if mode == "prepend":
        if at_end:
            return np.concatenate([x, gap, spread, np.zeros((int(TAIL_PAD_S * sample_rate), channels))])
        return np.concatenate([spread, gap, x])
    if len(x) < len(cue):
        pad = np.zeros((len(cue) - len(x), channels))
        x = np.concatenate([pad, x]) if at_end else np.concatenate([x, pad])
    start = len(x) - len(cue) if at_end else 0
    out: np.ndarray = x * _ramp_gain(len(x), start, start + len(cue), sample_rate)[:, None]
    out[start : start + len(cue)] += spread
    return out


def _take(blocks: Iterator[np.ndarray], frames: int, channels: int) -> tuple[np.ndarray, bool]:
    """Up to ``frames`` frames from the stream (may overshoot by a block); True if it ended."""
    got: list[np.ndarray] = []
    count = 0
    for block in blocks:
        got.append(block)
        count += len(block)
        if count >= frames:
            return np.concatenate(got), False
    return (np.concatenate(got) if got else np.zeros((0, channels))), True


def with_cue(blocks: Iterable[np.ndarray], sample_rate: int, channels: int, plan: CuePlan) -> Iterator[np.ndarray]:
    """The content stream with the cue placed per ``plan``."""
    level_n = int(LEVEL_S * sample_rate)
    stream = iter(blocks)
    head, ended = _take(stream, 2 * level_n, channels)
    start = plan.position in ("start", "both")
    end = plan.position in ("end", "both")
    if ended:  # short content: everything is in memory already
        out = head
        if end:
            out = _put(out, plan.make_cue(head[-level_n:], sample_rate), plan.mode, True, sample_rate)
        if start:
            out = _put(out, plan.make_cue(head[:level_n], sample_rate), plan.mode, False, sample_rate)
        yield out
        return
    first, rest = head[:level_n], head[level_n:]
    yield _put(first, plan.make_cue(first, sample_rate), plan.mode, False, sample_rate) if start else first
    tail: deque[np.ndarray] = deque([rest])
    held = len(rest)
    for block in stream:
        tail.append(block)
        held += len(block)
        while held - len(tail[0]) >= level_n:
            held -= len(tail[0])
            yield tail.popleft()
    last = np.concatenate(list(tail))
    yield _put(last, plan.make_cue(last[-level_n:], sample_rate), plan.mode, True, sample_rate) if end else last


# --- detection --------------------------------------------------------------------------------------


def detect(windows: list[tuple[float, np.ndarray]], duration: float) -> Evidence:
    """Evidence from the edge windows, each (offset s, mono 16 kHz samples); see ``detect.rhythm``."""

    def side(start: float, end: float) -> str:
        return "start" if start <= duration - end else "end"

    found: dict[str, dict[str, object]] = {}
    for offset, samples in windows:
        for hit in find_rhythm(samples)[:2]:
            found.setdefault(side(hit.start + offset, hit.end + offset), {"cue": "morse", **hit.as_detail(offset)})
        voice = find_own_voice(samples) if not found else None
        if voice is not None:
            start, end, correlation, words = voice
            detail = {
                "cue": "voice",
                "method": "receipt",
                "words": words,
                "start_s": round(start + offset, 3),
                "end_s": round(end + offset, 3),
                "correlation": round(correlation, 3),
            }
            found.setdefault(side(start + offset, end + offset), detail)
    if found:
        where = "+".join(sorted(found, key=POSITIONS.index))
        first = found[min(found, key=POSITIONS.index)]
        if first["cue"] == "morse":
            summary = f"Morse rhythm '.- ..' (AI) at the {where}, unit {first['unit_ms']} ms, {first['freq_hz']} Hz"
            text = "short-long-short-short"
        else:
            summary, text = (
                f"labeler's spoken notice {first['words']!r} (espeak-ng rendering found by waveform) at the {where}",
                str(first["words"]),
            )
        return Evidence(Presence.PRESENT, summary, text=text, where=where, detail=found)
    checked = f"first/last {EDGE_S:.0f} s" if len(windows) > 1 else "whole file"
    activity = {name: voice_activity(samples) for name, (_, samples) in zip(("start", "end"), windows, strict=False)}
    measures = {name: a.as_detail() for name, a in activity.items()}
    speechy = [name for name, a in activity.items() if a.speech]
    recogniser = asr.recogniser() if speechy else None
    if recogniser is not None:
        heard = [
            Heard(name, offset + start, offset + end, recogniser.transcribe(samples[int(start * RATE) : int(end * RATE)]))
            for name, (offset, samples) in zip(("start", "end"), windows, strict=False)
            if name in speechy
            for start, end in utterances(samples)
        ]
        return judge_spoken(heard, recogniser.name)
    if speechy:
        return Evidence(
            Presence.UNKNOWN,
            "no rhythm notice; speech near the "
            + "+".join(speechy)
            + " may be a voice notice, which cannot be checked without an offline speech recogniser"
            f" ({asr.ENV} / --asr-model)",
            where="+".join(speechy),
            detail={"checked": checked, "speech": speechy, "voice_activity": measures},
        )
    return Evidence(
        Presence.ABSENT,
        f"no rhythm notice and no speech in the {checked} (tones, music or silence only)",
        detail={"checked": checked, "voice_activity": measures},
    )


def edge_windows(duration: float, read: Callable[[float, float], np.ndarray]) -> list[tuple[float, np.ndarray]]:
    """The start and end windows (one when the file is short); ``read(start, length)`` gives mono 16 kHz."""
    if duration <= 2 * EDGE_S:
        return [(0.0, read(0.0, duration + 1.0))]
    tail_at = max(0.0, duration - EDGE_S)
    return [(0.0, read(0.0, EDGE_S)), (tail_at, read(tail_at, EDGE_S + 1.0))]


def soundfile_evidence(path: Path, kind: str) -> Evidence:
    """``detect`` over the edges of anything libsndfile decodes (FLAC, OGG, Opus, AIFF), seeking."""
    import soundfile

    if path.stat().st_size == 0:
        raise InputError("the file is empty (0 bytes); re-export or re-download it", path)
    try:
        with soundfile.SoundFile(str(path)) as handle:
            rate, frames = handle.samplerate, handle.frames
            duration = frames / rate

            def read(start: float, length: float) -> np.ndarray:
                handle.seek(min(frames, int(start * rate)))
                return to_analysis(handle.read(int(length * rate), dtype="float64", always_2d=True), rate)

            return detect(edge_windows(duration, read), duration)
    except soundfile.LibsndfileError as exc:
        raise InputError(f"cannot decode the {kind} audio ({exc}); the file is corrupt or truncated", path) from exc
