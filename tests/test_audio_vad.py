"""Voice activity (``labeler.detect.speech``): speech is told from tones, beeps, Morse letters and
music made by sox, and espeak-ng speech (Mandarin, English) is speech; the adapters call an edge of
non-speech sound ``absent`` and speech ``unknown`` (no recogniser). The slow test measures accuracy
on a generated set and prints it."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path

import pytest
import soundfile

from labeler import Presence
from labeler.detect.rhythm import to_analysis
from labeler.detect.speech import VoiceActivity, voice_activity
from labeler.registry import sniff

from . import audio_gen
from .audio_gen import concat, morse, sox, speech, tone

pytestmark = pytest.mark.skipif(shutil.which("sox") is None or shutil.which("espeak-ng") is None, reason="needs sox and espeak-ng")


def activity(path: Path) -> VoiceActivity:
    data, rate = soundfile.read(str(path), always_2d=True)
    return voice_activity(to_analysis(data, rate))


def _non_speech(tmp: Path) -> dict[str, Path]:
    (tmp / "parts").mkdir()
    parts = tmp / "parts"
    plucks = [
        sox(parts / f"n{k}.wav", "synth", "0.3", "pluck", note, "vol", "0.5")
        for k, note in enumerate(["C4", "E4", "G4", "C5", "G4", "E4", "D4", "F4", "A4"])
    ]
    return {
        "tone 440 Hz": concat([tone(parts / "t.wav", 4, "sine", 440, 0.5)], tmp / "tone.wav"),
        "square tone 1 kHz": concat([tone(parts / "sq.wav", 3, "square", 1000, 0.4)], tmp / "square.wav"),
        "single beep": concat([tone(parts / "b.wav", 0.25, "sine", 1000, 0.5)], tmp / "beep.wav", (1.0, 2.0)),
        "beep train": concat(
            [tone(parts / "d.wav", 0.08, "sine", 880, 0.5), sox(parts / "g.wav", "trim", "0", "0.12")] * 12, tmp / "train.wav"
        ),
        "Morse S": morse(parts, tmp / "s.wav", "...", 0.1, freq=880),
        "Morse Z": morse(parts, tmp / "z.wav", "--..", 0.08, "sawtooth", 700),
        "Morse SOS": morse(parts, tmp / "sos.wav", "... --- ...", 0.06, "square", 1200),
        "sox chords": sox(
            tmp / "chords.wav",
            "synth",
            "1",
            "pluck",
            "C4",
            "pluck",
            "E4",
            "pluck",
            "G4",
            ":",
            "synth",
            "1",
            "pluck",
            "F4",
            "pluck",
            "A4",
            "pluck",
            "C5",
            ":",
            "synth",
            "1",
            "pluck",
            "G4",
            "pluck",
            "B4",
            "pluck",
            "D5",
        ),
        "sox melody": concat(plucks, tmp / "melody.wav"),
    }


@pytest.mark.parametrize(
    "what",
    ["今天北京晴，最高气温二十五度，明天有小雨。", "本节目由人工合成", "this was AI generated", "Thank you for listening to our show."],
)
def test_espeak_speech_is_speech(what: str, tmp_path: Path) -> None:
    voice = "en" if what.isascii() else "cmn"
    found = activity(concat([speech(tmp_path / "s.wav", what, voice)], tmp_path / "talk.wav"))
    assert found.speech, found


def test_tones_beeps_morse_and_music_are_not_speech(tmp_path: Path) -> None:
    wrong = {name: activity(path) for name, path in _non_speech(tmp_path).items()}
    wrong = {name: a for name, a in wrong.items() if a.speech}
    assert not wrong, wrong


def test_edges_of_tones_are_absent_and_speech_unknown(tmp_path: Path) -> None:
    """The adapter's decision: no notice and no speech is ``absent``; speech is ``unknown``."""
    clips = _non_speech(tmp_path)
    for name in ("single beep", "beep train", "Morse S", "Morse Z", "sox melody"):
        found = sniff(clips[name]).adapter.detect_explicit(clips[name])
        assert found.state is Presence.ABSENT, (name, found)
        assert "voice_activity" in found.detail
    talk = concat([speech(tmp_path / "s.wav", "Good morning, here are the headlines.", "en")], tmp_path / "talk.wav")
    found = sniff(talk).adapter.detect_explicit(talk)
    assert found.state is Presence.UNKNOWN and found.detail["speech"] == ["start"], found


@pytest.mark.slow
def test_accuracy_on_a_generated_set(tmp_path: Path) -> None:
    """84 clips, 12 of each of tone, beep, beep train, Morse letter, music, speech, speech over music."""
    clips = audio_gen.generate(tmp_path, seed=int(random.Random(13).random() * 1000), count=84)
    right: Counter[str] = Counter()
    wrong = []
    for path, kind, what in clips:
        found = activity(path)
        if found.speech == (kind in audio_gen.SPEECH_KINDS):
            right[kind] += 1
        else:
            wrong.append(f"{kind}: {what} -> {found}")
    accuracy = sum(right.values()) / len(clips)
    print(f"voice activity: {sum(right.values())}/{len(clips)} right ({accuracy:.1%}); per class {dict(sorted(right.items()))}")
    assert accuracy >= 0.97, wrong
    assert all(right[k] == 12 for k in ("tone", "beep", "train", "morse")), wrong  # never "maybe a voice notice"
