"""Video notice detection: third-party notices by OCR (start, duration, position, height), too-short
and late notices, stripped receipts, and the drawtext escaping of the benchmark's peer command;
plus the quick benchmark as a smoke test."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from labeler.detect import ocr
from labeler.registry import sniff
from labeler.render.fonts import font_bytes

from .conftest import FIXTURES, ROOT

SAMPLES = FIXTURES / "samples" / "video"
needs_ocr = pytest.mark.skipif(not ocr.available(), reason="OCR (rapidocr-onnxruntime) not installed")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is the independent reader here")]
KEYS = {"case", "tool", "files", "bytes", "seconds", "peak_mb", "note"}


def bench():
    spec = importlib.util.spec_from_file_location("bench_video", ROOT / "scripts" / "bench_video.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def third_party(tmp_path: Path, text: str, seconds: float, name: str = "tp.mp4", x: str = "w-tw-12", y: str = "h-th-12") -> Path:
    """A video with a drawtext notice (white on a dark box), as another tool would draw it."""
    font = tmp_path / "cjk.ttf"
    font.write_bytes(font_bytes())
    src = tmp_path / name
    graph = f"drawtext=fontfile={font}:expansion=none:text={bench().drawtext_escape(text)}:fontsize=28:fontcolor=white:box=1:boxcolor=black@0.7:boxborderw=6:x={x}:y={y}:enable='lt(t,{seconds})'"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "smptehdbars=size=480x360:rate=25:duration=5",
            "-vf",
            graph,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "20",
            str(src),
        ],
        check=True,
    )
    return src


@needs_ocr
def test_third_party_notice_found_by_ocr(tmp_path: Path) -> None:
    src = third_party(tmp_path, "AI生成", 3.0)
    evidence = sniff(src).adapter.detect_explicit(src)
    assert evidence.state.value == "present" and evidence.detail["method"] == "ocr", evidence
    assert not [p for p in evidence.problems if p.is_error], evidence.problems
    assert evidence.detail["position"] == "bottom-right" and evidence.detail["start_s"] == 0
    assert 2.5 <= evidence.detail["end_s"] <= 3.3 and evidence.detail["height_ratio"] >= 0.05


@needs_ocr
def test_notice_shown_one_second_is_too_short(tmp_path: Path) -> None:
    src = third_party(tmp_path, "AI生成", 1.0)
    evidence = sniff(src).adapter.detect_explicit(src)
    assert evidence.state.value == "present"
    assert "notice.too-short" in [p.rule for p in evidence.problems if p.is_error]


@needs_ocr
def test_notice_in_the_middle_is_not_at_an_edge(tmp_path: Path) -> None:
    src = third_party(tmp_path, "AI生成", 4.0, x="(w-tw)/2", y="(h-th)/2")
    evidence = sniff(src).adapter.detect_explicit(src)
    assert "notice.placement" in [p.rule for p in evidence.problems if p.is_error]


def test_unlabelled_video_is_absent_or_unknown() -> None:
    src = SAMPLES / "mov-h264-aac.mov"
    evidence = sniff(src).adapter.detect_explicit(src)
    assert evidence.state.value == ("absent" if ocr.available() else "unknown")


def test_stripped_receipt_falls_back_honestly(tmp_path: Path) -> None:
    """Our notice in the pixels, the receipt gone: OCR reads it; never PRESENT without evidence."""
    src = SAMPLES / "mkv-h264-aac-subtitle-chapters.mkv"
    adapter = sniff(src).adapter
    noticed = tmp_path / "n.mkv"
    adapter.write_explicit(src, noticed, __import__("labeler").Notice())
    stripped = tmp_path / "s.mkv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(noticed), "-map", "0", "-c", "copy", "-map_metadata", "-1", str(stripped)], check=True
    )
    assert adapter.receipt(stripped) is None
    evidence = adapter.detect_explicit(stripped)
    assert evidence.state.value == ("present" if ocr.available() else "unknown")


def test_drawtext_escaping_draws_hostile_text_literally(tmp_path: Path) -> None:
    """The peer command escapes for the filter graph: the hostile text renders exactly as from a file."""
    hostile = "AI生成:'\\,%{pts}[x];drawbox"
    font = tmp_path / "cjk.ttf"
    font.write_bytes(font_bytes())
    (tmp_path / "t.txt").write_text(hostile, encoding="utf-8")
    common = "fontsize=20:fontcolor=white:x=4:y=4:expansion=none"
    frames = []
    for source in (f"text={bench().drawtext_escape(hostile)}", f"textfile={tmp_path / 't.txt'}"):
        out = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=black:size=480x40:duration=0.04", "-vf", f"drawtext=fontfile={font}:{source}:{common}",
                              "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout  # fmt: skip
        frames.append(out)
    assert frames[0] == frames[1] and max(frames[0]) > 200, "text drawn, and drawn literally"
    with pytest.raises(ValueError):
        bench().drawtext_escape("AI生成\n2")


def test_quick_bench_rows() -> None:
    rows = bench().run(quick=True)
    assert rows and all(set(row) == KEYS for row in rows)
    cases = {row["case"] for row in rows}
    assert any(c.startswith("implicit") for c in cases) and any(c.startswith("explicit") for c in cases)
    assert all(row["seconds"] > 0 for row in rows)
