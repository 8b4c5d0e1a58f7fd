"""Find a third-party notice in a video's opening seconds and measure when it is shown.

Search (OCR; the second pass runs only when the first found nothing, so a video whose first frame
shows its notice costs one OCR call, as an image does):

1. the first frame, whole;
2. the lines OCR read in the first frame without finding a notice, read again in the next two
   samples (OCR can slip on one frame over busy content);
3. overlays the pixels betray, in the top and bottom thirds: glyph outlines (strong edges) that
   hold still across three samples (around 0.5 s: a notice OCR slipped on in the first frame, over
   busy content; from 2 s or from 3.25 s and new since the first frame: a late notice). Each line-shaped box is
   read by recognition only (no detector pass), so the pass costs a fraction of a whole-frame read.

Tracking (pixels, no OCR): the notice's glyph pixels are the minority Otsu class of its box in the
frame OCR read, kept only where the next samples agree (a busy background changes there, an overlay
does not). A sample shows the notice when at least ``AGREE`` of those pixels are within ``TOLERANCE``
grey levels of the reference. A run may skip one missed sample (a decoding or tracking slip); its
start and end are refined to the frame by decoding every frame of the box around each boundary.
When the run comes out shorter than 2 s, the first missed sample's box is read by OCR, upscaled: a
notice read there restarts tracking from that frame (pixels can fail where a reader still sees the
text, e.g. over flashing content).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image

from ...detect.geometry import TextHit, judge_hits
from ...lazy import lazy_module
from ...model import Evidence, Presence

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

TOLERANCE = 40.0
AGREE = 0.7
#: Three consecutive samples from each of these times (seconds from the start) over which an
#: overlay holds still: early (a notice OCR slipped on in the first frame), then from 2 s and from
#: 3.25 s (a late notice, also required to be new since the first frame).
CANDIDATE_STARTS = (0.25, 2.0, 3.25)
#: Grey levels an overlay pixel varies by at most between samples (compression noise).
STABLE = 12.0
#: Grey-level gradient of a glyph outline (a flat area, still or not, has none).
EDGE = 40.0
#: Overlay boxes read per time group (recognition only: a fraction of a whole-frame read each).
MAX_CANDIDATES = 3
#: Samples after the first in which the lines OCR read in the first frame are read again.
REREADS = 2
#: How often a too-short run may be re-checked by OCR before its length is believed.
MAX_CONFIRMATIONS = 3

Frames = list[tuple[float, Image.Image]]
Box = tuple[int, int, int, int]


def _grey(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float32)


def _otsu_minority(gray: np.ndarray) -> np.ndarray:
    hist = np.bincount(gray.astype(np.uint8).ravel(), minlength=256).astype(np.float64)
    total, weights, means = hist.sum(), np.cumsum(hist), np.cumsum(hist * np.arange(256))
    between = (means[-1] * weights - means * total) ** 2 / np.maximum(weights * (total - weights), 1e-9)
    light = gray > float(np.argmax(between))
    return light if light.mean() < 0.5 else ~light


@dataclass(frozen=True)
class Tracker:
    """The notice's glyph pixels in its box, and their grey levels where OCR read it."""

    box: Box
    reference: np.ndarray
    mask: np.ndarray

    @classmethod
    def build(cls, image: Image.Image, box: Box, neighbours: list[Image.Image]) -> Tracker:
        reference = _grey(_crop(image, box))
        mask = _otsu_minority(reference)
        for other in neighbours:  # drop pixels that a busy background changes between samples
            kept = mask & (np.abs(_grey(_crop(other, box)) - reference) < TOLERANCE)
            if kept.sum() >= 0.5 * mask.sum():
                mask = kept
        if mask.sum() < 10:
            mask = np.ones_like(mask)
        return cls(box, reference, mask)

    def holds(self, image: Image.Image) -> bool:
        crop = _grey(_crop(image, self.box))
        if crop.shape != self.reference.shape:
            return False
        return float((np.abs(crop - self.reference)[self.mask] < TOLERANCE).mean()) >= AGREE


def _crop(image: Image.Image, box: Box) -> Image.Image:
    """``image`` may already be the box (ffmpeg cropped it) or the whole frame."""
    return image if image.size == (box[2] - box[0], box[3] - box[1]) else image.crop(box)


# --- search ------------------------------------------------------------------------------------


def _three_from(samples: Frames, time: float) -> list[int]:
    """Indices of the three samples from ``time`` seconds after the first one (fewer at the end)."""
    first = next((i for i, (t, _) in enumerate(samples) if t - samples[0][0] >= time - 1e-3), len(samples))
    return list(range(first, min(first + 3, len(samples))))


def _stable(greys: list[np.ndarray]) -> np.ndarray:
    stack = np.stack(greys)
    stable: np.ndarray = (stack.max(axis=0) - stack.min(axis=0)) < STABLE
    return stable


def overlay_candidates(samples: Frames) -> list[tuple[int, Box]]:
    """(sample index, box) of text-like overlays in the top and bottom thirds that the pixels
    betray: edges (glyph outlines) that hold still across three samples (around 0.5 s: a notice
    OCR slipped on in the first frame; from 2 s or 3.25 s and new since the first frame: a late
    notice).
    The largest ``MAX_CANDIDATES`` per time group, line-shaped."""
    import cv2

    height = samples[0][1].height
    band = math.ceil(height / 3)
    groups = [_three_from(samples, start) for start in CANDIDATE_STARTS]
    grey = {i: _grey(samples[i][1]) for i in {0}.union(*groups)}
    found: list[tuple[int, Box]] = []
    for group_number, indices in enumerate(groups):
        late = group_number > 0
        if len(indices) < 3:
            continue
        centre = grey[indices[1]]
        gy, gx = np.gradient(centre)
        mask = _stable([grey[i] for i in indices]) & (np.hypot(gx, gy) >= EDGE)
        if late:
            mask &= np.abs(centre - grey[0]) >= TOLERANCE
        mask[band : height - band] = False
        closed = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 9), np.uint8))
        _, _, stats, _ = cv2.connectedComponentsWithStats(closed)
        group = []
        for x, y, w, h, area in stats[1:].tolist():
            if 0.02 * height <= h <= band and w >= h and area >= 40:
                group.append((area, (indices[1], (x, y, x + w, y + h))))
        found += [c for _, c in sorted(group, key=lambda g: -g[0])[:MAX_CANDIDATES]]
    return found


def reread_boxes(samples: Frames, first_frame_boxes: list[Box]) -> list[tuple[int, Box]]:
    """(sample index, box): the lines OCR read in the first frame without finding a notice, to be
    read again in the next ``REREADS`` samples. Over busy content OCR can slip on one frame
    (``AT生成``, or a background blob read as a letter: ``LAI生成``) and read the same overlay
    right a quarter of a second later. The largest ``MAX_CANDIDATES`` lines."""
    largest = sorted(first_frame_boxes, key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))[:MAX_CANDIDATES]
    return [(index, box) for index in range(1, min(1 + REREADS, len(samples))) for box in largest]


def _candidate_hits(
    samples: Frames, boxes: list[tuple[int, Box]], read_line: Callable[[Image.Image], tuple[str, float]], pad: bool
) -> dict[int, list[TextHit]]:
    """Each candidate box read as one line (recognition only), per sample. ``pad``: the box is the
    glyphs' own extent and needs a margin (an OCR detector's box already has one; more would let
    a busy background in)."""
    from ...detect.ocr import MIN_SCORE, glyph_extent

    per_sample: dict[int, list[TextHit]] = {}
    for index, box in boxes:
        image = samples[index][1]
        margin = max(2, (box[3] - box[1]) // 4) if pad else 0
        padded = (max(0, box[0] - margin), max(0, box[1] - margin), min(image.width, box[2] + margin), min(image.height, box[3] + margin))
        text, score = read_line(image.crop(padded))
        if text and score >= MIN_SCORE:
            extent = glyph_extent(_grey(image.crop(box)))
            glyph = (extent[1] - extent[0] + 1) if extent else box[3] - box[1]
            per_sample.setdefault(index, []).append(TextHit(text, box, float(glyph), score))
    return per_sample


def search(samples: Frames, extra: tuple[Any, ...]) -> tuple[int, Evidence]:
    """(sample index, evidence) of the notice OCR finds; the index is -1 when none is found."""
    from ...detect import ocr

    frame = samples[0][1].size
    lines = ocr.read_lines(samples[0][1])
    first = judge_hits(lines, frame, "ocr", extra)
    if first.state is Presence.PRESENT:
        return 0, first
    per_sample: dict[int, list[TextHit]] = {}
    for boxes, pad in ((reread_boxes(samples, [hit.box for hit in lines]), False), (overlay_candidates(samples), True)):
        for index, hits in _candidate_hits(samples, boxes, ocr.read_line, pad).items():
            per_sample.setdefault(index, []).extend(hits)
    found = [(index, judge_hits(hits, frame, "ocr (still overlay)", extra)) for index, hits in sorted(per_sample.items())]
    present = [(sum(p.is_error for p in e.problems), index, e) for index, e in found if e.state is Presence.PRESENT]
    if present:
        _, index, evidence = min(present, key=lambda x: x[:2])
        return index, evidence
    return -1, first


# --- the run -----------------------------------------------------------------------------------


def run_bounds(flags: list[bool], at: int) -> tuple[int, int]:
    """First and last sample of the run through ``at``, skipping isolated misses."""
    start = end = at
    while True:
        if start - 1 >= 0 and flags[start - 1]:
            start -= 1
        elif start - 2 >= 0 and flags[start - 2]:
            start -= 2
        else:
            break
    while True:
        if end + 1 < len(flags) and flags[end + 1]:
            end += 1
        elif end + 2 < len(flags) and flags[end + 2]:
            end += 2
        else:
            break
    return start, end


def first_holding(frames: Frames, holds: Callable[[Image.Image], bool]) -> float | None:
    return next((t for t, image in frames if holds(image)), None)


def last_holding(frames: Frames, holds: Callable[[Image.Image], bool]) -> float | None:
    return next((t for t, image in reversed(frames) if holds(image)), None)


def frame_duration(frames: Frames, fallback: float) -> float:
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(frames) if b[0] > a[0]]
    return float(np.median(gaps)) if gaps else fallback
