"""The video watermark (labeler/watermark/video.py): labelled with --watermark, re-encoded by ffmpeg
as a platform would (libx264 CRF 28, 720p), still found; streams, codec and container kept."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labeler.cli import main
from labeler.errors import UnsupportedError
from labeler.label import Label
from labeler.watermark import video
from labeler.watermark.payload import decode, encode, payload_for

from .conftest import FIXTURES, PRODUCER, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import watermark_corpus

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None, reason="ffmpeg/ffprobe not installed"),
]
BASE = ["--no-config", "--no-progress", "-j", "1"]


def ffprobe(path: Path) -> list[dict[str, Any]]:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)], check=True, capture_output=True).stdout
    return list(json.loads(out)["streams"])


def make_clip(folder: Path, kind: int, size: str = "1280x720", seconds: int = 3) -> Path:
    """A panning clip over a generated picture, with a tone, made by ffmpeg (H.264 CRF 18 + AAC)."""
    width, height = (int(v) for v in size.split("x"))
    picture = folder / f"still{kind}.png"
    watermark_corpus.KINDS[kind](np.random.default_rng(kind), width + 200, height + 120).save(picture)
    clip = folder / f"clip{kind}.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-i", str(picture), "-f", "lavfi", "-i", f"sine=f=440:d={seconds}",
         "-filter_complex", f"[0:v]crop={width}:{height}:x='t*50':y='t*30',format=yuv420p[v]", "-map", "[v]", "-map", "1:a",
         "-t", str(seconds), "-r", "25", "-c:v", "libx264", "-crf", "18", "-preset", "veryfast", "-c:a", "aac", str(clip)],
        check=True,
    )  # fmt: skip
    return clip


def platform(src: Path, dst: Path) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(src), "-vf", "scale=-2:720", "-c:v", "libx264", "-crf", "28", "-preset", "veryfast",
         "-c:a", "aac", "-map_metadata", "-1", str(dst)],
        check=True,
    )  # fmt: skip
    return dst


def test_label_and_platform_reencode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = make_clip(tmp_path, 0, "1920x1080")
    out = tmp_path / "out"
    assert main(["label", *BASE, "--producer", PRODUCER, "--no-ocr-check", "--watermark", "--out", str(out), str(clip)]) == 0
    labelled = out / clip.name
    before, after = ffprobe(clip), ffprobe(labelled)
    assert [(s["codec_type"], s["codec_name"]) for s in after] == [(s["codec_type"], s["codec_name"]) for s in before]
    assert (after[0]["width"], after[0]["height"], after[0]["pix_fmt"]) == (1920, 1080, "yuv420p")
    received = platform(labelled, tmp_path / "received.mp4")
    assert ffprobe(received)[0]["height"] == 720
    capsys.readouterr()
    main(["verify", *BASE, "--format", "json", str(received), "--watermark-producer", PRODUCER])
    [entry] = json.loads(capsys.readouterr().out)["files"]
    assert entry["status"] in ("missing-implicit", "unlabelled", "missing-implicit-unverified")  # metadata gone: never compliant
    assert entry["signals"]["watermark"]["present"] is True
    assert any(f"(producer {PRODUCER})" in w for w in entry["signals"]["warnings"])


@pytest.mark.parametrize("kind", [1, 2])
def test_graphics_and_screen_recordings(tmp_path: Path, kind: int) -> None:
    clip = make_clip(tmp_path, kind)
    payload = payload_for(Label(content_producer=PRODUCER, produce_id=f"clip-{kind}"), None)
    marked = tmp_path / "marked.mp4"
    video.embed_file(clip, marked, encode(payload))
    soft = video.extract_file(platform(marked, tmp_path / "received.mp4"))
    assert soft is not None
    found = decode(soft)
    assert found is not None and found.payload == payload
    assert video.extract_file(clip) is None  # the unmarked clip shows no synchronisation


def test_webm_vp9_and_refusals(tmp_path: Path) -> None:
    payload = payload_for(Label(content_producer=PRODUCER, produce_id="webm"), None)
    webm = tmp_path / "in.webm"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=2", "-f", "lavfi",
         "-i", "sine=d=2", "-c:v", "libvpx-vp9", "-crf", "30", "-b:v", "0", "-c:a", "libopus", str(webm)],
        check=True,
    )  # fmt: skip
    video.embed_file(webm, tmp_path / "out.webm", encode(payload))
    assert [s["codec_name"] for s in ffprobe(tmp_path / "out.webm")] == ["vp9", "opus"]
    soft = video.extract_file(tmp_path / "out.webm")
    assert soft is not None and (found := decode(soft)) is not None and found.payload == payload
    samples = FIXTURES / "samples" / "video"
    with pytest.raises(UnsupportedError, match="avi videos are not watermarked"):
        video.embed_file(samples / "avi-mpeg4-mp3.avi", tmp_path / "out.avi", encode(payload))
    with pytest.raises(UnsupportedError, match="the video is 240x180; the watermark needs at least 256 pixels"):
        video.embed_file(samples / "m4v-h264.m4v", tmp_path / "out.m4v", encode(payload))
    assert not (tmp_path / "out.avi").exists() and not (tmp_path / "out.m4v").exists()
