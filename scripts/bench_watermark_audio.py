#!/usr/bin/env python3
"""Audio watermark benchmark: recovery after re-encoding, false detections, SNR, speed.

Marked clips (``scripts/watermark_audio_clips.py``: sox, espeak-ng and ffmpeg material, 8 kinds)
get the watermark of a label-derived payload with ``embed_file`` (WAV in, WAV out), then go through
real ffmpeg transforms: none, MP3 128 kb/s (libmp3lame), AAC 96 kb/s (ffmpeg aac, M4A), resampled
to 16 kHz mono, and MP3 128 kb/s of a 20 s excerpt starting at an odd offset (a cut). A clip counts
as recovered when ``extract_file`` finds the sync and ``payload.decode`` returns its payload.
Unmarked clips of the same kinds count a false detection when ``extract_file`` + ``decode`` yields
any payload at all. SNR is the marked WAV against its source; segmental SNR averages 20 ms frames
(clamped to -10..35 dB, frames above -50 dBFS); the in-band ratio is the watermark's energy to the
content's in each 700-3500 Hz tile the mark uses (median and 95th percentile over active tiles).

Usage: python scripts/bench_watermark_audio.py [--quick] [--marked N] [--unmarked N]
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labeler.label import Label  # noqa: E402
from labeler.watermark import audio, audio_dsp  # noqa: E402
from labeler.watermark.payload import decode, encode, payload_for  # noqa: E402

PRODUCER = "001191110102MACQD9K64010000"
#: name -> (output suffix, ffmpeg output options, input options)
TRANSFORMS: dict[str, tuple[str, list[str], list[str]]] = {
    "none": (".wav", [], []),
    "mp3-128k": (".mp3", ["-c:a", "libmp3lame", "-b:a", "128k"], []),
    "aac-96k": (".m4a", ["-c:a", "aac", "-b:a", "96k"], []),
    "resample-16k-mono": (".wav", ["-ar", "16000", "-ac", "1"], []),
    "mp3-128k-cut-20s": (".mp3", ["-t", "20", "-c:a", "libmp3lame", "-b:a", "128k"], ["-ss", "3.217"]),
}


def _clips_module() -> object:
    spec = importlib.util.spec_from_file_location("watermark_audio_clips", ROOT / "scripts" / "watermark_audio_clips.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _transform(src: Path, out: Path, name: str) -> Path:
    suffix, options, before = TRANSFORMS[name]
    target = out.with_suffix(suffix)
    subprocess.run(["ffmpeg", "-v", "error", "-y", *before, "-i", str(src), *options, str(target)], check=True)
    return target


def _snr(x: np.ndarray, y: np.ndarray, rate: int) -> tuple[float, float]:
    noise = y - x
    total = 10 * np.log10(np.sum(x**2) / max(np.sum(noise**2), 1e-20))
    n = int(0.02 * rate)
    frames = len(x) // n
    xs = (x[: frames * n] ** 2).reshape(frames, n, -1).sum(axis=(1, 2))
    ns = (noise[: frames * n] ** 2).reshape(frames, n, -1).sum(axis=(1, 2))
    loud = xs > n * x.shape[1] * 10 ** (-50 / 10)
    seg = np.clip(10 * np.log10(xs[loud] / np.maximum(ns[loud], 1e-20)), -10, 35)
    return float(total), float(np.mean(seg)) if seg.size else float("nan")


def _inband(x: np.ndarray, y: np.ndarray, rate: int) -> np.ndarray:
    """Watermark-to-content energy (dB) per active 700-3500 Hz tile of the mono 16 kHz signal."""
    host = audio_dsp.resample(x.mean(axis=1), rate, audio_dsp.RATE)
    mark = audio_dsp.resample((y - x).mean(axis=1), rate, audio_dsp.RATE)

    def tiles(signal: np.ndarray) -> np.ndarray:
        band = np.abs(audio_dsp.band_stft(signal)) ** 2
        power = band.reshape(len(band), audio_dsp.BANDS, audio_dsp.TILE_BINS).sum(axis=2)
        usable = len(power) // audio_dsp.TILE_FRAMES * audio_dsp.TILE_FRAMES
        return power[:usable].reshape(-1, audio_dsp.TILE_FRAMES, audio_dsp.BANDS).sum(axis=1)

    h, m = tiles(host), tiles(mark)
    active = h > 1e-4 * h.mean()
    return 10 * np.log10(np.maximum(m[active], 1e-20) / h[active])


def _payload(index: int) -> bytes:
    return payload_for(Label(content_producer=PRODUCER, produce_id=f"bench-{index}"), None)


def evaluate(work: Path, marked: int, unmarked: int, seconds: tuple[float, float]) -> dict[str, object]:
    clips = _clips_module()
    marked_clips = clips.generate(work / "marked", 45438, marked, seconds)  # type: ignore[attr-defined]
    recovered = dict.fromkeys(TRANSFORMS, 0)
    by_kind: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    snrs, segs, inband = [], [], []
    embed_s = extract_s = audio_s = 0.0
    extracts = 0
    for index, (src, kind, what) in enumerate(marked_clips):
        payload = _payload(index)
        target = work / f"wm-{index:03d}.wav"
        started = time.perf_counter()
        audio.embed_file(src, target, encode(payload))
        embed_s += time.perf_counter() - started
        x, rate = soundfile.read(str(src), always_2d=True)
        y, _ = soundfile.read(str(target), always_2d=True)
        audio_s += len(x) / rate
        total, seg = _snr(x, y, rate)
        snrs.append(total)
        segs.append(seg)
        inband.append(_inband(x, y, rate))
        kind_row = by_kind.setdefault(kind, dict.fromkeys(TRANSFORMS, 0) | {"clips": 0})
        kind_row["clips"] += 1
        for name in TRANSFORMS:
            moved = _transform(target, work / f"t-{index:03d}-{name}", name)
            started = time.perf_counter()
            soft = audio.extract_file(moved)
            extract_s += time.perf_counter() - started
            extracts += 1
            found = decode(soft) if soft is not None else None
            if found is not None and found.payload == payload:
                recovered[name] += 1
                kind_row[name] += 1
            else:
                failures.append(f"{src.name} ({what}) {name}: {'no sync' if soft is None else 'decode failed'}")
            moved.unlink()
    unmarked_clips = clips.generate(work / "unmarked", 19, unmarked, (seconds[0], min(seconds[1], 30.0)))  # type: ignore[attr-defined]
    synced = false_payloads = 0
    zs = []
    for src, _, _ in unmarked_clips:
        x, rate = soundfile.read(str(src), always_2d=True)
        z, soft = audio.analyse(x, rate)
        zs.append(z)
        found = audio.extract_file(src)
        synced += found is not None
        false_payloads += found is not None and decode(found) is not None
    all_inband = np.concatenate(inband) if inband else np.zeros(1)
    return {
        "marked": len(marked_clips),
        "unmarked": len(unmarked_clips),
        "recovered": recovered,
        "by_kind": by_kind,
        "failures": failures,
        "snr_db": (float(np.mean(snrs)), float(np.min(snrs))),
        "segsnr_db": (float(np.nanmean(segs)), float(np.nanmin(segs))),
        "inband_db": (float(np.median(all_inband)), float(np.percentile(all_inband, 95))),
        "embed_s_per_min": embed_s / audio_s * 60,
        "extract_s_per_min": extract_s / max(extracts, 1) / (audio_s / max(len(marked_clips), 1)) * 60,
        "audio_s": audio_s,
        "unmarked_synced": synced,
        "unmarked_false_payloads": false_payloads,
        "unmarked_max_z": float(max(zs)) if zs else 0.0,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "embed_s": embed_s,
        "extract_s": extract_s,
    }


LONG_CHILD = """
import resource, sys, time
from pathlib import Path
from labeler.watermark import audio
from labeler.watermark.payload import decode, encode
payload = bytes(range(8))
started = time.perf_counter()
audio.embed_file(Path(sys.argv[1]), Path(sys.argv[2]), encode(payload))
embedded = time.perf_counter() - started
started = time.perf_counter()
soft = audio.extract_file(Path(sys.argv[2]))
extracted = time.perf_counter() - started
found = decode(soft) if soft is not None else None
print(embedded, extracted, found is not None and found.payload == payload, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def long_file(work: Path, minutes: int) -> dict[str, object]:
    """Embed into and extract from one long MP3 (streaming) in a child process: seconds and peak RSS."""
    part = work / "part.wav"
    subprocess.run(
        ["sox", "-R", "-n", "-r", "44100", "-c", "2", str(part), "synth", "60", "pinknoise", "tremolo", "2", "50", "vol", "0.3"], check=True
    )
    long = work / "long.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-stream_loop", str(minutes - 1), "-i", str(part), "-c:a", "libmp3lame", "-b:a", "128k", str(long)],
        check=True,
    )
    out = subprocess.run(
        [sys.executable, "-c", LONG_CHILD, str(long.resolve()), str((work / "long-wm.mp3").resolve())],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    return {
        "minutes": minutes,
        "embed_s": float(out[0]),
        "extract_s": float(out[1]),
        "recovered": out[2] == "True",
        "peak_mb": float(out[3]),
    }


def run(quick: bool) -> list[dict[str, object]]:
    """Rows in the benchmark format (labeler only: no offline peer tool is installed)."""
    with tempfile.TemporaryDirectory() as tmp:
        result = evaluate(Path(tmp), 2 if quick else 40, 3 if quick else 200, (22.0, 24.0) if quick else (21.0, 60.0))
    rows: list[dict[str, object]] = []
    recovered = result["recovered"]
    assert isinstance(recovered, dict)
    for name, count in recovered.items():
        rows.append(
            {
                "case": f"watermark-audio-{name}",
                "tool": "labeler",
                "files": result["marked"],
                "bytes": 0,
                "seconds": round(float(str(result["extract_s"])) / len(recovered), 3),
                "peak_mb": round(float(str(result["peak_mb"])), 1),
                "note": f"{count}/{result['marked']} payloads recovered",
            }
        )
    rows.append(
        {
            "case": "watermark-audio-unmarked",
            "tool": "labeler",
            "files": result["unmarked"],
            "bytes": 0,
            "seconds": 0.0,
            "peak_mb": round(float(str(result["peak_mb"])), 1),
            "note": f"{result['unmarked_synced']} synced, {result['unmarked_false_payloads']} false payloads",
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--marked", type=int, default=40)
    parser.add_argument("--unmarked", type=int, default=200)
    parser.add_argument("--min-seconds", type=float, default=21.0)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    load_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if args.quick:
            result = evaluate(Path(tmp), 2, 3, (22.0, 24.0))
        else:
            result = evaluate(Path(tmp), args.marked, args.unmarked, (args.min_seconds, args.max_seconds))
        if not args.quick:
            result["long_file"] = long_file(Path(tmp), 10)
    load_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"load before: {load_before}\nload after:  {load_after}\nwall: {time.perf_counter() - started:.0f} s")
    for key, value in result.items():
        if key == "failures":
            print("failures:")
            for line in value:  # type: ignore[attr-defined]
                print("  ", line)
        else:
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
