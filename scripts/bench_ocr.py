#!/usr/bin/env python3
"""OCR verify of third-party notices (issue 18 part 4): time per image and ``--jobs`` scaling.

    python scripts/bench_ocr.py                           # this checkout
    python scripts/bench_ocr.py --baseline /work/main     # and another checkout, side by side
    python scripts/bench_ocr.py --quick                   # two images per set (smoke run)

Sets (made here with Pillow and PyMuPDF's CJK font, not labeler's renderer, and saved without a
notice receipt, so verify must read them by OCR): ``notice`` — 1024x768 photo-like JPEGs with a
third-party notice (``豆包AI生成``, ``本内容由人工智能生成`` ...) at one of the eight edge and corner
positions, 5-10 % of the short side; ``plain`` — the same without a notice, half of them with
ordinary text (prices, greetings). Every file carries a TC260 label, so the status is decided by
the notice alone.

Rows: seconds per image of ``detect_explicit`` in one process with the OCR engine already loaded
(the figure issue 18 quotes), and one ``labeler verify --jobs N`` over both sets for N = 1, 2 and
all cores (start-up and engine loads included). With ``--baseline`` each measurement runs for the
baseline right before this checkout, so both see the same load; ``uptime`` is printed with them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from benchtools import measured  # noqa: E402

NOTICES = ["AI生成", "豆包AI生成", "本内容由人工智能生成", "由AI合成", "人工智能合成", "内容由AI生成"]
ORDINARY = ["春季新品发布会", "限时优惠 立即购买", "联系电话 400-123-4567", "欢迎光临", "New Arrivals"]
POSITIONS = ["top-left", "top", "top-right", "left", "right", "bottom-left", "bottom", "bottom-right"]
LABEL = (
    '{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"bench-ocr","ReservedCode1":"",'
    '"ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
)
PER_IMAGE = """
import json, sys, time
from pathlib import Path
from labeler.registry import sniff
paths = sorted(Path(sys.argv[1]).glob("*.jpg"))
adapter = sniff(paths[0]).adapter
adapter.detect_explicit(paths[0])  # loads the engine once
start = time.perf_counter()
states = [adapter.detect_explicit(p).state.value for p in paths]
print(json.dumps({"per_image": (time.perf_counter() - start) / len(paths), "states": states}), file=sys.stderr)
"""


def _font(size: int) -> ImageFont.FreeTypeFont:
    import pymupdf

    return ImageFont.truetype(io.BytesIO(pymupdf.Font("cjk").buffer), size)


def photo(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([128 + 90 * np.sin(rng.uniform(-3, 3) * x / width + rng.uniform(-3, 3) * y / height + c) for c in (0, 2, 4)], -1)
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 9)):
        cx, cy, r = rng.randrange(width), rng.randrange(height), rng.randint(10, width // 5)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 5, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + noise, 0, 255).astype(np.uint8))


def text_at(image: Image.Image, text: str, ratio: float, position: str) -> None:
    """White text with a dark outline on a translucent box, glyphs ``ratio`` of the short side."""
    width, height = image.size
    probe = _font(100)
    _, top, _, bottom = probe.getbbox(text)
    font = _font(max(6, round(100 * ratio * min(width, height) / (bottom - top))))
    left, top, right, bottom = font.getbbox(text)
    pad, margin = font.size // 4, min(width, height) // 40
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    v, _, hz = position.partition("-") if "-" in position else (position, "", "") if position in ("top", "bottom") else ("", "", position)
    x = margin if hz == "left" else width - w - margin if hz == "right" else (width - w) // 2
    y = margin if v == "top" else height - h - margin if v == "bottom" else (height - h) // 2
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.rounded_rectangle([x, y, x + w, y + h], radius=pad, fill=(0, 0, 0, 150))
    draw.text((x + pad - left, y + pad - top), text, font=font, fill=(255, 255, 255, 255), stroke_width=1, stroke_fill=(0, 0, 0, 255))
    image.paste(Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB"))


def make_sets(folder: Path, count: int) -> dict[str, Path]:
    from labeler.adapters.image import jpeg
    from labeler.xmp import build_xmp

    packet = build_xmp(LABEL)
    rng = random.Random(18)
    sets = {"notice": folder / "notice", "plain": folder / "plain"}
    for name, path in sets.items():
        path.mkdir(parents=True)
        for index in range(count):
            image = photo(rng, (1024, 768))
            if name == "notice":
                text_at(image, rng.choice(NOTICES), rng.uniform(0.05, 0.10), POSITIONS[index % len(POSITIONS)])
            elif index % 2:
                text_at(image, rng.choice(ORDINARY), rng.uniform(0.04, 0.10), rng.choice(POSITIONS))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=rng.randint(75, 92))
            (path / f"{name}-{index:03}.jpg").write_bytes(jpeg.with_xmp(buffer.getvalue(), packet))
    return sets


def per_image(checkout: Path, folder: Path) -> tuple[float, list[str]]:
    _, _, err = measured([sys.executable, "-c", PER_IMAGE, str(folder)], cwd=checkout)
    result = json.loads(err.strip().splitlines()[-1])
    return float(result["per_image"]), list(result["states"])


def verify(checkout: Path, folders: list[Path], jobs: int, report: Path) -> tuple[float, float, dict[str, int]]:
    command = [sys.executable, "-m", "labeler", "verify", *map(str, folders), "--format", "json", "--output", str(report)]
    seconds, peak, _ = measured([*command, "--no-progress", "--no-config", "--jobs", str(jobs)], ok=(0, 1), cwd=checkout)
    statuses: dict[str, int] = {}
    for entry in json.loads(report.read_text(encoding="utf-8"))["files"]:
        key = f"{Path(entry['path']).parent.name}:{entry['status']}"
        statuses[key] = statuses.get(key, 0) + 1
    return seconds, peak, statuses


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def measure(checkouts: dict[str, Path], count: int, jobs: list[int]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as temp:
        sets = make_sets(Path(temp), count)
        for name, folder in sets.items():
            for tool, checkout in checkouts.items():
                seconds, states = per_image(checkout, folder)
                present = states.count("present")
                rows.append(_row(f"ocr per image, {name} 1024x768", tool, count, seconds, 0.0, f"{present}/{count} present; {uptime()}"))
        for n in jobs:
            for tool, checkout in checkouts.items():
                seconds, peak, statuses = verify(checkout, list(sets.values()), n, Path(temp) / "report.json")
                note = f"{2 * count / seconds:.2f} files/s; {json.dumps(statuses, sort_keys=True)}; {uptime()}"
                rows.append(_row(f"ocr verify --jobs {n}", tool, 2 * count, seconds, peak, note))
    return rows


def _row(case: str, tool: str, files: int, seconds: float, peak: float, note: str) -> dict[str, object]:
    return {"case": case, "tool": tool, "files": files, "bytes": 0, "seconds": round(seconds, 3), "peak_mb": round(peak, 1), "note": note}


def available() -> bool:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def run(quick: bool) -> list[dict[str, object]]:
    if not available():
        return [_row("ocr per image", "labeler", 0, 0.0, 0.0, "OCR extra not installed (pip install 'gb45438-labeler[ocr]')")]
    cores = os.cpu_count() or 1
    return measure({"labeler": ROOT}, 2 if quick else 24, [1] if quick else sorted({1, 2, cores}))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two images per set, --jobs 1 only")
    parser.add_argument("--baseline", type=Path, help="another checkout of labeler, measured beside this one")
    parser.add_argument("--count", type=int, default=24, help="images per set (default 24)")
    args = parser.parse_args(argv)
    if not available():
        print("needs the OCR extra: pip install 'gb45438-labeler[ocr]'", file=sys.stderr)
        return 2
    checkouts = {"labeler": ROOT}
    if args.baseline is not None:
        checkouts = {f"baseline {args.baseline}": args.baseline.resolve(), "labeler": ROOT}
    cores = os.cpu_count() or 1
    rows = measure(checkouts, 2 if args.quick else args.count, [1] if args.quick else sorted({1, 2, cores}))
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
