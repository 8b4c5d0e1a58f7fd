"""Varied test clips for the audio watermark, made by independent tools (deterministic per seed):

- ``sox-melody``: plucked / triangle notes (sox ``synth``), a melody of 0.15-0.6 s notes;
- ``sox-chirp``: sine / square sweeps over 100-6000 Hz (sox);
- ``sox-noise``: white / pink / brown noise with a tremolo or band-pass (sox);
- ``sox-chords``: sawtooth / triangle / sine chords of three notes (sox);
- ``speech``: espeak-ng (English, Mandarin, German, French voices) reading a few sentences;
- ``speech-music``: that speech mixed with an ffmpeg-generated music bed (``amix``);
- ``ffmpeg-music``: ffmpeg ``aevalsrc`` FM-ish melody with decaying notes over noise hi-hats;
- ``silence-heavy``: a few spoken phrases or beeps separated by seconds of digital silence.

Every clip is a 44.1 kHz WAV (mono or stereo) of the requested length (padded or trimmed by sox).
"""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

KINDS = ("sox-melody", "sox-chirp", "sox-noise", "sox-chords", "speech", "speech-music", "ffmpeg-music", "silence-heavy")
NOTES = ("C3", "E3", "G3", "A3", "C4", "D4", "E4", "F4", "G4", "A4", "B4", "C5", "E5")
TEXTS = {
    "en": "The weather today is sunny with a light breeze. Good morning, here are the headlines. "
    "Thank you for listening to our show, we will be back after the news. Please fasten your seat belt.",
    "en-us": "Welcome back to the program. Our next guest has written three books about the history of the city "
    "and will tell us how the old harbour became the centre of trade.",
    "cmn": "今天北京晴，最高气温二十五度，明天有小雨。欢迎收听今天的节目，接下来是新闻。人工智能正在改变世界，我们需要了解它。感谢您的收听。",
    "de": "Guten Morgen, hier sind die Nachrichten. Das Wetter bleibt heute freundlich, am Abend kommt Regen auf.",
    "fr": "Bonjour et bienvenue. Voici les informations du jour, suivies de la météo et des résultats sportifs.",
}


def tools_available() -> bool:
    return all(shutil.which(tool) for tool in ("sox", "espeak-ng", "ffmpeg"))


def _run(*command: str) -> None:
    subprocess.run(list(command), check=True, capture_output=True)


def _sox(*arguments: str) -> None:
    """sox in repeatable mode (``-R``): its noise, plucked strings and dither are seeded."""
    _run("sox", "-R", *arguments)


def _fit(src: Path, out: Path, seconds: float, channels: int) -> None:
    """``src`` as 44.1 kHz, ``channels``, exactly ``seconds`` long (repeated, then trimmed)."""
    _sox(str(src), "-r", "44100", "-c", str(channels), str(out), "repeat", "20", "trim", "0", f"{seconds:.3f}")


def _speech(rng: random.Random, out: Path) -> str:
    voice = rng.choice(sorted(TEXTS))
    speed, pitch = rng.randint(130, 190), rng.randint(30, 70)
    variant = rng.choice(["", "+f2", "+m3"]) if voice != "cmn" else ""
    _run("espeak-ng", "-v", voice + variant, "-s", str(speed), "-p", str(pitch), "-w", str(out), TEXTS[voice])
    return f"espeak-ng {voice}{variant} s{speed} p{pitch}"


def make(kind: str, rng: random.Random, work: Path, out: Path, seconds: float) -> str:
    """One clip of ``kind`` at ``out``; returns what it is."""
    raw = work / "raw.wav"
    channels = rng.choice([1, 2])
    what = kind
    if kind == "sox-melody":
        instrument = rng.choice(["pluck", "pluck", "triangle"])
        notes: list[str] = []
        for _ in range(rng.randint(12, 24)):
            length = rng.choice([0.15, 0.2, 0.3, 0.45, 0.6])
            notes += [":", "synth", str(length), instrument, rng.choice(NOTES), "fade", "0.01", str(length), "0.05"]
        _sox("-n", "-r", "44100", "-c", "1", str(raw), *notes[1:], "vol", f"{rng.uniform(0.3, 0.8):.2f}")
        what = f"{instrument} melody"
    elif kind == "sox-chirp":
        wave = rng.choice(["sine", "square"])
        low, high = rng.randint(100, 500), rng.randint(2000, 6000)
        _sox("-n", "-r", "44100", "-c", "1", str(raw), "synth", "5", wave, f"{low}-{high}", "vol", f"{rng.uniform(0.2, 0.6):.2f}")
        what = f"{wave} chirp {low}-{high} Hz"
    elif kind == "sox-noise":
        colour = rng.choice(["whitenoise", "pinknoise", "brownnoise"])
        shape = rng.choice(
            [["tremolo", f"{rng.uniform(0.5, 6):.1f}", "60"], ["sinc", f"{rng.randint(200, 800)}-{rng.randint(2500, 6000)}"]]
        )
        _sox("-n", "-r", "44100", "-c", "1", str(raw), "synth", "10", colour, *shape, "vol", f"{rng.uniform(0.1, 0.4):.2f}")
        what = f"{colour} {shape[0]}"
    elif kind == "sox-chords":
        wave = rng.choice(["sawtooth", "triangle", "sine"])
        parts: list[str] = []
        for _ in range(rng.randint(6, 10)):
            chord = [word for note in rng.sample(NOTES, 3) for word in (wave, note)]
            parts += [":", "synth", str(rng.choice([0.5, 0.8, 1.2])), *chord, "fade", "0.02", "0", "0.1"]
        _sox("-n", "-r", "44100", "-c", "1", str(raw), *parts[1:], "vol", "0.25")
        what = f"{wave} chords"
    elif kind == "speech":
        what = _speech(rng, raw)
    elif kind == "speech-music":
        voice = work / "voice.wav"
        what = _speech(rng, voice) + " over music"
        bed = f"sine=f={rng.choice([110, 147, 196])}:d=60,volume=0.15"
        _run("ffmpeg", "-v", "error", "-y", "-i", str(voice), "-f", "lavfi", "-i", bed, "-f", "lavfi", "-i", "anoisesrc=d=60:c=pink:a=0.03:seed=7",
             "-filter_complex", "[0:a]aresample=44100[v];[v][1:a][2:a]amix=inputs=3:duration=first:normalize=0", str(raw))  # fmt: skip
    elif kind == "ffmpeg-music":
        base, tempo = rng.choice([110, 131, 147, 165]), rng.choice([2, 3, 4])
        melody = f"0.3*sin(2*PI*{base}*(1+floor(mod(t*{tempo},4))/4)*t+2*sin(2*PI*{base}*2*t))*exp(-4*mod(t*{tempo},1))"
        hats = f"0.08*(random(0)*2-1)*exp(-40*mod(t*{tempo * 2},1))"
        _run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"aevalsrc='{melody}+{hats}':s=44100:d=20", str(raw))
        what = f"FM melody {base} Hz x{tempo}/s with hi-hats"
    elif kind == "silence-heavy":
        if rng.random() < 0.5:
            phrase = work / "phrase.wav"
            what = _speech(rng, phrase) + " with long silences"
            _sox(str(phrase), str(raw), "trim", "0", "3", "pad", "0", f"{rng.uniform(4, 8):.1f}")
        else:
            freq = rng.randint(400, 3000)
            _sox("-n", "-r", "44100", "-c", "1", str(raw), "synth", "0.3", "sine", str(freq), "pad", "0", f"{rng.uniform(3, 6):.1f}")
            what = f"{freq} Hz beeps every few seconds"
    else:
        raise ValueError(kind)
    _fit(raw, out, seconds, channels)
    return f"{what}, {channels} ch, {seconds:.0f} s"


def generate(root: Path, seed: int, count: int, seconds: tuple[float, float]) -> list[tuple[Path, str, str]]:
    """``count`` clips cycling through ``KINDS``, each ``seconds`` long (uniform): (path, kind, what)."""
    work = root / "_parts"
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    clips = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        out = root / f"{index:03d}-{kind}.wav"
        clips.append((out, kind, make(kind, rng, work, out, rng.uniform(*seconds))))
    return clips
