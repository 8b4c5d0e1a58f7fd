#!/usr/bin/env python3
"""Image benchmarks, labeler side by side with what a user would otherwise run.

- jpeg-implicit-N: implicit-only labelling of N JPEGs (2-4 MP): the ``labeler label --no-explicit``
  command a user runs (all cores, and one), the library call in one process, the bare adapter, vs
  exiftool with the shipped TC260 config in batch mode (one process; also followed by ``sync``, so
  its output is as durable as labeler's fsynced files) and once per file; ``cp -r`` as the floor
  (copying the files, nothing else) and a copy with one fsync per file as the floor for durable
  outputs.
- jpeg-24mp-notice: explicit notice + implicit label on N 24 MP JPEGs: ``labeler label`` (default:
  OCR check of each input for an existing notice; ``--no-ocr-check``; one worker) and the library
  call in one process (its peak RSS against the decoded image), vs ImageMagick
  ``convert -annotate`` followed by exiftool, file after file and two at a time.
- jpeg-24mp-one-file: one 24 MP JPEG as a user labels a single file, start-up included: ``labeler
  label`` (MCU patch; with and without the OCR pre-check; and with jpegtran hidden, the whole-image
  re-encode it replaced) vs ``convert -annotate`` (same text, corner, font) plus exiftool writing
  the TC260 tag (the two timed one after the other and added), a plain ``convert`` decode + encode,
  and labeler's start-up alone.
- verify-N: checking N labelled files (notice receipt + label): ``labeler verify --jobs 2``, the
  metadata read alone, and exiftool reading the tag in batch mode.
- ocr-1024x768: OCR verify of a third-party notice, seconds per image (engine already loaded).

Each tool runs as a child of a small wrapper, so ``seconds`` includes interpreter start-up and
``peak_mb`` is the child's peak RSS; the full run reports the best of ``repeats``.

Usage: python scripts/bench_image.py [--quick]
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from benchtools import measured, parser  # noqa: E402

CONFIG = ROOT / "labeler" / "data" / "exiftool-tc260.config"
PRODUCER = "001191110102MACQD9K64010000"
LABEL = ('{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"bench-1","ReservedCode1":"",'
         '"ContentPropagator":"","PropagateID":"","ReservedCode2":""}')  # fmt: skip
NO_OCR = "import sys\nsys.modules['rapidocr_onnxruntime'] = None  # hide the OCR backend\n"
LABELER_IMPLICIT = f"""
import sys
from pathlib import Path
from labeler import LabelOptions, label_file
out = Path(sys.argv[2])
options = LabelOptions(producer={PRODUCER!r}, explicit=False)
for src in sorted(Path(sys.argv[1]).glob("*.jpg")):
    result = label_file(src, out / src.name, options)
    assert result.ok, result.error
"""
LABELER_ADAPTER = f"""
import sys
from pathlib import Path
from labeler import Label
from labeler.adapters.image import JpegAdapter
out, adapter = Path(sys.argv[2]), JpegAdapter()
label = Label(content_producer={PRODUCER!r}, produce_id="bench-1")
for src in sorted(Path(sys.argv[1]).glob("*.jpg")):
    adapter.write_implicit(src, out / src.name, label)
"""
LABELER_FULL = f"""
import sys
from pathlib import Path
from labeler import LabelOptions, label_file
out = Path(sys.argv[2])
for src in sorted(Path(sys.argv[1]).glob("*.jpg")):
    result = label_file(src, out / src.name, LabelOptions(producer={PRODUCER!r}, ocr_check=False))
    assert result.ok and result.verdict.status == "compliant", (result.error, result.verdict and result.verdict.status)
"""
LABELER_READ = """
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from labeler.registry import sniff

def labelled(paths):
    return sum(bool((found := sniff(p).adapter.read_labels(p)) and found[0].label is not None) for p in paths)

if __name__ == "__main__":
    paths, jobs = sorted(Path(sys.argv[1]).iterdir()), int(sys.argv[2])
    chunks = [paths[i::jobs] for i in range(jobs)]
    with ProcessPoolExecutor(jobs) as pool:
        count = sum(pool.map(labelled, chunks)) if jobs > 1 else labelled(paths)
    assert count == len(paths), (count, len(paths))
"""
#: The floor for durable outputs: each file copied in the kernel and fsynced, no parsing, no rename.
DURABLE_COPY = """
import os, sys
from pathlib import Path
out = Path(sys.argv[2])
for src in sorted(Path(sys.argv[1]).glob("*.jpg")):
    with open(src, "rb") as s, open(out / src.name, "wb") as d:
        size, done = os.fstat(s.fileno()).st_size, 0
        while done < size:
            done += os.copy_file_range(s.fileno(), d.fileno(), size - done, done)
        os.fsync(d.fileno())
"""
#: The floor for durable outputs made the way labeler's group commit does: copies, one syncfs per 128 files.
DURABLE_GROUP_COPY = """
import ctypes, os, sys
from pathlib import Path
out, syncfs = Path(sys.argv[2]), ctypes.CDLL(None, use_errno=True).syncfs
paths = sorted(Path(sys.argv[1]).glob("*.jpg"))
for start in range(0, len(paths), 128):
    for src in paths[start : start + 128]:
        with open(src, "rb") as s, open(out / src.name, "wb") as d:
            size, done = os.fstat(s.fileno()).st_size, 0
            while done < size:
                done += os.copy_file_range(s.fileno(), d.fileno(), size - done, done)
    fd = os.open(out, os.O_RDONLY)
    assert syncfs(fd) == 0
    os.close(fd)
"""
OCR_TIMING = """
import sys, time
from pathlib import Path
from labeler.registry import sniff
paths = sorted(Path(sys.argv[1]).glob("*.jpg"))
adapter = sniff(paths[0]).adapter
adapter.detect_explicit(paths[0])  # loads the engine once
start = time.perf_counter()
states = [adapter.detect_explicit(p).state.value for p in paths]
print(json.dumps({"per_image": (time.perf_counter() - start) / len(paths), "states": states}), file=sys.stderr)
""".replace("import sys, time", "import json, sys, time")


def photo(size: tuple[int, int], seed: int) -> Image.Image:
    """Photo-like content (smooth fields, shapes, sensor noise) so JPEG sizes are realistic."""
    rng = np.random.default_rng(seed)
    width, height = size
    small = rng.integers(0, 255, (max(2, height // 200), max(2, width // 200), 3), dtype=np.uint8)
    image = Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y, r = int(rng.integers(0, width)), int(rng.integers(0, height)), int(rng.integers(width // 40, width // 8))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    noise = rng.normal(0, 6, (height, width, 3)).astype(np.float32)
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + noise, 0, 255).astype(np.uint8))


def make_jpegs(folder: Path, count: int, sizes: list[tuple[int, int]], distinct: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    originals = []
    for index in range(min(count, distinct)):
        buffer = io.BytesIO()
        photo(sizes[index % len(sizes)], index).save(buffer, "JPEG", quality=88)
        originals.append(buffer.getvalue())
    total = 0
    for index in range(count):
        data = originals[index % len(originals)]
        (folder / f"img{index:05d}.jpg").write_bytes(data)
        total += len(data)
    return total


def timed(command: list[str], repeats: int, out: Path | None = None) -> tuple[float, float, str]:
    best, peak, err = float("inf"), 0.0, ""
    for _ in range(repeats):
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
        seconds, peak_mb, err = measured(command, cwd=ROOT)
        best, peak = min(best, seconds), max(peak, peak_mb)
    return best, peak, err


def timed_in_place(command: list[str], repeats: int, sources: Path, folder: Path) -> tuple[float, float]:
    """Best time of ``command`` run on a fresh copy of ``sources`` in ``folder`` (the copy untimed)."""
    best, peak = float("inf"), 0.0
    for _ in range(repeats):
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(sources, folder)
        seconds, peak_mb, _ = measured(command, cwd=ROOT)
        best, peak = min(best, seconds), max(peak, peak_mb)
    return best, peak


def used_bytes(folder: Path) -> int:
    os.sync()
    st = os.statvfs(folder)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


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


def _layouts(folder: Path) -> str:
    """How labeler laid the outputs down, from a re-run of the first file's report (clone or copy)."""
    from labeler import clone

    sample = next(iter(sorted(folder.glob("*.jpg"))), None)
    if sample is None:
        return "no output"
    return (
        "layout: clone (shared blocks)"
        if clone.block_size(sample, folder / "probe.jpg")
        else "layout: copy (the file system does not clone)"
    )


def _labelled(folder: Path) -> int:
    from labeler.adapters.image import JpegAdapter

    adapter = JpegAdapter()
    return sum(
        1 for p in folder.glob("*.jpg") if [f.label.content_producer if f.label else None for f in adapter.read_labels(p)] == [PRODUCER]
    )


def labeler_cli(*args: str) -> list[str]:
    """``labeler label`` as a user runs it (default ProduceID template, config files ignored)."""
    return [sys.executable, "-m", "labeler", "label", "--producer", PRODUCER, "--no-progress", "--no-config", *args]


def bench_implicit(work: Path, count: int, repeats: int) -> list[dict[str, object]]:
    sources = work / "in"
    size = make_jpegs(sources, count, [(2048, 1536), (2304, 1728), (1920, 1440)] if count > 20 else [(1600, 1200)], 12)
    case = f"jpeg-implicit-{count}"
    files = sorted(str(p) for p in sources.glob("*.jpg"))
    rows = []
    out = work / "labeler-new-blocks"
    before = used_bytes(work)
    seconds, peak, _ = measured(labeler_cli(str(sources), "--no-explicit", "--out", str(out)), cwd=ROOT)
    grown = used_bytes(work) - before
    rows.append(
        _row(
            case,
            "labeler label --no-explicit (blocks)",
            count,
            size,
            seconds,
            peak,
            f"new blocks on the file system per output: {grown / count / 1024:.1f} KB (statvfs before/after, journal included); "
            f"{_layouts(out)}",
        )
    )
    shutil.rmtree(out)
    for tool, argv, note in (
        (
            "labeler label --no-explicit",
            labeler_cli(str(sources), "--no-explicit", "--out"),
            "the CLI, all cores: sniff, plan, XMP APP1 splice, verify, durable group commit (syncfs + renames), journal, report",
        ),
        ("labeler label --no-explicit -j 1", labeler_cli(str(sources), "--no-explicit", "-j", "1", "--out"), "the CLI, one worker"),
        (
            "labeler label_file (one process)",
            [sys.executable, "-c", LABELER_IMPLICIT, str(sources)],
            "the library call in a loop, same pipeline, no worker pool",
        ),
        (
            "labeler adapter only",
            [sys.executable, "-c", LABELER_ADAPTER, str(sources)],
            "JpegAdapter.write_implicit: the splice alone, no fsync, no verify",
        ),
    ):
        out = work / tool.replace(" ", "_")
        seconds, peak, _ = timed(argv + [str(out)], repeats, out)
        rows.append(_row(case, tool, count, size, seconds, peak, f"{note}; {_labelled(out)}/{count} carry the label"))
    in_place = work / "in-place"
    seconds, peak = timed_in_place(labeler_cli(str(in_place), "--no-explicit", "--in-place"), repeats, sources, in_place)
    rows.append(
        _row(
            case,
            "labeler label --no-explicit --in-place",
            count,
            size,
            seconds,
            peak,
            "the CLI, all cores, on a copy of the folder (copy not timed)",
        )
    )
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        return rows + [_row(case, "exiftool", 0, 0, 0.0, 0.0, "not installed (apt-get install libimage-exiftool-perl)")]
    version = subprocess.run([exiftool, "-ver"], capture_output=True, text=True, check=True).stdout.strip()
    base = [exiftool, "-config", str(CONFIG), "-q", f"-XMP-TC260:AIGC={LABEL}"]
    seconds, peak = timed_in_place([*base, "-overwrite_original", str(in_place)], repeats, sources, in_place)
    rows.append(
        _row(
            case,
            f"exiftool {version} batch -overwrite_original",
            count,
            size,
            seconds,
            peak,
            f"in place on a copy of the folder (copy not timed), one process, no fsync; {_labelled(in_place)}/{count} carry the label",
        )
    )
    out = work / "exiftool-batch"
    seconds, peak, _ = timed(base + ["-o", f"{out}/", *files], repeats, out)
    rows.append(
        _row(
            case,
            f"exiftool {version} batch",
            count,
            size,
            seconds,
            peak,
            f"one process for all files, no fsync; {_labelled(out)}/{count} carry the label",
        )
    )
    then_sync = ["sh", "-c", '"$@" && sync', "sh"]  # arguments passed as "$@", never parsed by the shell
    seconds, peak, _ = timed([*then_sync, *base, "-o", f"{out}/", *files], repeats, out)
    rows.append(
        _row(
            case,
            f"exiftool {version} batch + sync",
            count,
            size,
            seconds,
            peak,
            "the same, then sync: as durable as labeler's fsynced outputs",
        )
    )
    out = work / "cp"
    seconds, peak, _ = timed(["cp", "-r", f"{sources}/.", str(out)], repeats, out)
    rows.append(
        _row(case, "cp -r (floor)", count, size, seconds, peak, "copying the files unchanged: the least any tool writing new files can do")
    )
    seconds, peak, _ = timed([sys.executable, "-c", DURABLE_GROUP_COPY, str(sources), str(out)], repeats, out)
    rows.append(
        _row(
            case,
            "copy + one syncfs per 128 files (durable group floor)",
            count,
            size,
            seconds,
            peak,
            "copy_file_range, one syncfs per group of 128 (labeler's group size), nothing else: the least a tool with durable outputs can do",
        )
    )
    seconds, peak, _ = timed([sys.executable, "-c", DURABLE_COPY, str(sources), str(out)], repeats, out)
    rows.append(
        _row(
            case,
            "copy + fsync per file (durable floor)",
            count,
            size,
            seconds,
            peak,
            "copy_file_range and one fsync per file, nothing else: the least a tool with durable outputs can do",
        )
    )
    out = work / "exiftool-per-file"
    per_file = files[: min(count, 50)]
    script = "import json, subprocess, sys\nbase, out = json.loads(sys.argv[1]), sys.argv[2]\nfor f in sys.argv[3:]:\n    subprocess.run(base + ['-o', out + '/', f], check=True)\n"
    seconds, peak, _ = timed([sys.executable, "-c", script, json.dumps(base), str(out), *per_file], 1, out)
    scaled = seconds * count / len(per_file)
    rows.append(
        _row(
            case,
            f"exiftool {version} per file",
            count,
            size,
            scaled,
            peak,
            f"one exiftool process per file; timed on {len(per_file)} files, scaled to {count}",
        )
    )
    return rows


def bench_notice(work: Path, count: int, size_px: tuple[int, int], repeats: int) -> list[dict[str, object]]:
    sources = work / "in"
    size = make_jpegs(sources, count, [size_px], count)
    megapixels = size_px[0] * size_px[1] / 1e6
    decoded_mb = size_px[0] * size_px[1] * 3 / 2**20
    case = f"jpeg-{megapixels:.0f}mp-notice"
    rows = []
    for tool, argv, note in (
        ("labeler label", labeler_cli(str(sources), "--out"), "the CLI, all cores; OCR checks each input for an existing notice first"),
        (
            "labeler label --no-ocr-check",
            labeler_cli(str(sources), "--no-ocr-check", "--out"),
            "the CLI, all cores, fresh inputs: no OCR pass",
        ),
        ("labeler label --no-ocr-check -j 1", labeler_cli(str(sources), "--no-ocr-check", "-j", "1", "--out"), "the CLI, one worker"),
        (
            "labeler label_file (one process)",
            [sys.executable, "-c", NO_OCR + LABELER_FULL, str(sources)],
            "the library call in a loop, OCR backend hidden",
        ),
    ):
        out = work / tool.replace(" ", "_")
        seconds, peak, _ = timed(argv + [str(out)], repeats, out)
        rows.append(_row(case, tool, count, size, seconds, peak, f"{note}; notice + label + verify (receipt); {_labelled(out)}/{count} labelled; "
                         f"peak RSS of the largest process {peak / decoded_mb:.2f}x the decoded image ({decoded_mb:.0f} MB)"))  # fmt: skip
    convert = next((c for c in ("/usr/bin/convert", shutil.which("magick")) if c and Path(c).is_file()), None)
    exiftool = shutil.which("exiftool")
    if convert is None or exiftool is None:
        return rows + [
            _row(
                case,
                "imagemagick+exiftool",
                0,
                0,
                0.0,
                0.0,
                "ImageMagick or exiftool not installed (apt-get install imagemagick libimage-exiftool-perl)",
            )
        ]
    font = work / "droid.ttf"
    import pymupdf

    font.write_bytes(pymupdf.Font("cjk").buffer)
    point = round(0.06 * min(size_px) * 1.15)
    margin = round(0.02 * min(size_px))
    script = (
        "import subprocess, sys\nfrom concurrent.futures import ThreadPoolExecutor\nfrom pathlib import Path\n"
        "src, out, jobs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])\n"
        "def one(f):\n"
        f"    subprocess.run([{convert!r}, str(f), '-font', {str(font)!r}, '-pointsize', '{point}', '-fill', 'white', '-undercolor', '#000000B0', "
        f"'-gravity', 'southeast', '-annotate', '+{margin}+{margin}', 'AI生成', str(out / f.name)], check=True)\n"
        f"    subprocess.run([{exiftool!r}, '-config', {str(CONFIG)!r}, '-q', '-overwrite_original', '-XMP-TC260:AIGC=' + {LABEL!r}, str(out / f.name)], check=True)\n"
        "with ThreadPoolExecutor(jobs) as pool:\n    list(pool.map(one, sorted(src.glob('*.jpg'))))\n"
    )
    version = (
        subprocess.run([convert, "-version"], capture_output=True, text=True, check=True).stdout.split("\n")[0].replace("Version: ", "")
    )
    for jobs, how in ((1, "file after file"), (2, "two files at a time")):
        out = work / f"imagemagick-{jobs}"
        seconds, peak, _ = timed([sys.executable, "-c", script, str(sources), str(out), str(jobs)], repeats, out)
        rows.append(
            _row(
                case,
                f"imagemagick+exiftool, {how}",
                count,
                size,
                seconds,
                peak,
                f"{version}: convert -annotate, then exiftool writes the label; {_labelled(out)}/{count} carry the label",
            )
        )
    return rows


#: ``labeler label`` with jpegtran/djpeg hidden from labeler: the whole-image re-encode it did before the MCU patch.
WHOLE_IMAGE = """
import sys
import labeler.adapters.image.jpegpatch as patch
patch.TOOLS = ("jpegtran-hidden-by-the-benchmark",)
from labeler.cli import main
sys.exit(main(sys.argv[1:]))
"""


def bench_one(work: Path, size_px: tuple[int, int], repeats: int, ocr: bool = True) -> list[dict[str, object]]:
    """One JPEG, as a user labels a single file: every row includes its tool's start-up (``ocr``: also
    the default command, which OCR-checks the input first)."""
    sources = work / "in"
    size = make_jpegs(sources, 1, [size_px], 1)
    source = next(sources.glob("*.jpg"))
    megapixels = size_px[0] * size_px[1] / 1e6
    decoded_mb = size_px[0] * size_px[1] * 3 / 2**20
    case = f"jpeg-{megapixels:.0f}mp-one-file"
    rows = []
    cli = labeler_cli(str(source), "--out")
    for tool, argv, note in (
        ("labeler label --no-ocr-check", [*cli[:-1], "--no-ocr-check", "--out"], "MCU patch: jpegtran -drop of the notice's blocks"),
        *([("labeler label", cli, "default: the input is OCR-checked for someone else's notice first")] if ocr else []),
        (
            "labeler label --no-ocr-check, whole image re-encoded",
            [sys.executable, "-c", WHOLE_IMAGE, *labeler_cli(str(source), "--no-ocr-check", "--out")[3:]],
            "jpegtran hidden: the path before the MCU patch (decode, draw, encode with the same tables)",
        ),
    ):
        out = work / tool.replace(" ", "_").replace(",", "")
        seconds, peak, _ = timed(argv + [str(out)], repeats, out)
        rows.append(_row(case, tool, 1, size, seconds, peak, f"{note}; {_labelled(out)}/1 carry the label; "
                         f"peak RSS of the largest process {peak / decoded_mb:.2f}x the decoded image ({decoded_mb:.0f} MB)"))  # fmt: skip
    convert = next((c for c in ("/usr/bin/convert", shutil.which("magick")) if c and Path(c).is_file()), None)
    exiftool = shutil.which("exiftool")
    if convert is None or exiftool is None:
        return rows + [_row(case, "imagemagick+exiftool", 0, 0, 0.0, 0.0, "ImageMagick or exiftool not installed")]
    font = work / "droid.ttf"
    import pymupdf

    font.write_bytes(pymupdf.Font("cjk").buffer)
    point, margin = round(0.06 * min(size_px) * 1.15), round(0.02 * min(size_px))
    out = work / "imagemagick"
    target = out / source.name
    annotate = [convert, str(source), "-font", str(font), "-pointsize", str(point), "-fill", "white", "-undercolor", "#000000B0",
                "-gravity", "southeast", "-annotate", f"+{margin}+{margin}", "AI生成", str(target)]  # fmt: skip
    tag = [exiftool, "-config", str(CONFIG), "-q", "-overwrite_original", f"-XMP-TC260:AIGC={LABEL}", str(target)]
    drawn, drawn_peak, _ = timed(annotate, repeats, out)
    tagged, tagged_peak, _ = timed(tag, repeats)  # tags the last annotated output in place
    seconds, peak = drawn + tagged, max(drawn_peak, tagged_peak)
    rows.append(_row(case, "imagemagick convert -annotate + exiftool", 1, size, seconds, peak,
                     f"same text, corner and font; then exiftool writes the TC260 tag; {_labelled(out)}/1 carry the label"))  # fmt: skip
    seconds, peak, _ = timed([convert, str(source), str(target)], repeats, out)
    rows.append(_row(case, "imagemagick convert (decode + encode only)", 1, size, seconds, peak, "no notice, no tag: a plain re-encode"))
    seconds, peak, _ = timed([*cli[:3], "--version"], repeats)
    rows.append(
        _row(case, "labeler --version (start-up only)", 0, 0, seconds, peak, "python -m labeler --version: interpreter and CLI import")
    )
    if shutil.which("jpegtran") and shutil.which("djpeg"):  # the MCU patch's own C work: its floor
        from labeler.render import plan_banner

        box, mcu = plan_banner("AI生成", size_px).box, 16
        x, y = box[0] // mcu * mcu, box[1] // mcu * mcu
        crop = f"{box[2] - x + mcu}x{box[3] - y + mcu}+{x}+{y}"
        seconds, peak, _ = timed(["djpeg", "-crop", crop, "-outfile", "/dev/null", str(source)], repeats)
        rows.append(
            _row(
                case,
                "djpeg -crop (the notice's blocks decoded)",
                1,
                size,
                seconds,
                peak,
                "entropy decoding up to the box, pixels only there",
            )
        )
        seconds, peak, _ = timed(["jpegtran", "-copy", "none", "-outfile", "/dev/null", str(source)], repeats)
        rows.append(
            _row(
                case,
                "jpegtran (lossless transcode alone)",
                1,
                size,
                seconds,
                peak,
                "-drop's cost without the drop: every coefficient decoded and coded again",
            )
        )
    return rows


def bench_verify(work: Path, count: int, repeats: int) -> list[dict[str, object]]:
    from labeler import LabelOptions, label_file

    work.mkdir(parents=True, exist_ok=True)
    source = work / "src.jpg"
    buffer = io.BytesIO()
    photo((640, 480), 7).save(buffer, "JPEG", quality=85)
    source.write_bytes(buffer.getvalue())
    labelled = work / "labelled.jpg"
    assert label_file(source, labelled, LabelOptions(producer=PRODUCER, produce_id="bench-1")).ok
    folder = work / "many"
    folder.mkdir()
    data = labelled.read_bytes()
    for index in range(count):
        (folder / f"v{index:05d}.jpg").write_bytes(data)
    size = len(data) * count
    case = f"verify-{count}"
    report = work / "report.json"
    seconds, peak, _ = timed(
        [
            sys.executable,
            "-m",
            "labeler",
            "verify",
            str(folder),
            "--jobs",
            "2",
            "--format",
            "json",
            "--output",
            str(report),
            "--no-progress",
        ],
        repeats,
    )
    summary = json.loads(report.read_text())["summary"]
    rows = [
        _row(
            case,
            "labeler verify --jobs 2",
            count,
            size,
            seconds,
            peak,
            f"label + notice receipt check (decodes pixels), 640x480; {summary.get('compliant')}/{count} compliant; {count / seconds:.0f} files/s",
        )
    ]
    for jobs in (1, 2):
        seconds, peak, _ = timed([sys.executable, "-c", LABELER_READ, str(folder), str(jobs)], repeats)
        rows.append(
            _row(
                case,
                f"labeler read_labels x{jobs}",
                count,
                size,
                seconds,
                peak,
                f"metadata only, {jobs} process(es); {count / seconds:.0f} files/s",
            )
        )
    seconds, peak, _ = timed([sys.executable, "-c", "import labeler.registry"], repeats)
    rows.append(
        _row(
            case,
            "labeler start-up only",
            0,
            0,
            seconds,
            peak,
            "python -c 'import labeler.registry' (every adapter family): subtract from the rows above for steady-state rates",
        )
    )
    exiftool = shutil.which("exiftool")
    if exiftool:
        seconds, peak, _ = timed([exiftool, "-q", "-XMP-TC260:AIGC", str(folder)], repeats)
        rows.append(
            _row(case, "exiftool batch read", count, size, seconds, peak, f"metadata only, one process; {count / seconds:.0f} files/s")
        )
    return rows


def bench_ocr(work: Path, count: int) -> list[dict[str, object]]:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return [_row("ocr-1024x768", "labeler", 0, 0, 0.0, 0.0, "OCR extra not installed (pip install 'gb45438-labeler[ocr]')")]
    from labeler.render import render_banner

    folder = work / "ocr"
    folder.mkdir(parents=True)
    for index in range(count):
        image = photo((1024, 768), 100 + index)
        banner = render_banner("豆包AI生成", image.size, ("bottom-right", "top-left", "bottom")[index % 3], 0.06)
        image.paste(banner.patch, banner.box[:2], banner.patch)  # drawn, but no receipt stored: OCR must read it
        image.save(folder / f"o{index}.jpg", quality=85)
    seconds, peak, err = timed([sys.executable, "-c", OCR_TIMING, str(folder)], 1)
    result = json.loads(err.strip().splitlines()[-1])
    present = result["states"].count("present")
    return [
        _row(
            "ocr-1024x768",
            "labeler",
            count,
            0,
            result["per_image"],
            peak,
            f"seconds per image (engine loaded); {present}/{count} notices read; process total {seconds:.1f} s",
        )
    ]


def implicit_on(folder: Path, quick: bool) -> list[dict[str, object]]:
    """Only the implicit-label case, with inputs and outputs in ``folder`` (an XFS mount: cloning)."""
    work = folder / "labeler-bench-image"
    shutil.rmtree(work, ignore_errors=True)
    try:
        return bench_implicit(work, 10 if quick else 500, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(quick: bool) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="bench-image-") as tmp:
        work = Path(tmp)
        repeats = 1  # best-of-N would multiply a long run; the machine's load is reported beside the numbers
        rows = bench_implicit(work / "implicit", 10 if quick else 500, repeats)
        rows += bench_notice(work / "notice", 1 if quick else 6, (1600, 1200) if quick else (6000, 4000), repeats)
        rows += bench_one(work / "one", (1600, 1200) if quick else (6000, 4000), 1 if quick else 3, ocr=not quick)
        rows += bench_verify(work / "verify", 20 if quick else 5000, repeats)
        if not quick:
            rows += bench_ocr(work, 10)
    return rows


def main(argv: list[str]) -> int:
    cli = parser(__doc__, implicit_on=True)
    cli.add_argument("--only-implicit", action="store_true", help="only the implicit-label case, in a temp folder")
    args = cli.parse_args(argv)
    if args.implicit_on:
        rows = implicit_on(args.implicit_on, args.quick)
    elif args.only_implicit:
        with tempfile.TemporaryDirectory(prefix="bench-image-") as tmp:
            rows = implicit_on(Path(tmp), args.quick)
    else:
        rows = run(args.quick)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
