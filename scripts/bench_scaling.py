"""Scaling: the real CLI over 10 → 10,000 files and small → large files, --jobs 1 vs all cores.

Inputs are copies of the clean text, image and document samples, renamed so each is its own file
(audio and video costs are dominated by decoding/encoding and have their own benchmarks). Full
labelling and verify run up to 1,000 files; metadata-only labelling up to 10,000. Every run is a fresh ``labeler``
process, so times include start-up; ``peak_mb`` is the peak RSS of the largest process in its tree
(workers included; ``benchtools.measured``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from benchtools import measured  # noqa: E402

PRODUCER = "001191110102MACQD9K64010000"


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and the peak RSS (MB) of the largest process in the command's tree."""
    seconds, peak, _ = measured(command, ok=(0, 1))
    return seconds, peak


def seeds() -> list[Path]:
    samples = ROOT / "fixtures" / "samples"
    return sorted(
        p for p in samples.rglob("*") if p.is_file() and not {"video", "audio"} & set(p.parts) and not p.name.endswith(".aigc.json")
    )


def populate(folder: Path, count: int) -> int:
    folder.mkdir(parents=True)
    pool = seeds()
    total = 0
    for n in range(count):
        seed = pool[n % len(pool)]
        target = folder / f"{n // 500:03d}" / f"{n:05d}-{seed.name}"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(seed, target)
        total += seed.stat().st_size
    return total


def labeler(*args: str) -> list[str]:
    return [sys.executable, "-m", "labeler", *args, "--no-progress"]


def run(quick: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    counts = (6,) if quick else (10, 100, 1000, 10000)
    all_cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        for count in counts:
            inputs = base / f"in-{count}"
            size = populate(inputs, count)
            for jobs in sorted({1, all_cores}):
                out = base / f"out-{count}-{jobs}"
                if count > 1000:
                    seconds, peak = measure(
                        labeler("label", str(inputs), "--out", str(out), "--producer", PRODUCER, "--no-explicit", "--jobs", str(jobs))
                    )
                    rows.append(
                        {
                            "case": f"label metadata-only, {count} files",
                            "tool": f"labeler --jobs {jobs}",
                            "files": count,
                            "bytes": size,
                            "seconds": seconds,
                            "peak_mb": peak,
                            "note": "no content re-encode",
                        }
                    )
                    shutil.rmtree(out)
                    continue
                seconds, peak = measure(labeler("label", str(inputs), "--out", str(out), "--producer", PRODUCER, "--jobs", str(jobs)))
                rows.append(
                    {
                        "case": f"label explicit+implicit, {count} files",
                        "tool": f"labeler --jobs {jobs}",
                        "files": count,
                        "bytes": size,
                        "seconds": seconds,
                        "peak_mb": peak,
                        "note": "mixed text/image/document samples",
                    }
                )
                seconds, peak = measure(labeler("verify", str(out), "--jobs", str(jobs)))
                rows.append(
                    {
                        "case": f"verify, {count} files",
                        "tool": f"labeler --jobs {jobs}",
                        "files": count,
                        "bytes": size,
                        "seconds": seconds,
                        "peak_mb": peak,
                        "note": "own notices: render-receipt checks, no OCR",
                    }
                )
                shutil.rmtree(out)
                seconds, peak = measure(
                    labeler("label", str(inputs), "--out", str(out), "--producer", PRODUCER, "--no-explicit", "--jobs", str(jobs))
                )
                rows.append(
                    {
                        "case": f"label metadata-only, {count} files",
                        "tool": f"labeler --jobs {jobs}",
                        "files": count,
                        "bytes": size,
                        "seconds": seconds,
                        "peak_mb": peak,
                        "note": "no content re-encode",
                    }
                )
                shutil.rmtree(out)
            shutil.rmtree(inputs)
        for megabytes in (0.01,) if quick else (0.01, 1, 64):
            source = base / f"copy-{megabytes}MB.md"
            paragraph = "广告文案，面向春季新品。Spring campaign copy.\n\n"
            source.write_text("# Copy\n\n" + paragraph * max(1, int(megabytes * 2**20 / len(paragraph.encode()))), encoding="utf-8")
            seconds, peak = measure(
                labeler("label", str(source), "--out", str(base / f"out-{megabytes}"), "--producer", PRODUCER, "--jobs", "1")
            )
            rows.append(
                {
                    "case": f"label one {megabytes} MB Markdown file",
                    "tool": "labeler --jobs 1",
                    "files": 1,
                    "bytes": source.stat().st_size,
                    "seconds": seconds,
                    "peak_mb": peak,
                    "note": "explicit + implicit",
                }
            )
    return rows
