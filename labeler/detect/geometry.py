"""The image/video notice rules applied to a measured text box (shared by receipt and OCR checks).

GB 45438: a text notice holding both elements, at an edge or corner, with rendered text height at
least 5 % of the shortest side. A notice that is present but breaks a rule is PRESENT with error
problems (the file is ``invalid``), never silently compliant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import Evidence, Presence
from ..notice import text_problems
from ..noticerule import read_unit
from ..problems import Problem, error, warning
from ..render.banner import MIN_HEIGHT_RATIO

#: A box is "at an edge" when it reaches into this outer band of the frame (fraction of each side).
EDGE_BAND = 0.15
#: Measurement tolerance for OCR-measured heights (anti-aliasing and JPEG blur shave a pixel or two).
HEIGHT_TOLERANCE = 0.003
_ROWS = ("top", "", "bottom")
_COLS = ("left", "", "right")


@dataclass(frozen=True)
class TextHit:
    """One line of text seen in a frame, in display coordinates."""

    text: str
    box: tuple[int, int, int, int]
    glyph_height: float
    score: float = 1.0


def position_of(box: tuple[int, int, int, int], frame: tuple[int, int]) -> str:
    """``top-left`` ... ``bottom-right`` by which third the box centre falls in; ``centre`` inside."""
    width, height = frame
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    row, col = _ROWS[min(2, int(3 * cy / height))], _COLS[min(2, int(3 * cx / width))]
    return "-".join(p for p in (row, col) if p) or "centre"


def at_edge(box: tuple[int, int, int, int], frame: tuple[int, int]) -> bool:
    """The box reaches into the outer band of an edge *and* its centre lies in that edge's outer
    third: a wide line across the middle of the picture touches the left and right bands but is
    not at an edge (a notice centred in the image is ``notice.placement``, whatever sits in the
    corners)."""
    width, height = frame
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (
        (y0 <= EDGE_BAND * height and cy < height / 3)
        or (y1 >= (1 - EDGE_BAND) * height and cy > 2 * height / 3)
        or (x0 <= EDGE_BAND * width and cx < width / 3)
        or (x1 >= (1 - EDGE_BAND) * width and cx > 2 * width / 3)
    )


def rule_problems(hit: TextHit, frame: tuple[int, int], tolerance: float = 0.0) -> list[Problem]:
    ratio = hit.glyph_height / min(frame)
    problems = list(text_problems(hit.text))
    if ratio + tolerance < MIN_HEIGHT_RATIO:
        problems.append(
            error("notice.too-small", f"notice text is {ratio:.1%} of the shortest side; GB 45438 requires at least {MIN_HEIGHT_RATIO:.0%}")
        )
    elif ratio < MIN_HEIGHT_RATIO:
        problems.append(
            warning(
                "notice.borderline-size",
                f"notice text measures {ratio:.2%} of the shortest side, within measurement tolerance of {MIN_HEIGHT_RATIO:.0%}",
            )
        )
    if not at_edge(hit.box, frame):
        problems.append(
            error(
                "notice.placement",
                f"notice is in the {position_of(hit.box, frame)} of the image, away from the edges; GB 45438 requires an edge or corner",
            )
        )
    return problems


def hit_detail(hit: TextHit, frame: tuple[int, int], method: str) -> dict[str, Any]:
    return {
        "method": method,
        "box": list(hit.box),
        "frame": list(frame),
        "height_px": round(hit.glyph_height, 1),
        "height_ratio": round(hit.glyph_height / min(frame), 4),
        "position": position_of(hit.box, frame),
    }


def hit_evidence(hit: TextHit, frame: tuple[int, int], method: str, tolerance: float = 0.0, extra: tuple[Problem, ...] = ()) -> Evidence:
    problems = tuple(rule_problems(hit, frame, tolerance)) + extra
    detail = hit_detail(hit, frame, method)
    summary = f"notice {hit.text!r} at {detail['position']}, text {detail['height_ratio']:.1%} of the shortest side ({method})"
    return Evidence(Presence.PRESENT, summary, hit.text, detail["position"], problems, detail)


def _rank(hit: TextHit, frame: tuple[int, int]) -> tuple[int, float]:
    errors = sum(p.is_error for p in rule_problems(hit, frame, HEIGHT_TOLERANCE))
    return (errors, -hit.glyph_height)


def judge_hits(hits: list[TextHit], frame: tuple[int, int], method: str, extra: tuple[Problem, ...] = ()) -> Evidence:
    """The best notice among OCR lines (``labeler.noticerule``): a notice wins, the best placed and
    largest first; else an English-only notice or an attempt lacking an element (``即梦AI``,
    ``模型合成``) is reported PRESENT with its errors, so the file is ``invalid``, not missing."""
    readings = [(read_unit(h.text), h) for h in hits]
    notices = [h for r, h in readings if r.is_notice]
    if notices:
        best = min(notices, key=lambda h: _rank(h, frame))
        return hit_evidence(best, frame, method, HEIGHT_TOLERANCE, extra)
    english = [h for r, h in readings if r.kind == "english-only"]
    if english:
        hit = english[0]
        problem = error(
            "notice.english-only",
            f"notice {hit.text!r} is English only; GB 45438 needs 'AI' or '人工智能' plus '生成' or '合成' in Chinese",
        )
        return hit_evidence(hit, frame, method, HEIGHT_TOLERANCE, extra + (problem,))
    attempts = [h for r, h in readings if r.kind == "attempt"]
    if attempts:  # rule_problems names the missing element (notice.missing-element)
        return hit_evidence(min(attempts, key=lambda h: _rank(h, frame)), frame, method, HEIGHT_TOLERANCE, extra)
    seen = "; ".join(repr(h.text) for h in hits[:5])
    summary = f"no notice with both elements found ({method}" + (f"; text seen: {seen})" if hits else "; no text seen)")
    return Evidence(Presence.ABSENT, summary, problems=extra, detail={"method": method, "lines": [h.text for h in hits[:20]]})
