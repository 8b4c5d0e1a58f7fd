"""OCR of visible notices with rapidocr-onnxruntime (optional extra ``ocr``; models ship in the wheel).

The engine loads once per process, lazily. A frame is rescaled so its shortest side is about
``TARGET_SHORT`` pixels (small images are upscaled: a 5 % notice on a 240-px image is 12 px tall,
too small for the detector), read once, and each line's *glyph* height is then measured in the
original pixels (the detector's boxes are padded, so their height would overstate the text).
Text is normalised: full-width characters folded, and ``Al``/``A1`` (a common misread of ``AI``
next to Chinese) corrected.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from PIL import Image

from ..errors import BackendMissingError
from ..lazy import lazy_module
from ..model import Backend
from ..pool import THREADS_ENV
from .geometry import TextHit

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

INSTALL_HINT = "pip install 'gb45438-labeler[ocr]'  (rapidocr-onnxruntime==1.4.4, Python < 3.13)"
TARGET_SHORT = 720
#: rapidocr's detector upscales its input to this short side (config ``Det.limit_side_len``).
DET_SHORT = 736
MAX_LONG = 1600
MIN_SCORE = 0.5
LOCK = threading.Lock()
_MISREAD_AI = re.compile(r"(?<![A-Za-z])(?:A[l1I|](?=[\u4e00-\u9fff]|$|\s)|AL(?=[\u4e00-\u9fff]))")  # "AL生成" too, not a lone "AL"


_suppressed: ContextVar[bool] = ContextVar("labeler_ocr_suppressed", default=False)


@contextlib.contextmanager
def suppressed() -> Iterator[None]:
    """Within the block, detection behaves as if OCR were not installed (``label --no-ocr-check``)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def available() -> bool:
    if _suppressed.get():
        return False
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def backend() -> Backend:
    return Backend("ocr", available(), "rapidocr-onnxruntime reads notices on third-party images", INSTALL_HINT)


@lru_cache(maxsize=1)
def engine() -> Any:
    """The shared OCR engine (loaded on first use; raises ``BackendMissingError`` if absent)."""
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise BackendMissingError(f"OCR is not installed; {INSTALL_HINT}") from exc
    threads = os.environ.get(THREADS_ENV, "")
    return RapidOCR(**({"intra_op_num_threads": int(threads)} if threads.isdigit() and int(threads) > 0 else {}))


def normalise_text(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).strip()
    return _MISREAD_AI.sub("AI", folded)


def _otsu(values: np.ndarray) -> float:
    hist = np.bincount(values.astype(np.uint8).ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    weights = np.cumsum(hist)
    means = np.cumsum(hist * np.arange(256))
    between = (means[-1] * weights - means * total) ** 2 / np.maximum(weights * (total - weights), 1e-9)
    return float(np.argmax(between))


def glyph_extent(gray: np.ndarray) -> tuple[int, int] | None:
    """Top and bottom row of the text inside a detector box (text = the minority Otsu class)."""
    if gray.size < 16 or gray.max() - gray.min() < 40:
        return None
    threshold = _otsu(gray)
    light = gray > threshold
    ink = light if light.mean() < 0.5 else ~light
    rows = np.where(ink.sum(axis=1) >= max(1, 0.01 * gray.shape[1]))[0]
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1])


def working_image(image: Image.Image, scale: float | None = None) -> tuple[Image.Image, Image.Image]:
    """``image`` in a mode OCR reads (``source``) and rescaled to about ``TARGET_SHORT`` on its
    short side (``work``, RGB): recognition cuts its lines from ``work``, glyphs are measured in ``source``."""
    source = image.convert("RGBA") if image.mode in ("P", "PA", "1") else image
    if source.mode.startswith("I"):  # 16-bit grey: scale to 8 bits (a plain convert would clip to white)
        source = Image.fromarray((np.asarray(source, dtype=np.float32) / 257).astype(np.uint8))
    width, height = source.size
    if scale is None:
        scale = min(TARGET_SHORT / min(width, height), MAX_LONG / max(width, height), 4.0)
    work = (
        source.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BICUBIC)
        if abs(scale - 1) > 0.05
        else source
    )
    return source, work if work.mode == "RGB" else work.convert("RGB")  # resized first: no full-size copy of a big frame


def hits_from(source: Image.Image, results: list[Any], scale: tuple[float, float]) -> list[TextHit]:
    """OCR results ``(points, text, score)`` in working-image pixels as ``TextHit``s in ``source``
    pixels, each with its glyph height measured there (detector boxes are padded)."""
    width, height = source.size
    scale_x, scale_y = scale
    hits = []
    for points, text, score in results:
        if float(score) < MIN_SCORE:
            continue
        xs, ys = [p[0] / scale_x for p in points], [p[1] / scale_y for p in points]
        box = (max(0, int(min(xs))), max(0, int(min(ys))), min(width, round(max(xs))), min(height, round(max(ys))))
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        extent = glyph_extent(np.asarray(source.crop(box).convert("L"), dtype=np.float32))  # per box: no full-size grey copy
        glyph = (extent[1] - extent[0] + 1) if extent else (box[3] - box[1]) / 1.6
        hits.append(TextHit(normalise_text(str(text)), box, float(glyph), float(score)))
    return hits


def read_lines(image: Image.Image, scale: float | None = None) -> list[TextHit]:
    """Every text line OCR sees in ``image`` (display orientation), in its pixel coordinates.

    ``scale`` overrides the automatic rescale (a caller that already upscaled its crops passes 1).
    For a notice verdict on a picture, ``scan.read_notice_lines`` reads only what can decide it."""
    source, work = working_image(image, scale)
    ocr = engine()
    with LOCK:  # onnxruntime sessions are thread-safe, the rapidocr wrapper is not documented as such
        result, _ = ocr(np.asarray(work)[:, :, ::-1])
    return with_joined(hits_from(source, result or [], (work.width / source.width, work.height / source.height)))


def read_line(image: Image.Image) -> tuple[str, float]:
    """Recognition only, for an image already known to hold one line of text (a tracked or
    candidate box): the text and its score. Skipping detection makes it ~20x cheaper than
    ``read_lines`` (the detector upscales any input to 736 px on its short side)."""
    ocr = engine()
    work = image if image.mode == "RGB" else image.convert("RGB")
    with LOCK:
        result, _ = ocr(np.asarray(work)[:, :, ::-1], use_det=False, use_cls=False, use_rec=True)
    text, score = (result or [["", 0.0]])[0]
    return normalise_text(str(text)), float(score)


def with_joined(hits: list[TextHit]) -> list[TextHit]:
    """Also offer neighbouring lines joined (``元宝`` above ``AI生成``, ``人工智能`` / ``生成``)."""
    joined = []
    for a in hits:
        for b in hits:
            if a is b:
                continue
            same_row = abs(a.box[1] - b.box[1]) < 0.5 * a.glyph_height and 0 <= b.box[0] - a.box[2] < 2 * a.glyph_height
            stacked = 0 <= b.box[1] - a.box[3] < a.glyph_height and min(a.box[2], b.box[2]) > max(a.box[0], b.box[0])
            if same_row or stacked:
                box = (min(a.box[0], b.box[0]), min(a.box[1], b.box[1]), max(a.box[2], b.box[2]), max(a.box[3], b.box[3]))
                joined.append(TextHit(a.text + b.text, box, min(a.glyph_height, b.glyph_height), min(a.score, b.score)))
    return hits + joined
