"""labeler's own spoken notice, proven by its waveform (a receipt, no speech recognition).

A spoken notice counts only when its words are known. labeler knows the words of the notices it
speaks itself: espeak-ng renders a text that passed the two-element rule (``人工智能生成`` by default,
or the notice text given in this process), and espeak-ng is deterministic for a given version. So
the rendering is re-made here and searched for in the edge window by normalised cross-correlation
of the *waveforms* (a matched filter). The same words spoken by anyone else, by espeak-ng at another
speed, or any other speech in the same voice do not match: measured on espeak-ng Mandarin and
English speech, melodies and chords, the best score of anything that is not our rendering was 0.19;
our notice scores >= 0.94 when prepended (WAV, FLAC, MP3, AAC, Vorbis, Opus) and ~0.67-0.83 when
mixed over content ducked by 12 dB. ``RECEIPT_MATCH`` sits between the two.

What this cannot prove: a user's own voice clip, or a notice spoken by another tool. Those need a
speech recogniser (``detect.asr``): its transcript is judged by the shared notice rule
(``judge_spoken``); without one the spoken content is reported as undecided.
An espeak-ng of another version renders differently, so a file labelled elsewhere may not match:
undecided again, never present.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..adapters.textnotice import Candidate, judge
from ..errors import LabelerError
from ..lazy import lazy_module
from ..model import Evidence
from ..notice import is_compliant_text
from ..render.cue import VOICE_TEXT, espeak_path, espeak_voice
from .rhythm import RATE

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

RECEIPT_MATCH = 0.5  # waveform correlation with our rendering; other speech scored <= 0.19

#: Texts labeler speaks with espeak-ng: the default, and any notice text spoken in this process.
_SPOKEN: dict[str, None] = {VOICE_TEXT: None}


def register_spoken_text(text: str) -> None:
    """Let ``find_own_voice`` look for ``text`` as spoken by labeler (the labelling run verifies its output)."""
    if is_compliant_text(text):
        _SPOKEN[text] = None


@functools.lru_cache(maxsize=8)
def _rendering(text: str) -> np.ndarray | None:
    try:
        return espeak_voice(RATE, text)
    except LabelerError:  # espeak-ng missing or failing: no receipt, never a false "present"
        return None


def best_alignment(x: np.ndarray, template: np.ndarray) -> tuple[float, int]:
    """(normalised cross-correlation, sample offset) of ``template`` at its best place in ``x``."""
    if len(x) < len(template):
        x = np.pad(x, (0, len(template) - len(x)))
    size = 1 << (len(x) + len(template) - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(template, size)), size)[: len(x) - len(template) + 1]
    cumulative = np.concatenate(([0.0], np.cumsum(x * x)))
    energy = cumulative[len(template) :] - cumulative[: len(x) - len(template) + 1]
    score = corr / (np.sqrt(np.maximum(energy, 1e-12)) * (np.linalg.norm(template) + 1e-12))
    at = int(np.argmax(score))
    return float(score[at]), at


def find_own_voice(samples: np.ndarray) -> tuple[float, float, float, str] | None:
    """(start s, end s, correlation, text) of a spoken notice labeler rendered, in mono 16 kHz samples."""
    if espeak_path() is None:
        return None
    for text in list(_SPOKEN):
        template = _rendering(text)
        if template is None or not len(template):
            continue
        score, at = best_alignment(samples, template)
        if score >= RECEIPT_MATCH:
            return at / RATE, (at + len(template)) / RATE, score, text
    return None


# --- spoken content through a recogniser ----------------------------------------------------------


@dataclass(frozen=True)
class Heard:
    """One utterance a recogniser transcribed: which edge, when (s, in the file), what."""

    edge: str
    start: float
    end: float
    text: str


def judge_spoken(heard: list[Heard], recogniser: str) -> Evidence:
    """Evidence from what a recogniser heard, by the shared notice rule (``labeler.noticerule``):
    each utterance is one unit. A notice is PRESENT; an English-only notice or an attempt lacking
    an element is PRESENT with an error; speech without a notice is ABSENT (the words were heard)."""
    candidates = [
        Candidate(
            h.text,
            h.edge,
            {
                h.edge: {
                    "cue": "voice",
                    "method": "speech recognition",
                    "recogniser": recogniser,
                    "transcript": h.text,
                    "start_s": round(h.start, 3),
                    "end_s": round(h.end, 3),
                }
            },
        )
        for h in heard
    ]
    said = "; ".join(f"{h.edge} {h.start:.1f}-{h.end:.1f} s: {h.text!r}" for h in heard if h.text.strip()) or "no words"
    return judge(candidates, f"no rhythm notice, and no spoken notice in the speech recognised by {recogniser} ({said})")
