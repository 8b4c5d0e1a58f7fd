"""The audible-notice detectors: Morse rhythm, our voice clip, the speech-or-absent decision, and
the recall / false-positive rates on a generated mixed set (slow)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile

from labeler import Presence
from labeler.detect.rhythm import find_rhythm
from labeler.detect.speech import is_speech
from labeler.detect.voice import find_own_voice
from labeler.registry import sniff
from labeler.render.cue import espeak_voice, morse_cue, morse_segments, morse_units

FFMPEG = shutil.which("ffmpeg")
ESPEAK = shutil.which("espeak-ng")
SR = 22050
NOTES = [196.0 * 2 ** (k / 12) for k in range(24)]


def melody(rng: np.random.Generator, seconds: float, rate: int = SR) -> np.ndarray:
    """Music-like: random notes (often repeated pitches) with harmonics and decays, chords, noise hits."""
    n = int(seconds * rate)
    out = np.zeros(n)
    at = 0
    while at < n:
        length = int(rate * rng.choice([0.1, 0.15, 0.2, 0.3, 0.45, 0.6]))
        freqs = [rng.choice(NOTES)] if rng.random() < 0.7 else list(rng.choice(NOTES, 3))
        t = np.arange(min(length, n - at)) / rate
        for f in freqs:
            out[at : at + len(t)] += sum(np.sin(2 * np.pi * f * h * t) / h for h in (1, 2, 3)) * np.exp(-rng.uniform(1, 6) * t)
        if rng.random() < 0.3:
            out[at : at + min(len(t), 800)] += rng.standard_normal(min(len(t), 800)) * 0.5 * np.exp(-np.arange(min(len(t), 800)) / 200)
        at += length
    return out / np.sqrt(np.mean(out**2) + 1e-12) * 0.1


def speech(text: str, rate: int = SR) -> np.ndarray:
    raw = subprocess.run(
        [ESPEAK or "espeak-ng", "-v", "cmn-latn-pinyin" if any(ord(c) > 0x2E80 for c in text) else "en", "--stdout", text],
        capture_output=True,
        check=True,
    ).stdout
    data, sr = soundfile.read(__import__("io").BytesIO(raw))
    from labeler.render.cue import resample

    return resample(data, sr, rate) * 0.3


def place(total: float, cue: np.ndarray, at: float, under: np.ndarray | None = None, rate: int = SR) -> np.ndarray:
    out = np.zeros(int(total * rate)) if under is None else under[: int(total * rate)].copy()
    start = int(at * rate)
    out[start : start + len(cue)] += cue[: len(out) - start]
    return out


def analysed(x: np.ndarray, rate: int = SR) -> np.ndarray:
    from labeler.detect.rhythm import to_analysis

    return to_analysis(x, rate)


def as_file(tmp: Path, name: str, x: np.ndarray, codec: str, rate: int = SR) -> Path:
    wav = tmp / f"{name}.wav"
    soundfile.write(str(wav), np.clip(x, -1, 1), rate, subtype="PCM_16")
    if codec == "wav":
        return wav
    out = tmp / f"{name}.{codec}"
    args = {"mp3": ["-c:a", "libmp3lame", "-b:a", "128k"], "m4a": ["-c:a", "aac", "-b:a", "96k"]}[codec]
    subprocess.run([FFMPEG or "ffmpeg", "-v", "error", "-y", "-i", str(wav), *args, str(out)], check=True)
    wav.unlink()
    return out


# --- the cue itself -----------------------------------------------------------------------------


def test_morse_timing_is_standard() -> None:
    assert morse_segments() == [(0, 1), (2, 3), (8, 1), (10, 1)]
    assert morse_units() == 11
    cue = morse_cue(8000, peak=0.5)
    assert len(cue) == 11 * 800 and abs(np.abs(cue).max() - 0.5) < 0.01
    assert abs(cue[0]) < 1e-3 and abs(cue[799]) < 0.01  # 5 ms fades: no clicks


@pytest.mark.parametrize("freq, unit", [(300, 0.05), (880, 0.1), (1500, 0.08), (3000, 0.2), (650, 0.15)])
def test_rhythm_of_any_frequency_and_unit(freq: float, unit: float) -> None:
    x = place(6, morse_cue(SR, peak=0.4, unit=unit, freq=freq), 1.3)
    hits = find_rhythm(analysed(x))
    assert hits, (freq, unit)
    assert abs(hits[0].unit - unit) < 0.01 and abs(hits[0].start - 1.3) < 0.03
    assert abs(hits[0].freq - freq) < 40


def test_rhythm_under_music_at_minus_10_db() -> None:
    rng = np.random.default_rng(7)
    cue = morse_cue(SR, peak=0.4, unit=0.09, freq=1100)
    music = melody(rng, 8) * (np.sqrt(np.mean(cue[cue != 0] ** 2)) * 10 ** (-10 / 20) / 0.1)
    assert find_rhythm(analysed(place(8, cue, 2.0, music)))


@pytest.mark.parametrize("what", ["noise", "single-beep", "beep-train", "other-morse", "music", "silence"])
def test_rhythm_does_not_fire(what: str) -> None:
    rng = np.random.default_rng(3)
    signals = {
        "noise": rng.standard_normal(SR * 6) * 0.1,
        "single-beep": place(6, morse_cue(SR, peak=0.4, code="-"), 2),
        "beep-train": place(6, morse_cue(SR, peak=0.4, code=" ".join(["."] * 12)), 0.5),
        "other-morse": place(6, morse_cue(SR, peak=0.4, code=".. .-"), 1),
        "music": melody(rng, 10),
        "silence": np.zeros(SR * 5),
    }
    assert find_rhythm(analysed(signals[what])) == []


@pytest.mark.skipif(ESPEAK is None, reason="espeak-ng not installed")
def test_speech_is_speech_and_not_rhythm() -> None:
    talk = speech("今天天气很好，我们一起去公园散步吧。")
    assert find_rhythm(analysed(talk)) == []
    assert is_speech(analysed(talk))
    assert not is_speech(analysed(place(6, morse_cue(SR, peak=0.4), 1)))
    assert not is_speech(analysed(np.random.default_rng(1).standard_normal(SR * 4) * 0.1))


@pytest.mark.skipif(ESPEAK is None, reason="espeak-ng not installed")
def test_our_voice_rendering_is_found_and_other_speech_is_not() -> None:
    ours = place(8, espeak_voice(SR) * 0.5, 1.0, melody(np.random.default_rng(2), 8) * 0.15)
    found = find_own_voice(analysed(ours))
    assert found is not None and abs(found[0] - 1.0) < 0.05 and found[3] == "人工智能生成"
    # same voice, other words (also the elements without a notice, and the notice at another speed)
    for text in ("人工智能正在改变世界，我们需要了解它。", "本节目由人工合成", "今天北京晴，最高气温二十五度，明天有小雨。"):
        assert find_own_voice(analysed(speech(text))) is None, text
    assert find_own_voice(analysed(melody(np.random.default_rng(5), 8))) is None


# --- the adapters' decisions ---------------------------------------------------------------------


def evidence(path: Path):
    return sniff(path).adapter.detect_explicit(path)


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("codec", ["wav", "mp3", "m4a"])
def test_end_cue_in_a_long_file_is_found_after_reencoding(codec: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    cue = morse_cue(SR, peak=0.35, unit=0.07, freq=2200)
    x = place(40, cue, 40 - 3.0, melody(rng, 40) * 0.5)
    found = evidence(as_file(tmp_path, "end", x, codec))
    assert found.state is Presence.PRESENT and found.where == "end", found
    assert abs(found.detail["end"]["unit_ms"] - 70) < 8


@pytest.mark.skipif(ESPEAK is None, reason="espeak-ng not installed")
def test_unlabelled_speech_is_unknown_not_missing(tmp_path: Path) -> None:
    found = evidence(as_file(tmp_path, "talk", speech("欢迎收听今天的节目，接下来是新闻。"), "wav"))
    assert found.state is Presence.UNKNOWN and "speech recogniser" in found.summary
    assert found.detail["voice_activity"]["start"]["shape_change"] >= 0.08


def test_unlabelled_music_without_speech_is_absent(tmp_path: Path) -> None:
    tone = np.sin(2 * np.pi * 220 * np.arange(SR * 5) / SR) * 0.2
    assert evidence(as_file(tmp_path, "hum", tone, "wav")).state is Presence.ABSENT
    rng = np.random.default_rng(0)
    absent = sum(evidence(as_file(tmp_path, f"m{k}", melody(rng, 12), "wav")).state is Presence.ABSENT for k in range(10))
    assert absent >= 8  # held notes are not syllables


@pytest.mark.skipif(ESPEAK is None, reason="espeak-ng not installed")
@pytest.mark.parametrize("music_db", [-10, -3])
def test_speech_over_music_is_unknown(music_db: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(music_db + 100)
    talk = np.concatenate([speech(s) for s in SENTENCES[:3]])
    level = np.sqrt(np.mean(talk[np.abs(talk) > 0.01] ** 2)) * 10 ** (music_db / 20)
    music = melody(rng, 12) / 0.1 * level
    found = evidence(as_file(tmp_path, "talk", place(12, talk[: 11 * SR], 0.5, music), "wav"))
    assert found.state is Presence.UNKNOWN


# --- recall and false positives on a generated mixed set ------------------------------------------

SENTENCES = [
    "今天天气很好。",
    "欢迎收听节目。",
    "请注意安全。",
    "This is the evening news.",
    "Thank you for listening to our show.",
    "我们明天再见。",
]


def _positive(rng: np.random.Generator, k: int) -> tuple[np.ndarray, str]:
    total = float(rng.uniform(25, 35))
    unit, freq = float(rng.uniform(0.05, 0.2)), float(rng.uniform(300, 3000))
    cue = morse_cue(SR, peak=0.35, unit=unit, freq=freq)
    span = len(cue) / SR
    at = float(rng.uniform(0, 8.5 - span)) if k % 2 == 0 else total - float(rng.uniform(span + 0.2, 8.5))
    under = None
    if k % 3 != 0:  # two thirds with music 10 dB below the cue
        under = melody(rng, total) * (0.35 / np.sqrt(2) * 10 ** (-10 / 20) / 0.1)
    return place(total, cue, at, under), f"unit={unit:.3f} freq={freq:.0f} at={at:.1f}"


def _negative(rng: np.random.Generator, k: int) -> tuple[np.ndarray, str]:
    kind = ["music", "speech", "beep", "noise", "morse-other", "speech+music", "beep-train"][k % 7]
    total = 12.0
    if kind == "music":
        return melody(rng, total), kind
    if kind in ("speech", "speech+music"):
        talk = np.concatenate([speech(str(rng.choice(SENTENCES))) for _ in range(3)])
        base = melody(rng, total) * 0.5 if kind == "speech+music" else np.zeros(int(total * SR))
        return place(total, talk[: int((total - 1) * SR)], 0.5, base), kind
    if kind == "beep":
        return place(
            total,
            morse_cue(SR, peak=0.4, unit=float(rng.uniform(0.05, 0.6)), freq=float(rng.uniform(300, 3000)), code="."),
            2,
            melody(rng, total) * 0.3,
        ), kind
    if kind == "noise":
        return rng.standard_normal(int(total * SR)) * 0.1, kind
    code = str(rng.choice([".. .-", "...", "-.-", "-- ..", ". -", "... ---", ".-.-"]))
    if kind == "beep-train":
        code = " ".join(["."] * int(rng.integers(5, 15)))
    return place(
        total,
        morse_cue(SR, peak=0.4, unit=float(rng.uniform(0.05, 0.2)), freq=float(rng.uniform(300, 3000)), code=code),
        1,
        melody(rng, total) * 0.2,
    ), f"{kind} {code}"


@pytest.mark.slow
@pytest.mark.skipif(FFMPEG is None or ESPEAK is None, reason="needs ffmpeg and espeak-ng")
def test_recall_and_false_positive_rate(tmp_path: Path) -> None:
    rng = np.random.default_rng(2025)
    codecs = ["wav", "mp3", "m4a"]
    misses, false_hits = [], []
    positives = negatives = 84
    for k in range(positives):
        x, what = _positive(rng, k)
        found = evidence(as_file(tmp_path, f"p{k}", x, codecs[k % 3]))
        if found.state is not Presence.PRESENT:
            misses.append(f"{codecs[k % 3]} {what}: {found.summary}")
    for k in range(negatives):
        x, what = _negative(rng, k)
        found = evidence(as_file(tmp_path, f"n{k}", x, codecs[k % 3]))
        if found.state is Presence.PRESENT:
            false_hits.append(f"{codecs[k % 3]} {what}: {found.summary}")
    recall = 1 - len(misses) / positives
    fp_rate = len(false_hits) / negatives
    print(f"recall {recall:.3f} ({positives - len(misses)}/{positives}), false positives {fp_rate:.3f} ({len(false_hits)}/{negatives})")
    assert recall >= 0.95, misses
    assert fp_rate <= 0.02, false_hits
