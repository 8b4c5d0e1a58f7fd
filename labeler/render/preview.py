"""Report previews: a small PNG ``data:`` URI showing where the notice was found.

Images, video frames and PDF pages become a thumbnail with each detected notice box outlined;
audio becomes a waveform strip with the detected cue shaded. Adapters offer these through
``Adapter.preview`` (by media family, see ``PREVIEWS``); the HTML report only embeds them. A
preview is optional: any failure to decode gives None, never an exception.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..model import Measurements

THUMB = 240  # longest side of an image thumbnail, px
WAVE = (480, 64)  # waveform strip size, px
MAX_WAVE_S = 600  # the strip covers at most the first ten minutes
OUTLINE = (255, 0, 170)  # notice box outline colour (magenta: never a natural label colour)
CUE = (255, 170, 0, 110)


def _png(image: Any) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _outlined(image: Any, detail: Mapping[str, Any], full: tuple[int, int] | None = None) -> str:
    """A thumbnail of ``image`` with each detected notice box outlined; boxes are in the pixels of
    their ``frame`` (else of ``full``, the undecimated size)."""
    from PIL import ImageDraw

    width, height = image.size
    scale = min(1.0, THUMB / max(width, height))
    thumb = image.convert("RGB").resize((max(1, round(width * scale)), max(1, round(height * scale))))
    draw = ImageDraw.Draw(thumb)
    for found in Measurements.of(detail).boxes:
        box, frame = found.box, found.frame or full
        fx = scale * (width / frame[0]) if frame and frame[0] else scale
        fy = scale * (height / frame[1]) if frame and frame[1] else scale
        x0, y0, x1, y1 = box[0] * fx, box[1] * fy, box[2] * fx, box[3] * fy
        draw.rectangle([x0 - 2, y0 - 2, x1 + 2, y1 + 2], outline=OUTLINE, width=3)
    return _png(thumb)


def image_preview(path: Path, detail: Mapping[str, Any]) -> str | None:
    """A thumbnail with each detected notice box outlined, or None if Pillow cannot read it."""
    try:
        from PIL import Image

        with Image.open(path) as source:
            source.seek(0)
            full = source.size
            source.draft("RGB", (THUMB * 2, THUMB * 2))  # JPEG: decode at reduced size (boxes scale by the frame size)
            image = source.convert("RGB")
    except Exception:  # noqa: BLE001 - a preview is optional; the verdict already says what is wrong
        return None
    return _outlined(image, detail, full)


def video_preview(path: Path, detail: Mapping[str, Any]) -> str | None:
    """The frame where the notice was checked (``start_s``, else 0.5 s) with its box outlined."""
    import subprocess

    try:
        from PIL import Image

        from .. import ffmpeg

        at = detail.get("start_s")
        at = float(at) + 0.05 if isinstance(at, (int, float)) and not isinstance(at, bool) else 0.5
        command = [
            ffmpeg.executable(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-ss",
            f"{at:.3f}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "image2pipe",
            "-vcodec",
            "png",
            "-",
        ]
        frame = subprocess.run(command, capture_output=True, timeout=60, check=True).stdout
        image = Image.open(io.BytesIO(frame)).convert("RGB")
    except Exception:  # noqa: BLE001 - optional preview (no ffmpeg, undecodable stream, timeout)
        return None
    return _outlined(image, detail)


def envelope(path: Path, columns: int) -> tuple[Any, Any, float] | None:
    """Per-column (min, max) of the mono signal and the duration covered, read block by block
    (at most ``MAX_WAVE_S`` seconds), so a long file never sits in memory."""
    import numpy as np
    import soundfile

    info = soundfile.info(str(path))
    total = min(info.frames, int(info.samplerate * MAX_WAVE_S))
    if total <= 0:
        return None
    lows, highs = np.full(columns, np.inf), np.full(columns, -np.inf)
    position = 0
    for block in soundfile.blocks(str(path), blocksize=1 << 16, dtype="float32", always_2d=True, frames=total):
        mono = block.mean(axis=1)
        index = (position + np.arange(mono.size)) * columns // total
        starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
        at = index[starts]
        lows[at] = np.minimum(lows[at], np.minimum.reduceat(mono, starts))
        highs[at] = np.maximum(highs[at], np.maximum.reduceat(mono, starts))
        position += mono.size
    return lows, highs, total / info.samplerate


def audio_preview(path: Path, detail: Mapping[str, Any]) -> str | None:
    """A waveform strip with the detected cue(s) shaded, or None when the audio cannot be decoded."""
    try:
        import numpy as np
        from PIL import Image, ImageDraw

        shape = envelope(path, WAVE[0])
    except Exception:  # noqa: BLE001 - optional preview
        return None
    if shape is None:
        return None
    lows, highs, duration = shape
    width, height = WAVE
    image = Image.new("RGB", WAVE, (246, 248, 250))
    draw = ImageDraw.Draw(image, "RGBA")  # RGBA drawing on an RGB image blends the translucent cue
    for start, end in Measurements.of(detail).spans:
        if start < duration:
            x0, x1 = width * start / duration, width * min(end, duration) / duration
            draw.rectangle([x0, 0, max(x1, x0 + 2), height], fill=CUE)
    # Full scale (1.0) is the strip's half height, as audio editors draw it: scaling to the loudest
    # sample made any steady tone fill the strip as a solid bar and blew dither up into noise.
    # Each column is one vertical line from its minimum to its maximum, so a tone is a band as
    # high as its amplitude, symmetric around the centre line, and silence a flat line.
    centre, half = (height - 1) / 2, (height - 1) / 2 - 1
    finite = np.isfinite(lows) & np.isfinite(highs)
    tops = np.round(centre - np.clip(highs, -1.0, 1.0) * half)
    bottoms = np.round(centre - np.clip(lows, -1.0, 1.0) * half)
    for x in np.flatnonzero(finite):
        draw.line([(int(x), int(tops[x])), (int(x), int(bottoms[x]))], fill=(36, 41, 47, 255))
    return _png(image)


def document_preview(path: Path, detail: Mapping[str, Any]) -> str | None:
    """PDF: the page holding the notice with its bounding box (PDF points, or OCR pixels) outlined."""
    try:
        import pymupdf
        from PIL import Image

        with pymupdf.open(path) as doc:
            if not doc.is_pdf or doc.page_count == 0:
                return None
            number = detail.get("page", 1)
            page = doc[min(max(int(number) - 1, 0), doc.page_count - 1) if isinstance(number, int) else 0]
            width, height = page.rect.width, page.rect.height
            zoom = THUMB / max(width, height)
            pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
            image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
    except Exception:  # noqa: BLE001 - optional preview (encrypted, damaged, not a PDF)
        return None
    boxes: dict[str, Any] = {}
    if isinstance(detail.get("bbox"), (list, tuple)):
        boxes = {"box": list(detail["bbox"]), "frame": [width, height]}
    elif isinstance(detail.get("box_px"), (list, tuple)) and isinstance(detail.get("dpi"), (int, float)):
        scale = detail["dpi"] / 72
        boxes = {"box": list(detail["box_px"]), "frame": [width * scale, height * scale]}
    return _outlined(image, boxes)


#: Media family -> the preview its adapters give (``Adapter.preview``).
PREVIEWS: dict[str, Callable[[Path, Mapping[str, Any]], str | None]] = {
    "image": image_preview,
    "video": video_preview,
    "audio": audio_preview,
    "document": document_preview,
}
