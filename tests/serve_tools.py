"""Inputs for the serve tests made without labeler: Pillow draws the notice (with the CJK font
PyMuPDF ships), exiftool writes the AIGC label; the labelled output is judged by exiftool too."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXIFTOOL_CONFIG = ROOT / "labeler" / "data" / "exiftool-tc260.config"
PRODUCER = "001191110102MACQD9K64010000"
LABEL = {
    "Label": "1",
    "ContentProducer": PRODUCER,
    "ProduceID": "made-by-exiftool",
    "ReservedCode1": "",
    "ContentPropagator": "",
    "PropagateID": "",
    "ReservedCode2": "",
}
needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")


def noticed_png(path: Path, colour: tuple[int, int, int]) -> Path:
    """A PNG with a visible 'AI生成' notice in the bottom-right corner and no metadata label."""
    import pymupdf
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (480, 320), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(io.BytesIO(pymupdf.Font("cjk").buffer), 40)
    left, top, right, bottom = draw.textbbox((0, 0), "AI生成", font=font)
    x, y = 480 - (right - left) - 16, 320 - (bottom - top) - 16
    draw.rectangle([x - 8, y - 8, x + right - left + 8, y + bottom - top + 8], fill=(0, 0, 0))
    draw.text((x - left, y - top), "AI生成", font=font, fill=(255, 255, 255))
    image.save(path)
    return path


def labelled_png(path: Path) -> Path:
    """``noticed_png`` plus the seven-field AIGC label in XMP, written by exiftool."""
    noticed_png(path, (40, 90, 160))
    subprocess.run(
        [
            "exiftool",
            "-config",
            str(EXIFTOOL_CONFIG),
            "-q",
            "-overwrite_original",
            f"-XMP-TC260:AIGC={json.dumps(LABEL, separators=(',', ':'))}",
            str(path),
        ],
        check=True,
    )
    return path


def exiftool_label(path: Path) -> dict[str, str] | None:
    """The AIGC label exiftool reads from ``path`` (None when there is none)."""
    out = subprocess.run(
        ["exiftool", "-config", str(EXIFTOOL_CONFIG), "-j", "-XMP-TC260:AIGC", str(path)], check=True, capture_output=True, text=True
    ).stdout
    value = json.loads(out)[0].get("AIGC")
    return json.loads(value) if isinstance(value, str) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(folder: Path, *flags: str) -> tuple[subprocess.Popen[str], int]:
    """``labeler serve`` as a user starts it, on a free port; waits until it accepts connections."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "labeler", "serve", "--port", str(port), "--no-config", *flags],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert f"http://127.0.0.1:{port}/" in line, line
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    return process, port
