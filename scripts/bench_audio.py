#!/usr/bin/env python3
"""Audio benchmarks, labeler side by side with plain ffmpeg:

- ``mp3-implicit-N``: implicit-only labelling of N MP3s (10 s, 128 kbps) vs
  ``ffmpeg -i x -c copy -map_metadata 0 -metadata AIGC=... y`` per file;
- ``mp3-3min-notice``: the rhythm notice on a 3-minute MP3 vs the equivalent ffmpeg concat of a
  pre-made cue WAV + re-encode at the same bitrate;
- ``detect-*``: detection time per minute of audio (labeler reads only the first/last 12 s) vs a
  full ffmpeg decode of the same file.

Every tool runs in its own child process (started from a small wrapper), so ``seconds`` includes
interpreter start-up and ``peak_mb`` is the peak RSS of the largest process involved. Outputs are
read back with labeler's adapters; the ``note`` says how many carry the label.

Usage: python scripts/bench_audio.py [--quick]
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchtools import parser  # noqa: E402

from labeler import ffmpeg  # noqa: E402

PRODUCER = "001191110102MACQD9K64010000"
LABEL = (
    '{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"bench-1","ReservedCode1":"",'
    '"ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
)
#: Runs a command and prints the peak RSS (KB) of its largest descendant.
WRAPPER = "import resource, subprocess, sys\nsubprocess.run(sys.argv[1:], check=True)\nprint(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"

LABELER_IMPLICIT = (
    """
import sys
from pathlib import Path
from labeler import LabelOptions, label_file
options = LabelOptions(producer=%r, produce_id="bench-1", explicit=False)
for src in sorted(Path(sys.argv[1]).glob("*.mp3")):
    result = label_file(src, Path(sys.argv[2]) / src.name, options)
    assert result.ok, result.error
"""
    % PRODUCER
)

LABELER_ADAPTER = (
    """
import sys
from pathlib import Path
from labeler.adapters.audio import Mp3Adapter
from labeler.label import Label
adapter, label = Mp3Adapter(), Label(label="1", content_producer=%r, produce_id="bench-1")
for src in sorted(Path(sys.argv[1]).glob("*.mp3")):
    adapter.write_implicit(src, Path(sys.argv[2]) / src.name, label)
"""
    % PRODUCER
)

FFMPEG_LOOP = """
import subprocess, sys
from pathlib import Path
for src in sorted(Path(sys.argv[2]).glob("*.mp3")):
    subprocess.run([sys.argv[1], "-v", "error", "-y", "-i", str(src), "-c", "copy", "-map_metadata", "0", "-metadata", "AIGC=" + sys.argv[4], str(Path(sys.argv[3]) / src.name)], check=True)
"""

LABELER_FULL = (
    """
import sys, time
from labeler import LabelOptions, label_file
start = time.perf_counter()
result = label_file(sys.argv[1], sys.argv[2], LabelOptions(producer=%r, produce_id="bench-1", explicit=sys.argv[3] == "1", implicit=sys.argv[4] == "1"))
assert result.ok, result.error
print("inproc", time.perf_counter() - start)
"""
    % PRODUCER
)

LABELER_VERIFY = """
import sys, time
from labeler import verify_file
start = time.perf_counter()
verdict = verify_file(sys.argv[1])
print("inproc", time.perf_counter() - start)
"""


_LAST_INPROC: list[float] = []


def _measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds (with interpreter start-up) and peak RSS in MB; an ``inproc`` line the child
    prints (time inside labeler, without start-up) is kept in ``_LAST_INPROC``."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {done.stderr[-800:]}")
    _LAST_INPROC[:] = [float(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("inproc ")]
    return seconds, int(done.stdout.split()[-1]) / 1024


def _inproc() -> str:
    return f"; {_LAST_INPROC[0]:.2f} s inside labeler (without interpreter start-up)" if _LAST_INPROC else ""


def _python(script: str, *args: str) -> list[str]:
    return [sys.executable, "-c", script, *args]


def _melody(seconds: float, rate: int = 44100) -> np.ndarray:
    rng = np.random.default_rng(5)
    n = int(seconds * rate)
    out = np.zeros(n)
    step = rate // 4
    for at in range(0, n, step):
        t = np.arange(min(step * 2, n - at)) / rate
        f = 196.0 * 2 ** (int(rng.integers(0, 24)) / 12)
        out[at : at + len(t)] += np.sin(2 * np.pi * f * t) * np.exp(-3 * t)
    out = out / np.abs(out).max() * 0.5
    return np.stack([out, out * 0.8], axis=1)


def _mp3(path: Path, seconds: float) -> None:
    pcm = _melody(seconds).astype("<f4").tobytes()
    ffmpeg.run(
        ["-v", "error", "-f", "f32le", "-ar", "44100", "-ac", "2", "-i", "-", "-c:a", "libmp3lame", "-b:a", "128k", "-y", str(path)],
        stdin=pcm,
    )


def _wav(path: Path, seconds: int) -> None:
    """A long 44.1 kHz stereo WAV written second by second (never all in memory)."""
    block = (_melody(1.0) * 32767).astype("<i2").tobytes()
    size = len(block) * seconds
    with open(path, "wb") as handle:
        handle.write(
            b"RIFF"
            + struct.pack("<I", 36 + size)
            + b"WAVE"
            + b"fmt "
            + struct.pack("<IHHIIHH", 16, 1, 2, 44100, 176400, 4, 16)
            + b"data"
            + struct.pack("<I", size)
        )
        for _ in range(seconds):
            handle.write(block)


def _carry(folder: Path) -> tuple[int, int]:
    from labeler.adapters.audio import Mp3Adapter

    files = sorted(folder.glob("*.mp3"))
    return sum(1 for f in files if any(x.label is not None for x in Mp3Adapter().read_labels(f))), len(files)


def _row(case: str, tool: str, files: int, size: int, seconds: float, peak: float, note: str) -> dict[str, object]:
    return {
        "case": case,
        "tool": tool,
        "files": files,
        "bytes": size,
        "seconds": round(seconds, 3),
        "peak_mb": round(peak, 1),
        "note": note,
    }


def _implicit_case(tmp: Path, count: int) -> list[dict[str, object]]:
    src = tmp / "many"
    src.mkdir()
    _mp3(src / "base.mp3", 10.0)
    base = (src / "base.mp3").read_bytes()
    (src / "base.mp3").unlink()
    for i in range(count):
        (src / f"clip-{i:04d}.mp3").write_bytes(base)
    case, size = f"mp3-implicit-{count}", len(base) * count
    rows = []
    runs = (
        (
            "labeler",
            _python(LABELER_IMPLICIT, str(src), str(tmp / "out-labeler")),
            tmp / "out-labeler",
            "label_file(explicit=False): output re-read and verified (explicit check skipped, as asked)",
        ),
        (
            "labeler (adapter only)",
            _python(LABELER_ADAPTER, str(src), str(tmp / "out-adapter")),
            tmp / "out-adapter",
            "Mp3Adapter.write_implicit, no verify",
        ),
        (
            "ffmpeg -c copy",
            _python(FFMPEG_LOOP, ffmpeg.executable(), str(src), str(tmp / "out-ffmpeg"), LABEL),
            tmp / "out-ffmpeg",
            "one ffmpeg process per file",
        ),
    )
    for tool, command, out, what in runs:
        out.mkdir()
        seconds, peak = _measure(command)
        carried, total = _carry(out)
        rows.append(_row(case, tool, count, size, seconds, peak, f"{what}; {carried}/{total} outputs carry the label"))
    return rows


def _notice_case(tmp: Path, seconds_long: float) -> list[dict[str, object]]:
    from labeler.render.cue import GAP_S, morse_cue

    src = tmp / "long.mp3"
    _mp3(src, seconds_long)
    case = "mp3-3min-notice" if seconds_long >= 180 else f"mp3-{seconds_long:.0f}s-notice"
    rows = []
    for tool, flags, what in (
        ("labeler", ("1", "1"), "notice + label, output verified compliant"),
        ("labeler (notice only)", ("1", "0"), "notice only, output verified"),
    )[: 1 if seconds_long < 60 else 2]:
        out = tmp / f"noticed-{flags[1]}.mp3"
        seconds, peak = _measure(_python(LABELER_FULL, str(src), str(out), *flags))
        rows.append(_row(case, tool, 1, src.stat().st_size, seconds, peak, what + _inproc()))
    cue = tmp / "cue.wav"
    import soundfile

    tone = np.concatenate([morse_cue(44100, peak=0.35), np.zeros(int(GAP_S * 44100))])
    soundfile.write(str(cue), np.stack([tone, tone], axis=1), 44100)
    out = tmp / "ffmpeg-concat.mp3"
    command = [
        ffmpeg.executable(),
        "-v",
        "error",
        "-y",
        "-i",
        str(cue),
        "-i",
        str(src),
        "-filter_complex",
        "[0:a][1:a]concat=n=2:v=0:a=1",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "128k",
        str(out),
    ]
    seconds, peak = _measure(command)
    rows.append(
        _row(
            case,
            "ffmpeg concat + re-encode",
            1,
            src.stat().st_size,
            seconds,
            peak,
            "pre-made cue WAV, no loudness matching, no tag copy, no label",
        )
    )
    return rows


def _detect_cases(tmp: Path, quick: bool) -> list[dict[str, object]]:
    rows = []
    mp3 = tmp / "detect.mp3"
    minutes_mp3 = 0.25 if quick else 3.0
    _mp3(mp3, minutes_mp3 * 60)
    wav = tmp / "detect.wav"
    minutes_wav = 0.5 if quick else 60
    _wav(wav, int(minutes_wav * 60))
    for path, minutes in ((mp3, minutes_mp3), (wav, float(minutes_wav))):
        case = f"detect-{path.suffix[1:]}-{minutes:g}min"
        seconds, peak = _measure(_python(LABELER_VERIFY, str(path)))
        inside = _LAST_INPROC[0] if _LAST_INPROC else seconds
        rows.append(
            _row(
                case,
                "labeler verify",
                1,
                path.stat().st_size,
                seconds,
                peak,
                f"{inside / minutes:.3f} s per minute of audio inside labeler, {inside:.2f} s per file (reads the first/last 12 s){_inproc()}",
            )
        )
        seconds, peak = _measure([ffmpeg.executable(), "-v", "error", "-i", str(path), "-f", "null", "-"])
        rows.append(
            _row(
                case,
                "ffmpeg full decode",
                1,
                path.stat().st_size,
                seconds,
                peak,
                f"{seconds / minutes:.3f} s per minute (reference: decoding everything)",
            )
        )
    return rows


def run(quick: bool) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-audio-") as folder:
        tmp = Path(folder)
        rows = _implicit_case(tmp, 5 if quick else 500)
        rows += _notice_case(tmp, 10.0 if quick else 180.0)
        rows += _detect_cases(tmp, quick)
    return rows


if __name__ == "__main__":
    for row in run(parser(__doc__).parse_args().quick):
        print(json.dumps(row, ensure_ascii=False))
