"""OCR for a notice verdict: detection at the size the rule allows, full work only where it counts.

``ocr.read_lines`` runs the text detector at 736 px on the short side whatever the text: a
1024x768 image costs ~0.19 s, nine tenths of it in the detector. A notice is not any text: GB
45438 (``shared/spec/labelling-rules.md`` §1, Image) asks for *a text notice at an edge or corner,
rendered text height >= 5 % of the shortest side*. So ``read_notice_lines``:

1. **Coarse detection, whole frame, one call**: scaled so the smallest compliant glyph (5 % of the
   short side) is ``COARSE_PX`` (20) detector pixels — a 960x720 working image is detected at
   544x384 instead of 992x736, under a third of the pixels. Too-small notices down to ~1.5 % of
   the short side are still found there (16 of 16 at 1.5-2.5 %, 16 of 16 at 2.5-4.5 % in the
   measurement of BENCHMARKS.md); 16 px missed one of the 1.5-2.5 % ones. The whole frame, not only edge bands: a notice in the middle must still be
   read to be reported ``notice.placement`` (``invalid``), not missed; and bands would not save
   much — a line is at an edge when its box reaches into the outer 15 % of the frame with its
   centre in the outer third (``geometry.at_edge``), so the band around a line at the left edge
   runs to 2/3 of the width, and the four bands together cover the whole frame.
2. **One batched recognition** of every coarse line (cut from the working image of a full read).
3. **Refinement where it counts**: only lines holding a notice element (``AI``, ``人工智能``,
   ``生成``, ``合成``, an English notice word) can decide a verdict, alone or joined with a
   neighbour. They are detected again at full working scale in a window around each (coarse
   boxes are a few pixels fat, and the glyph height — the 5 % test — is measured inside the box;
   two stacked lines a coarse box merged come apart), and recognised again, batched. Other
   lines keep their coarse boxes: they only appear as "text seen".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image

from ..lazy import lazy_module
from ..noticerule import AI_PATTERN, GENERATION_PATTERN, normalise
from ..render.banner import MIN_HEIGHT_RATIO
from . import ocr
from .geometry import TextHit

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

#: Detector pixels of the smallest compliant glyph (5 % of the short side) in the coarse pass.
COARSE_PX = 20
#: The detector's input is a multiple of 32 px; its long side is capped (panoramas).
DET_ALIGN, DET_MAX_LONG = 32, 2048
#: The refinement window around a candidate line, in line heights on each side.
REFINE_PAD = 0.5

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Stage:
    """One detector pass: its regions (working-image pixels) and the detector scale."""

    name: str
    regions: tuple[Box, ...]
    scale: float


def coarse(width: int, height: int) -> Stage:
    """The whole frame, scaled so a glyph of 5 % of the short side is ``COARSE_PX`` pixels."""
    return Stage("coarse", ((0, 0, width, height),), COARSE_PX / (MIN_HEIGHT_RATIO * min(width, height)))


def _detector_input(region: Any, scale: float) -> Any:
    import cv2

    height, width = region.shape[:2]
    scale = min(scale, DET_MAX_LONG / max(width, height))
    size = (max(DET_ALIGN, round(width * scale / DET_ALIGN) * DET_ALIGN), max(DET_ALIGN, round(height * scale / DET_ALIGN) * DET_ALIGN))
    small = cv2.resize(region, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return (small.astype(np.float32) * np.float32(2 / 255) - np.float32(1)).transpose(2, 0, 1)[np.newaxis]  # rapidocr's mean/std 0.5


def detect(engine: Any, bgr: Any, stage: Stage) -> list[Any]:
    """Quadrilaterals (4x2, working-image pixels) of the text lines found in the stage's regions
    (rapidocr's own detector model and post-processing, at the stage's scale)."""
    detector = engine.text_det
    found: list[Any] = []
    for x0, y0, x1, y1 in stage.regions:
        region = bgr[y0:y1, x0:x1]
        shape = region.shape[:2]
        prediction = detector.infer(_detector_input(region, stage.scale))[0]
        boxes, _ = detector.postprocess_op(prediction, shape)  # scaled back to the region's pixels
        found += [box + np.array([x0, y0], np.float32) for box in detector.filter_tag_det_res(boxes, shape)]
    return found


def recognise(engine: Any, bgr: Any, boxes: list[Any]) -> list[tuple[Any, str, float]]:
    """(box, text, score) of each line: cut upright, turned if upside down, recognised in batches."""
    if not boxes:
        return []
    ordered = engine.sorted_boxes(np.array(boxes))
    crops = engine.get_crop_img_list(bgr, ordered)
    crops, _, _ = engine.text_cls(crops)
    results, _ = engine.text_rec(crops)
    return [(box, str(result[0]), float(result[1])) for box, result in zip(ordered, results, strict=True)]


def could_count(text: str) -> bool:
    """The line holds an element of a notice: alone or joined with a neighbour it can decide a verdict."""
    folded = normalise(ocr.normalise_text(text))
    return bool(AI_PATTERN.search(folded) or GENERATION_PATTERN.search(folded) or "GENERATED" in folded or "SYNTHES" in folded)


def _rect(box: Any) -> tuple[float, float, float, float]:
    return float(box[:, 0].min()), float(box[:, 1].min()), float(box[:, 0].max()), float(box[:, 1].max())


def _window(box: Any, size: tuple[int, int]) -> Box:
    x0, y0, x1, y1 = _rect(box)
    pad = max(8.0, REFINE_PAD * (y1 - y0))
    return max(0, int(x0 - pad)), max(0, int(y0 - pad)), min(size[0], round(x1 + pad)), min(size[1], round(y1 + pad))


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def merged(windows: list[Box]) -> list[Box]:
    """Overlapping windows as one (stacked candidate lines: one detector call, no line twice)."""
    out: list[Box] = []
    for window in windows:
        joined = [w for w in out if _overlaps(w, window)]
        out = [w for w in out if not _overlaps(w, window)]
        for w in joined:
            window = (min(w[0], window[0]), min(w[1], window[1]), max(w[2], window[2]), max(w[3], window[3]))
        out.append(window)
    return out if len(out) == len(windows) else merged(out)


def refine(engine: Any, bgr: Any, candidates: list[Any]) -> list[list[Any]]:
    """Each candidate line's boxes, detected again at the scale of a full read in a window around
    it; a refined box belongs to the candidate its centre lies in (other lines in the window were
    read with their coarse boxes)."""
    size = (bgr.shape[1], bgr.shape[0])
    scale = max(1.0, ocr.DET_SHORT / min(size))
    windows = merged([_window(box, size) for box in candidates])
    rects = [_rect(box) for box in candidates]
    found: list[list[Any]] = [[] for _ in candidates]
    for box in detect(engine, bgr, Stage("refine", tuple(windows), scale)):
        x0, y0, x1, y1 = _rect(box)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        owner = next((i for i, r in enumerate(rects) if r[0] <= cx <= r[2] and r[1] <= cy <= r[3]), None)
        if owner is not None:
            found[owner].append(box)
    return found


def read_notice_lines(image: Image.Image) -> list[TextHit]:
    """The text lines that decide a notice verdict for ``image`` (display orientation), in its
    pixel coordinates: the contract of ``ocr.read_lines``, at a fraction of its cost. A candidate
    line the refinement does not find again keeps its coarse box."""
    source, work = ocr.working_image(image)
    bgr = np.ascontiguousarray(np.asarray(work)[:, :, ::-1])
    engine = ocr.engine()
    with ocr.LOCK:
        lines = recognise(engine, bgr, detect(engine, bgr, coarse(work.width, work.height)))
        counts = [line[2] >= ocr.MIN_SCORE and could_count(line[1]) for line in lines]
        candidates = [line for line, count in zip(lines, counts, strict=True) if count]
        boxes = refine(engine, bgr, [line[0] for line in candidates]) if candidates else []
        refined = recognise(engine, bgr, [box for found in boxes for box in found])
    kept = [line for line, count in zip(lines, counts, strict=True) if not count]
    kept += [line for line, found in zip(candidates, boxes, strict=True) if not found]
    scale = (work.width / source.width, work.height / source.height)
    return ocr.with_joined(ocr.hits_from(source, refined + kept, scale))
