"""Animated WebP notice: every frame keeps its own duration, the loop count and background colour
survive, and each displayed frame is the source's outside the notice box. Inputs made by Pillow
(lossless, varied durations); outputs read by exiftool, Pillow and a direct read of the RIFF chunks."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageSequence

from labeler import LabelOptions, label_file
from labeler.render.banner import Receipt

from .conftest import PRODUCER, sha256
from .image_tools import exif_tags, needs_exiftool, run

pytestmark = [needs_exiftool]
DURATIONS = [100, 40, 250, 70]
LOOP = 3
BACKGROUND = (255, 255, 255, 255)


def animated(path: Path) -> Path:
    """Four distinct lossless frames (a moving disc on a gradient) with their own durations."""
    ramp = np.linspace(0, 255, 160, dtype=np.uint8)
    base = Image.fromarray(np.dstack([np.tile(ramp, (120, 1)), np.tile(ramp[::-1], (120, 1)), np.full((120, 160), 90, np.uint8)]))
    frames = []
    for i in range(len(DURATIONS)):
        frame = base.copy()
        ImageDraw.Draw(frame).ellipse((10 + 30 * i, 20, 50 + 30 * i, 60), fill=(255, 255 - 60 * i, 0))
        frames.append(frame)
    frames[0].save(
        path,
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=DURATIONS,
        loop=LOOP,
        background=BACKGROUND,
        lossless=True,
        exact=True,
    )
    return path


def anmf(path: Path) -> dict[str, object]:
    """Loop, background (BGRA as stored) and per-frame durations from the ANIM/ANMF chunks (WebP container spec)."""
    data, pos, durations, anim = path.read_bytes(), 12, [], b""
    while pos + 8 <= len(data):
        fourcc, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = data[pos + 8 : pos + 8 + size]
        if fourcc == b"ANIM":
            anim = body
        elif fourcc == b"ANMF":
            durations.append(int.from_bytes(body[12:15], "little"))
        pos += 8 + size + (size & 1)
    return {"background": anim[:4].hex(), "loop": struct.unpack("<H", anim[4:6])[0], "durations": durations}


def pillow_frames(path: Path) -> list[tuple[int, np.ndarray]]:
    with Image.open(path) as image:
        out = []
        for frame in ImageSequence.Iterator(image):
            frame.load()  # Pillow fills a WebP frame's duration when it decodes the frame
            out.append((frame.info["duration"], np.asarray(frame.convert("RGBA")).copy()))
        return out


def test_animated_webp_keeps_frame_timing_loop_and_background(tmp_path: Path) -> None:
    src = animated(tmp_path / "anim.webp")
    before = sha256(src)
    assert anmf(src)["durations"] == DURATIONS  # the fixture really has varied durations
    out = tmp_path / "out" / src.name
    result = label_file(src, out, LabelOptions(producer=PRODUCER, ocr_check=False))
    assert result.ok, result.error
    assert result.verdict.status == "compliant", result.verdict.to_dict()
    assert sha256(src) == before

    assert anmf(out) == anmf(src)
    tags = {k: v for k, v in exif_tags(out).items() if k.startswith("RIFF:")}
    source_tags = {k: v for k, v in exif_tags(src).items() if k.startswith("RIFF:")}
    assert tags["RIFF:Duration"] == source_tags["RIFF:Duration"] == sum(DURATIONS) / 1000
    assert tags["RIFF:AnimationLoopCount"] == LOOP
    assert tags["RIFF:BackgroundColor"] == source_tags["RIFF:BackgroundColor"]

    with Image.open(out) as image:
        assert image.info["loop"] == LOOP and image.info["background"] == BACKGROUND
    receipt = Receipt.from_json(run("exiftool", "-s3", "-XMP-lbln:NoticeReceipt", str(out)).strip())
    x0, y0, x1, y1 = receipt.box
    got, want = pillow_frames(out), pillow_frames(src)
    assert [d for d, _ in got] == DURATIONS
    for (_, after), (_, source) in zip(got, want, strict=True):
        # blend/dispose may be re-chosen by the encoder; what is shown must be the source's outside the notice
        outside = np.ones(after.shape[:2], bool)
        outside[y0:y1, x0:x1] = False
        assert np.array_equal(after[outside], source[outside])
        assert not np.array_equal(after[y0:y1, x0:x1], source[y0:y1, x0:x1])  # the notice is on every frame
