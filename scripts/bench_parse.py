#!/usr/bin/env python3
"""Parse once: how often one ``label_file`` (+ its built-in verify) reads, parses and probes a file.

    python scripts/bench_parse.py            # every case, 3 timed runs each, strace counts
    python scripts/bench_parse.py --quick    # 1 timed run each (the shape ``scripts/bench.py`` expects)
    python scripts/bench_parse.py --markdown # the BENCHMARKS.md table

For each sample (PNG, JPEG, MP4, MP3, WAV, PDF from ``fixtures/samples``) and each mode
(implicit-only: ``--no-explicit``; full: explicit notice + implicit label, each ending in the verify
of the written file) a fresh child process labels one copy of the file and reports:

- ``seconds``: the median wall time of ``label_file`` in that process (imports excluded; a warm-up
  run on another copy first, so lazy imports and font loading are not counted);
- ``src opens / reads / kB``: ``openat`` calls opening the source for reading, ``read`` +
  ``pread64`` calls on it and the bytes they returned, summed over every process of the run
  (labeler, ffmpeg, ffprobe), from ``strace -f -y``; ``mmap`` of the file is counted too (none
  seen); ``out ...`` the same for the files beside the output (temps, the output itself);
- ``moov parses``: reads and parses of ``moov`` (``containers.mp4._load``, the parse behind
  the per-``Source`` memo of ``mp4.load``; ``mp4.load`` itself before there was one);
- ``ffprobe`` / ``ffmpeg``: processes started, counted in ``subprocess.Popen``.

Without ``strace`` (``apt-get install strace``) the strace columns say ``n/a``; the rest still runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "fixtures" / "samples"
CASES = {
    "png": SAMPLES / "image" / "png-rgb.png",
    "jpeg": SAMPLES / "image" / "jpeg-baseline-exif-icc.jpg",
    "mp4": SAMPLES / "video" / "mp4-h264-aac-faststart.mp4",
    "mp3": SAMPLES / "audio" / "mp3-cbr-id3v23-cover.mp3",
    "wav": SAMPLES / "audio" / "wav-pcm16-mono-8k.wav",
    "pdf": SAMPLES / "document" / "report.pdf",
}
#: A large image, made once (Pillow, noise: ~36 MB PNG) where reading it six times shows in the time.
BIG = {"png-12mp": ("png-12mp-noise.png", "PNG"), "jpeg-12mp": ("jpeg-12mp-noise.jpg", "JPEG")}
MODES = {"implicit-only": False, "full": True}  # mode -> explicit
PRODUCER = "001191110102MACQD9K64010000"
_SYSCALL = re.compile(r"^(?:\[pid\s+\d+\]\s+)?(?:\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+)")
_FD_PATH = re.compile(r"^\s*-?\d+<([^>]*)>")

# The child: count opens, moov parses and ffmpeg/ffprobe runs in-process, time label_file.
CHILD = r"""
import builtins, io, json, os, statistics, subprocess, sys, time
from pathlib import Path
src, out_dir, explicit, runs, warm = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4]), Path(sys.argv[5])
from labeler.labelling import label_file
from labeler.roles import LabelOptions
from labeler.containers import mp4
counts = {"py_src_opens": 0, "moov_parses": 0, "ffprobe": 0, "ffmpeg": 0}
options = LabelOptions(explicit=explicit, implicit=True, producer=os.environ["BENCH_PRODUCER"], produce_id="bench-parse")
def once(path, out):
    result = label_file(path, out, options)
    if not result.ok:
        raise SystemExit(f"labelling failed: {result.error}")
once(warm, warm.parent.parent / "warm" / warm.name)  # lazy imports, fonts, ffmpeg resolution
parser = "_load" if hasattr(mp4, "_load") else "load"  # _load: the parse behind the per-Source memo
real_open, real_io_open, real_load, real_popen = builtins.open, io.open, getattr(mp4, parser), subprocess.Popen.__init__
def counted_open(file, *args, **kwargs):
    if isinstance(file, (str, os.PathLike)) and os.path.abspath(os.fspath(file)) == str(src):
        counts["py_src_opens"] += 1
    return real_open(file, *args, **kwargs)
def counted_load(*args, **kwargs):
    counts["moov_parses"] += 1
    return real_load(*args, **kwargs)
def counted_popen(self, args, *rest, **kwargs):
    name = os.path.basename(str(args[0] if isinstance(args, (list, tuple)) else args))
    if name in ("ffprobe", "ffmpeg"):
        counts[name] += 1
    return real_popen(self, args, *rest, **kwargs)
builtins.open = io.open = counted_open
setattr(mp4, parser, counted_load)
subprocess.Popen.__init__ = counted_popen
times = []
for n in range(runs):
    start = time.perf_counter()
    once(src, out_dir / f"{n}-{src.name}")
    times.append(time.perf_counter() - start)
    if n == 0:
        first = dict(counts)
builtins.open, io.open, subprocess.Popen.__init__ = real_open, real_io_open, real_popen
setattr(mp4, parser, real_load)
print(json.dumps({"seconds": statistics.median(times), **first}))
"""


def _strace_counts(log: Path, src: Path, out_dir: Path) -> dict[str, Any]:
    """Per group (the source; the files in the output folder): opens for reading, read/pread64
    calls, bytes read and mmaps. Writes are not counted: they are the output itself."""
    counts = {f"{group}_{what}": 0 for group in ("src", "out") for what in ("opens", "reads", "bytes", "mmaps")}
    source, output = str(src), str(out_dir) + os.sep

    def group(path: str) -> str | None:
        return "src" if path == source else "out" if path.startswith(output) else None

    for line in log.read_text(errors="replace").splitlines():
        match = _SYSCALL.match(line)
        if match is None:
            continue
        call, args, result = match.group(1), match.group(2), int(match.group(3))
        if call == "openat":
            opened = re.search(r'"((?:[^"\\]|\\.)*)"', args)
            which = group(opened.group(1)) if opened else None
            if which and result >= 0 and "O_RDONLY" in args:
                counts[f"{which}_opens"] += 1
        elif call in ("read", "pread64", "mmap"):
            fd = _FD_PATH.match(args if call != "mmap" else args.split(", ")[4] if args.count(", ") >= 5 else "")
            which = group(fd.group(1)) if fd else None
            if which and call == "mmap":
                counts[f"{which}_mmaps"] += 1
            elif which and result > 0:
                counts[f"{which}_reads"] += 1
                counts[f"{which}_bytes"] += result
    return counts


def measure(case: str, mode: str, runs: int, use_strace: bool) -> dict[str, Any]:
    """One (case, mode): a timed child process, then (with strace) one traced single run."""
    sample = CASES[case] if case in CASES else _big(case)
    env = {**os.environ, "BENCH_PRODUCER": PRODUCER, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    explicit = "1" if MODES[mode] else "0"
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        src_dir, out_dir = Path(tmp) / "src", Path(tmp) / "out"
        for folder in (src_dir, out_dir, Path(tmp) / "warm"):  # the warm-up writes outside ``out``
            folder.mkdir()
        src, warm = src_dir / sample.name, src_dir / ("warm-" + sample.name)
        shutil.copyfile(sample, src)
        shutil.copyfile(sample, warm)
        child = [sys.executable, "-c", CHILD, str(src), str(out_dir), explicit]
        timed = subprocess.run([*child, str(runs), str(warm)], capture_output=True, text=True, env=env, check=False)
        if timed.returncode != 0:
            raise RuntimeError(f"{case} {mode}: {timed.stderr[-2000:]}")
        row = json.loads(timed.stdout.splitlines()[-1])
        traced: dict[str, Any] = dict.fromkeys((f"{g}_{w}" for g in ("src", "out") for w in ("opens", "reads", "bytes", "mmaps")), None)
        if use_strace:
            for folder in (out_dir, Path(tmp) / "warm"):
                for leftover in folder.iterdir():
                    leftover.unlink()
            log = Path(tmp) / "strace.log"
            # the warm-up runs on the other copy, so only the measured file's opens match ``src``
            command = ["strace", "-f", "-y", "-qq", "-e", "trace=openat,read,pread64,mmap", "-o", str(log), *child, "1", str(warm)]
            run = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            if run.returncode != 0:
                raise RuntimeError(f"{case} {mode} under strace: {run.stderr[-2000:]}")
            traced = _strace_counts(log, src, out_dir)
    return {"file": case, "mode": mode, "size": sample.stat().st_size, **row, **traced}


def _big(case: str) -> Path:
    """The generated large sample (kept in the temp folder between runs)."""
    import numpy as np
    from PIL import Image

    name, kind = BIG[case]
    path = Path(tempfile.gettempdir()) / "bench-parse" / name
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        pixels = np.random.default_rng(0).integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path, kind, **({"quality": 90} if kind == "JPEG" else {}))
    return path


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Rows in the ``scripts/bench.py`` shape (one per case and mode; labeler only, no peer)."""
    rows = []
    for result in collect(1 if quick else 3, shutil.which("strace") is not None):
        note = ", ".join(
            f"{k} {result[k]}"
            for k in ("src_opens", "src_bytes", "out_opens", "out_bytes", "moov_parses", "ffprobe")
            if result[k] is not None
        )
        rows.append(
            {
                "case": f"parse once: {result['file']} {result['mode']}",
                "tool": "labeler label_file",
                "files": 1,
                "bytes": result["size"],
                "seconds": result["seconds"],
                "peak_mb": 0.0,
                "note": note,
            }
        )
    return rows


def collect(runs: int, use_strace: bool, cases: list[str] | None = None, modes: list[str] | None = None) -> list[dict[str, Any]]:
    return [measure(case, mode, runs, use_strace) for case in cases or list(CASES) for mode in modes or list(MODES)]


def _cell(value: int | None, scale: float = 1) -> str:
    return "n/a" if value is None else f"{value / scale:,.0f}" if scale != 1 else str(value)


def markdown(results: list[dict[str, Any]]) -> str:
    """Opens / reads / kB read, of the source and of the written files, per case and mode."""
    lines = [
        "| file (size) | mode | ms | source: opens / reads / kB | written: opens / reads / kB | moov parses | ffprobe | ffmpeg |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        source = " / ".join((_cell(r["src_opens"]), _cell(r["src_reads"]), _cell(r["src_bytes"], 1e3)))
        written = " / ".join((_cell(r["out_opens"]), _cell(r["out_reads"]), _cell(r["out_bytes"], 1e3)))
        lines.append(
            f"| {r['file']} ({r['size'] / 1e3:.0f} kB) | {r['mode']} | {r['seconds'] * 1e3:.0f} | {source} | {written} | "
            f"{r['moov_parses']} | {r['ffprobe']} | {r['ffmpeg']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one timed run per case instead of three")
    parser.add_argument(
        "--only", default="", help="comma-separated cases: " + ",".join([*CASES, *BIG]) + " (default: all but the large ones)"
    )
    parser.add_argument("--mode", choices=list(MODES), help="one mode only (default: both)")
    parser.add_argument("--runs", type=int, help="timed runs per case (default 3, --quick 1)")
    parser.add_argument("--no-strace", action="store_true", help="skip the strace counts")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table instead of JSON lines")
    args = parser.parse_args()
    use_strace = not args.no_strace and shutil.which("strace") is not None
    if not use_strace and not args.no_strace:
        print("strace not found (apt-get install strace): opens, reads and bytes read are n/a", file=sys.stderr)
    cases = [c for c in args.only.split(",") if c] or None
    unknown = set(cases or ()) - set(CASES) - set(BIG)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    results = collect(args.runs or (1 if args.quick else 3), use_strace, cases, [args.mode] if args.mode else None)
    print(markdown(results) if args.markdown else "\n".join(json.dumps(r) for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
