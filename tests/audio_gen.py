"""Labelled audio clips made by independent tools: sox (tones, beeps, beep trains, Morse letters,
chords, melodies) and espeak-ng (Mandarin and English speech), optionally with a noise floor or an
MP3 round trip through ffmpeg. Used by the voice-activity tests to measure speech/non-speech accuracy."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile

SOX = shutil.which("sox")
ESPEAK = shutil.which("espeak-ng")
FFMPEG = shutil.which("ffmpeg")
KINDS = ("tone", "beep", "train", "morse", "music", "speech", "speechmusic")
SPEECH_KINDS = ("speech", "speechmusic")
NOTES = ("C4", "D4", "E4", "F4", "G4", "A4", "B4", "C5", "D5", "E5", "G3", "A3")
#: Morse letters that are not "AI" (".- .."), including "AI" reversed.
LETTERS = {
    "S": "...",
    "Z": "--..",
    "O": "---",
    "K": "-.-",
    "E": ".",
    "T": "-",
    "N": "-.",
    "M": "--",
    "R": ".-.",
    "U": "..-",
    "H": "....",
    "V": "...-",
    "IA": ".. .-",
    "SOS": "... --- ...",
}
ZH = (
    "今天北京晴，最高气温二十五度，明天有小雨。",
    "本节目由人工合成",
    "欢迎收听今天的节目，接下来是新闻。",
    "请注意安全，我们明天再见。",
    "人工智能正在改变世界，我们需要了解它。",
    "这首歌献给所有的朋友。",
    "下面请听天气预报。",
    "感谢您的收听。",
)
EN = (
    "this was AI generated",
    "Thank you for listening to our show.",
    "The weather today is sunny with a light breeze.",
    "Good morning, here are the headlines.",
    "Please fasten your seat belt.",
    "Welcome back to the program.",
)
WAVES = ("sine", "sine", "square", "sawtooth", "triangle")


def sox(out: Path, *effects: str) -> Path:
    subprocess.run([SOX or "sox", "-R", "-n", "-r", "44100", "-c", "1", str(out), *effects], check=True, capture_output=True)
    return out


def concat(parts: list[Path], out: Path, pad: tuple[float, float] = (0.8, 0.8)) -> Path:
    subprocess.run(
        [SOX or "sox", "-R", *map(str, parts), str(out), "pad", f"{pad[0]:.2f}", f"{pad[1]:.2f}"], check=True, capture_output=True
    )
    return out


def tone(out: Path, seconds: float, wave: str, freq: float, vol: float) -> Path:
    return sox(out, "synth", f"{seconds:.3f}", wave, f"{freq:.1f}", "vol", f"{vol:.2f}")


def morse(tmp: Path, out: Path, code: str, unit: float, wave: str = "sine", freq: float = 800.0, vol: float = 0.5) -> Path:
    """``code`` (letters separated by spaces) with standard timing: dot 1, dash 3, gaps 1 and 3 units."""
    elements = {".": tone(tmp / "dot.wav", unit, wave, freq, vol), "-": tone(tmp / "dash.wav", 3 * unit, wave, freq, vol)}
    gap, letter_gap = sox(tmp / "g1.wav", "trim", "0", f"{unit:.3f}"), sox(tmp / "g3.wav", "trim", "0", f"{3 * unit:.3f}")
    parts: list[Path] = []
    for index, letter in enumerate(code.split()):
        parts += [letter_gap] if index else []
        for k, element in enumerate(letter):
            parts += ([gap] if k else []) + [elements[element]]
    return concat(parts, out)


def music(rng: random.Random, tmp: Path, out: Path) -> str:
    style = rng.choice(["pluck", "chords", "sinechords", "triangle", "pluckfast"])
    parts = []
    for i in range(rng.randint(6, 14)):
        if style in ("chords", "sinechords"):
            instrument = "pluck" if style == "chords" else "sine"
            chord = [word for note in rng.sample(NOTES, 3) for word in (instrument, note)]
            parts.append(sox(tmp / f"n{i}.wav", "synth", str(rng.choice([0.5, 0.8, 1.0])), *chord, "vol", "0.3"))
        else:
            seconds = rng.choice([0.1, 0.12, 0.15] if style == "pluckfast" else [0.15, 0.2, 0.3, 0.45, 0.6])
            instrument = "triangle" if style == "triangle" else "pluck"
            parts.append(
                sox(
                    tmp / f"n{i}.wav",
                    "synth",
                    str(seconds),
                    instrument,
                    rng.choice(NOTES),
                    "vol",
                    f"{rng.uniform(0.2, 0.8):.2f}",
                    "fade",
                    "0.01",
                    str(seconds),
                    "0.05",
                )
            )
    concat(parts, out)
    return style


def speech(out: Path, text: str, voice: str = "cmn", speed: int = 160, pitch: int = 50) -> Path:
    subprocess.run(
        [ESPEAK or "espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(out), text], check=True, capture_output=True
    )
    return out


def random_speech(rng: random.Random, tmp: Path, out: Path) -> str:
    chinese = rng.random() < 0.6
    text = rng.choice(ZH if chinese else EN)
    voice = rng.choice(["cmn", "cmn-latn-pinyin"] if chinese else ["en", "en-us"])
    voice += rng.choice(["+f2", "+m3", "+f4"]) if rng.random() < 0.3 else ""
    speed, pitch = rng.randint(120, 200), rng.randint(30, 70)
    concat([speech(tmp / "s.wav", text, voice, speed, pitch)], out)
    return f"{voice} s{speed} p{pitch} {text}"


def speech_over_music(rng: random.Random, tmp: Path, out: Path) -> str:
    what = random_speech(rng, tmp, tmp / "sp.wav")
    music(rng, tmp, tmp / "mu.wav")
    db = rng.uniform(-12, -3)
    talk, rate = soundfile.read(str(tmp / "sp.wav"))
    under, _ = soundfile.read(str(tmp / "mu.wav"))
    under = np.resize(under, len(talk))

    def rms(v: np.ndarray) -> float:
        return float(np.sqrt(np.mean(v[np.abs(v) > 1e-3] ** 2)))

    mix = talk + under / rms(under) * rms(talk) * 10 ** (db / 20)
    soundfile.write(str(out), mix / max(1.0, float(np.abs(mix).max())), rate)
    return f"music {db:.0f} dB under {what}"


def make(kind: str, rng: random.Random, tmp: Path, out: Path) -> str:
    """One clip of ``kind`` at ``out``; returns what it is."""
    wave, freq, vol = rng.choice(WAVES), rng.uniform(250, 3000), rng.uniform(0.2, 0.8)
    if kind == "tone":
        concat([tone(tmp / "t.wav", rng.uniform(1, 6), wave, freq, vol)], out)
    elif kind == "beep":
        concat([tone(tmp / "t.wav", rng.uniform(0.05, 0.6), wave, freq, vol)], out, (rng.uniform(0.2, 3), rng.uniform(0.2, 3)))
    elif kind == "train":
        on, off = rng.uniform(0.04, 0.25), rng.uniform(0.04, 0.4)
        beep, gap = tone(tmp / "t.wav", on, wave, freq, vol), sox(tmp / "g.wav", "trim", "0", f"{off:.3f}")
        concat([beep, gap] * rng.randint(4, 15), out)
        return f"train {wave} {freq:.0f} Hz {on:.2f}/{off:.2f} s"
    elif kind == "morse":
        letter, unit = rng.choice(sorted(LETTERS)), rng.uniform(0.05, 0.2)
        morse(tmp, out, LETTERS[letter], unit, wave, freq, vol)
        return f"Morse {letter} {wave} {freq:.0f} Hz unit {unit:.2f} s"
    elif kind == "music":
        return f"music {music(rng, tmp, out)}"
    elif kind == "speech":
        return random_speech(rng, tmp, out)
    elif kind == "speechmusic":
        return speech_over_music(rng, tmp, out)
    return f"{kind} {wave} {freq:.0f} Hz"


def degrade(rng: random.Random, path: Path) -> str:
    """A third get a noise floor at -45 dBFS, a third an MP3 96 kbps round trip (ffmpeg)."""
    notes = []
    data, rate = soundfile.read(str(path))
    if rng.random() < 0.3:
        data = data + np.random.default_rng(rng.randint(0, 10**6)).standard_normal(len(data)) * 10 ** (-45 / 20)
        notes.append("noise -45 dB")
    soundfile.write(str(path), np.clip(data, -1, 1), rate)
    if FFMPEG and rng.random() < 0.3:
        mp3 = path.with_suffix(".mp3")
        subprocess.run([FFMPEG, "-v", "error", "-y", "-i", str(path), "-b:a", "96k", str(mp3)], check=True)
        subprocess.run([FFMPEG, "-v", "error", "-y", "-i", str(mp3), str(path)], check=True)
        mp3.unlink()
        notes.append("mp3")
    return " ".join(notes)


def generate(root: Path, seed: int, count: int) -> list[tuple[Path, str, str]]:
    """``count`` clips cycling through ``KINDS``: (path, kind, description)."""
    tmp = root / "_parts"
    tmp.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    clips = []
    for k in range(count):
        kind = KINDS[k % len(KINDS)]
        out = root / f"{k:03d}-{kind}.wav"
        what = make(kind, rng, tmp, out)
        clips.append((out, kind, f"{what} {degrade(rng, out)}".strip()))
    return clips
