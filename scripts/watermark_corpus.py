"""Deterministic test images for the watermark: photo-like, flat graphics and text screenshots.

Photo-like: 1/f^beta noise per channel (beta 1.6-2.4, correlated channels) over a gradient, the
spectrum of natural photographs. Graphics: flat-colour rectangles and ellipses on a flat ground.
Screenshots: lines of text (Pillow's default font, 12-22 px) on white or dark ground under a
coloured title bar. Sizes from 512x512 to 1920x1080, including portrait.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZES = ((640, 480), (800, 600), (1024, 768), (1280, 720), (1600, 1200), (1920, 1080), (512, 512), (1080, 1350))
_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "label",
    "verify",
    "watermark",
    "content",
    "producer",
    "AIGC",
    "metadata",
    "platform",
]


def photo(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    radius = np.sqrt(fx**2 + fy**2)
    radius[0, 0] = 1.0
    beta = rng.uniform(1.6, 2.4)
    planes: list[np.ndarray] = []
    for _ in range(3):
        spectrum = (rng.normal(size=radius.shape) + 1j * rng.normal(size=radius.shape)) / radius ** (beta / 2 + 0.5)
        spectrum[0, 0] = 0
        plane = np.fft.irfft2(spectrum, s=(height, width))
        plane = (plane - plane.mean()) / plane.std()
        planes.append(plane if not planes else 0.7 * planes[-1] + 0.3 * plane)
    pixels = np.stack(planes, -1) * rng.uniform(25, 50) + rng.uniform(80, 170, 3)
    gy, gx = np.mgrid[0:height, 0:width] / max(width, height)
    pixels += (gx * rng.uniform(-60, 60) + gy * rng.uniform(-60, 60))[..., None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    red, green, blue = (int(v) for v in rng.integers(0, 256, 3))
    return red, green, blue


def graphic(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), _colour(rng))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(4, 15))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        box = (x0, y0, x0 + int(rng.integers(20, width // 2)), y0 + int(rng.integers(20, height // 2)))
        (draw.rectangle if rng.integers(0, 2) else draw.ellipse)(box, fill=_colour(rng))
    return image


def screenshot(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    light = rng.random() < 0.7
    image = Image.new("RGB", (width, height), (255, 255, 255) if light else (30, 30, 36))
    ink = (20, 20, 20) if light else (220, 220, 220)
    draw = ImageDraw.Draw(image)
    size = int(rng.integers(12, 22))
    font = ImageFont.load_default(size)
    draw.rectangle((0, 0, width, 40), fill=_colour(rng))
    y = 50
    while y < height - size:
        line = " ".join(rng.choice(_WORDS, int(rng.integers(3, 14))))
        draw.text((int(rng.integers(8, 40)), y), line, fill=ink, font=font)
        y += int(size * 1.5)
    return image


KINDS = (photo, graphic, screenshot)


def images(count: int, seed: int = 0) -> Iterator[tuple[str, Image.Image]]:
    """``count`` images (kinds in turn), each with its kind's name."""
    rng = np.random.default_rng(seed)
    for index in range(count):
        width, height = SIZES[int(rng.integers(0, len(SIZES)))]
        make = KINDS[index % len(KINDS)]
        yield make.__name__, make(rng, width, height)
