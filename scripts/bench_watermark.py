#!/usr/bin/env python3
"""Watermark benchmarks and the robustness measurement of BENCHMARKS.md ("Watermark").

Robustness (``robustness``): N generated images (``watermark_corpus``: photo-like, flat graphics,
text screenshots; photos stored as JPEG q90, the others as PNG) are watermarked through
``embed_file`` and then changed by independent tools:

- ``strip+q75+0.5x``: exiftool ``-all=`` then ImageMagick ``-resize 50% -quality 75``;
- ``q50``: ImageMagick ``-quality 50`` (Pillow when ImageMagick is missing).

A payload counts as recovered only when it decodes and equals the embedded one. False detections:
M unmarked corpus images saved at JPEG q75, each checked with the default key (sync + CRC). PSNR
is between the source's pixels and the marked file's. Speed (``run``): in-memory embed and
detection per 2 MP image (1920x1080) on one core (the process is pinned to CPU 0), and the file
functions (JPEG decode + encode included).

Usage: python scripts/bench_watermark.py [--quick] [--images 100] [--unmarked 1000]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
import watermark_corpus  # noqa: E402

from labeler.label import Label  # noqa: E402
from labeler.watermark import image as wm_image  # noqa: E402
from labeler.watermark.payload import decode, encode, payload_for  # noqa: E402

PAYLOAD = payload_for(Label(content_producer="001191110102MACQD9K64010000", produce_id="bench"), None)
CODE = encode(PAYLOAD)


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _recovered(path: Path) -> bool:
    soft = wm_image.extract_file(path)
    found = decode(soft) if soft is not None else None
    return found is not None and found.payload == PAYLOAD


def _magick(*args: str) -> None:
    subprocess.run(["convert", *args], check=True, capture_output=True)


def robustness(images: int, unmarked: int, folder: Path) -> dict[str, Any]:
    """Recovery rates, false detections and PSNR over the corpus (see the module docstring)."""
    magick, exiftool = shutil.which("convert") is not None, shutil.which("exiftool") is not None
    counts = {"strip+q75+0.5x": 0, "q50": 0}
    misses: dict[str, list[str]] = {name: [] for name in counts}
    psnrs: list[float] = []
    for index, (kind, picture) in enumerate(watermark_corpus.images(images, seed=2026)):
        suffix = ".jpg" if kind == "photo" else ".png"
        src, out = folder / f"{index}{suffix}", folder / f"{index}.wm{suffix}"
        picture.save(src, **({"quality": 90} if suffix == ".jpg" else {}))
        wm_image.embed_file(src, out, CODE)
        before = np.asarray(Image.open(src).convert("RGB"), dtype=np.float64)
        after = np.asarray(Image.open(out).convert("RGB"), dtype=np.float64)
        psnrs.append(float(10 * np.log10(255.0**2 / max(np.mean((before - after) ** 2), 1e-9))))
        stripped = folder / f"{index}.stripped{suffix}"
        shutil.copyfile(out, stripped)
        if exiftool:
            subprocess.run(["exiftool", "-q", "-overwrite_original", "-all=", str(stripped)], check=True)
        platform, q50 = folder / f"{index}.platform.jpg", folder / f"{index}.q50.jpg"
        if magick:
            _magick(str(stripped), "-resize", "50%", "-quality", "75", str(platform))
            _magick(str(out), "-quality", "50", str(q50))
        else:
            with Image.open(stripped) as image:
                image.convert("RGB").resize((image.width // 2, image.height // 2), Image.Resampling.BICUBIC).save(platform, quality=75)
            Image.open(out).convert("RGB").save(q50, quality=50)
        for name, path in (("strip+q75+0.5x", platform), ("q50", q50)):
            if _recovered(path):
                counts[name] += 1
            else:
                misses[name].append(f"{index}:{kind}:{picture.width}x{picture.height}")
    false = 0
    for _, picture in watermark_corpus.images(unmarked, seed=909):
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=75)
        soft = wm_image.extract(Image.open(buffer))
        false += soft is not None and decode(soft) is not None
    return {
        "images": images,
        "recovered": {name: count / images for name, count in counts.items()},
        "misses": misses,
        "unmarked": unmarked,
        "false_detections": false,
        "psnr_min": min(psnrs),
        "psnr_mean": float(np.mean(psnrs)),
        "tools": ("ImageMagick" if magick else "Pillow") + (" + exiftool" if exiftool else ""),
    }


def video_robustness(clips: int, folder: Path, seconds: int = 3) -> dict[str, Any]:
    """Clips made by ffmpeg (a pan over a corpus picture with a tone; 1080p and 720p, 25 fps, H.264
    CRF 18), watermarked through ``video.embed_file``, then re-encoded as a platform does (libx264
    CRF 28, scaled to 720p, AAC, metadata dropped); the share whose payload decodes."""
    from labeler.watermark import video

    recovered, misses, unmarked_found, embed_s = 0, [], 0, 0.0
    for index, (kind, _) in enumerate(watermark_corpus.images(clips, seed=77)):
        width, height = ((1920, 1080), (1280, 720))[index % 2]
        picture = folder / f"still{index}.png"
        make = {k.__name__: k for k in watermark_corpus.KINDS}[kind]
        make(np.random.default_rng(index), width + 240, height + 160).save(picture)
        clip, marked, received = folder / f"clip{index}.mp4", folder / f"clip{index}.wm.mp4", folder / f"clip{index}.720p.mp4"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-i", str(picture), "-f", "lavfi", "-i", f"sine=f=440:d={seconds}",
             "-filter_complex", f"[0:v]crop={width}:{height}:x='t*60':y='t*40',noise=alls=3:allf=t,format=yuv420p[v]",
             "-map", "[v]", "-map", "1:a", "-t", str(seconds), "-r", "25", "-c:v", "libx264", "-crf", "18", "-preset", "veryfast",
             "-c:a", "aac", str(clip)],
            check=True,
        )  # fmt: skip
        start = time.perf_counter()
        video.embed_file(clip, marked, CODE)
        embed_s += time.perf_counter() - start
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(marked), "-vf", "scale=-2:720", "-c:v", "libx264", "-crf", "28",
             "-preset", "medium", "-c:a", "aac", "-map_metadata", "-1", str(received)],
            check=True,
        )  # fmt: skip
        soft = video.extract_file(received)
        found = decode(soft) if soft is not None else None
        if found is not None and found.payload == PAYLOAD:
            recovered += 1
        else:
            misses.append(f"{index}:{kind}:{width}x{height}")
        unmarked_found += video.extract_file(clip) is not None
    return {
        "clips": clips,
        "recovered": recovered / clips,
        "misses": misses,
        "unmarked_synchronised": unmarked_found,
        "embed_s_per_clip": embed_s / clips,
    }


def _speed(count: int, folder: Path) -> list[dict[str, Any]]:
    rng = np.random.default_rng(5)
    pictures = [make(rng, 1920, 1080) for make in watermark_corpus.KINDS for _ in range(max(1, count // 3))]
    paths = []
    for index, picture in enumerate(pictures):
        paths.append(folder / f"speed{index}.jpg")
        picture.save(paths[-1], quality=90)
    wm_image.embed(pictures[0], CODE)  # warm up (layout, numpy)
    start = time.perf_counter()
    marked = [wm_image.embed(p, CODE) for p in pictures]
    embed_s = time.perf_counter() - start
    start = time.perf_counter()
    found = sum(wm_image.extract(m) is not None for m in marked)
    detect_s = time.perf_counter() - start
    start = time.perf_counter()
    for path in paths:
        wm_image.embed_file(path, path.with_suffix(".wm.jpg"), CODE)
    embed_file_s = time.perf_counter() - start
    start = time.perf_counter()
    found_files = sum(_recovered(path.with_suffix(".wm.jpg")) for path in paths)
    detect_file_s = time.perf_counter() - start
    n, size = len(pictures), sum(p.stat().st_size for p in paths)
    load = os.getloadavg()[0]
    note = f"1920x1080, one core, load {load:.1f}"
    return [
        {"case": "watermark-2mp", "tool": "labeler embed (pixels)", "files": n, "bytes": 0, "seconds": embed_s, "peak_mb": _peak_mb(), "note": note},
        {"case": "watermark-2mp", "tool": "labeler detect (pixels)", "files": n, "bytes": 0, "seconds": detect_s, "peak_mb": _peak_mb(), "note": f"{note}; {found}/{n} synchronised"},
        {"case": "watermark-2mp", "tool": "labeler embed_file (JPEG)", "files": n, "bytes": size, "seconds": embed_file_s, "peak_mb": _peak_mb(), "note": note},
        {"case": "watermark-2mp", "tool": "labeler extract_file (JPEG)", "files": n, "bytes": size, "seconds": detect_file_s, "peak_mb": _peak_mb(), "note": f"{note}; {found_files}/{n} decoded"},
    ]  # fmt: skip


def run(quick: bool) -> list[dict[str, Any]]:
    _pin()
    with tempfile.TemporaryDirectory(prefix="bench-wm-") as name:
        folder = Path(name)
        rows = _speed(3 if quick else 30, folder)
        images, unmarked = (6, 12) if quick else (100, 1000)
        start = time.perf_counter()
        result = robustness(images, unmarked, folder)
        rates = ", ".join(f"{k} {v:.0%}" for k, v in result["recovered"].items())
        rows.append(
            {
                "case": "watermark-robustness",
                "tool": "labeler",
                "files": images + unmarked,
                "bytes": 0,
                "seconds": time.perf_counter() - start,
                "peak_mb": _peak_mb(),
                "note": f"{images} images: {rates}; {result['false_detections']}/{unmarked} false detections; "
                f"PSNR min {result['psnr_min']:.1f} dB, mean {result['psnr_mean']:.1f} dB ({result['tools']})",
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--unmarked", type=int, default=1000)
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--clips", type=int, default=0, help="also measure video: this many clips through H.264 CRF 28 720p")
    parser.add_argument("--video-only", action="store_true")
    args = parser.parse_args()
    _pin()
    print(f"load before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-wm-") as name:
        folder = Path(name)
        if args.clips:
            print(video_robustness(args.clips, folder), flush=True)
        if args.video_only:
            return 0
        for row in _speed(3 if args.quick else 30, folder):
            print(f"{row['tool']:<30} {1000 * row['seconds'] / row['files']:7.1f} ms/image  {row['note']}")
        if not args.speed_only:
            result = robustness(args.images, args.unmarked, folder)
            print(result)
    print(f"load after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
