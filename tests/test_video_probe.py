"""The stream probe: ffprobe JSON and the ffmpeg-log fallback (used when only imageio-ffmpeg's static
ffmpeg is installed) agree on what the notice pipeline needs; labelling works without ffprobe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from labeler import LabelOptions, ffmpeg, label_file
from labeler.adapters.video import probe

from .conftest import FIXTURES, PRODUCER

CASES = FIXTURES / "cases" / "video"
NAMES = [
    "mp4-rotated-90.mp4",
    "mp4-anamorphic-sar-4-3.mp4",
    "mp4-hevc-10bit-hdr.mp4",
    "webm-vp9-odd-size.webm",
    "mkv-third-party-aigc-tag.mkv",
]


@pytest.fixture
def no_ffprobe(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LABELER_FFPROBE", "/nonexistent/ffprobe")
    ffmpeg.resolve.cache_clear()
    yield
    monkeypatch.delenv("LABELER_FFPROBE")
    ffmpeg.resolve.cache_clear()


def essentials(info: probe.Probe) -> tuple:
    video = info.video
    return (
        video.index,
        video.codec,
        video.width,
        video.height,
        video.pix_fmt,
        video.sar,
        video.rotation,
        video.display_size,
        video.colour.get("color_transfer"),
        round(info.duration, 1),
    )


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="compares against ffprobe")
@pytest.mark.parametrize("name", NAMES)
def test_log_fallback_matches_ffprobe(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with_ffprobe = probe.probe(CASES / name)
    assert with_ffprobe.backend == "ffprobe"
    monkeypatch.setenv("LABELER_FFPROBE", "/nonexistent/ffprobe")
    ffmpeg.resolve.cache_clear()
    try:
        fallback = probe.probe(CASES / name)
    finally:
        monkeypatch.delenv("LABELER_FFPROBE")
        ffmpeg.resolve.cache_clear()
    assert fallback.backend == "ffmpeg log"
    assert essentials(fallback) == essentials(with_ffprobe)


def test_labelling_without_ffprobe(no_ffprobe: None, tmp_path: Path) -> None:
    assert probe.backend_name() == "ffmpeg log"
    src = CASES / "mp4-rotated-90.mp4"
    result = label_file(src, tmp_path / src.name, LabelOptions(producer=PRODUCER))
    assert result.ok and result.verdict.status == "compliant", result.error
    assert result.verdict.to_dict()["explicit"]["detail"]["frame"] == [240, 320]
