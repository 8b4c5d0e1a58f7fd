"""The value types adapters return and the core passes on: the floor every layer may import.

``Found`` (one implicit label in one carrier), ``Presence`` and ``Evidence`` (what an adapter saw of
the explicit notice), ``WriteOptions`` (knobs shared by every write) and ``Backend`` (an optional
component, for ``labeler formats``). They live here, not in ``adapters.base``, so that ``verify``,
reports and detectors depend on plain values rather than on the adapter layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .deviations import carrier_deviations
from .label import Label, ParsedLabel, parse_label
from .problems import Problem
from .xmp import DEFAULT_SOURCE_TYPE


@dataclass(frozen=True)
class Found:
    """One implicit label found in one carrier."""

    carrier: str
    raw: str
    parsed: ParsedLabel

    @classmethod
    def of(cls, carrier: str, raw: str | bytes, extra: tuple[Problem, ...] = ()) -> Found:
        parsed = parse_label(raw)
        extra += carrier_deviations(carrier, parsed.wrapped) if parsed.label is not None else ()
        if extra:
            parsed = ParsedLabel(parsed.label, extra + parsed.problems, parsed.wrapped)
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        return cls(carrier, text, parsed)

    @property
    def label(self) -> Label | None:
        return self.parsed.label

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.parsed.problems


class Presence(str, Enum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class NoticeBox:
    """A notice's bounding box (x0, y0, x1, y1) in the pixels of ``frame`` (width, height), when known."""

    box: tuple[float, float, float, float]
    frame: tuple[float, float] | None = None


@dataclass(frozen=True)
class Measurements:
    """The typed reading of ``Evidence.detail``: what policies and reports use, parsed in one place.

    ``detail`` stays the adapters' free-form record (reports print it whole, and its keys are the
    JSON report's ``explicit.detail``); its measurements sit at the top level or per position
    (``{"start": {...}, "end": {...}}``). This reads them once instead of by key in every layer.
    """

    height_ratio: float | None = None  # the smallest notice height / shortest side measured
    boxes: tuple[NoticeBox, ...] = ()
    spans: tuple[tuple[float, float], ...] = ()  # (start, end) seconds the notice or cue is shown/heard
    sides: frozenset[str] = frozenset()  # "start" / "end": where an audio notice was found

    @classmethod
    def of(cls, detail: Mapping[str, Any]) -> Measurements:
        parts = [detail, *(v for v in detail.values() if isinstance(v, Mapping))]
        ratios = [r for r in (_number(p.get("height_ratio")) for p in parts) if r is not None]
        boxes = []
        spans = []
        for part in parts:
            box, frame = part.get("box"), part.get("frame")
            if isinstance(box, (list, tuple)) and len(box) == 4 and all(isinstance(x, (int, float)) for x in box):
                size = (
                    (float(frame[0]), float(frame[1]))
                    if isinstance(frame, (list, tuple)) and len(frame) == 2 and all(isinstance(x, (int, float)) for x in frame)
                    else None
                )
                boxes.append(NoticeBox((float(box[0]), float(box[1]), float(box[2]), float(box[3])), size))
            start = _number(part.get("start_s", part.get("start")))
            if start is not None:
                end = _number(part.get("end_s", part.get("end")))
                spans.append((start, end if end is not None else start + 0.5))  # an instant: half a second
        sides = frozenset(side for side in ("start", "end") if isinstance(detail.get(side), Mapping))
        return cls(min(ratios) if ratios else None, tuple(boxes), tuple(spans), sides)


@dataclass(frozen=True)
class Evidence:
    """What an adapter saw of the explicit notice.

    ``problems`` on a PRESENT notice make the file ``invalid`` (too small, missing an element...).
    ``detail`` holds measurements for reports (box, height ratio, times...).
    """

    state: Presence
    summary: str
    text: str | None = None
    where: str | None = None
    problems: tuple[Problem, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def measured(self) -> Measurements:
        return Measurements.of(self.detail)

    @classmethod
    def absent(cls, summary: str) -> Evidence:
        return cls(Presence.ABSENT, summary)

    @classmethod
    def unknown(cls, summary: str) -> Evidence:
        return cls(Presence.UNKNOWN, summary)


@dataclass(frozen=True)
class WriteOptions:
    """Knobs shared by every write; adapters read what applies to them."""

    source_type: str | None = DEFAULT_SOURCE_TYPE
    max_pixels: int | None = None


@dataclass(frozen=True)
class Backend:
    """An optional component an adapter uses, for ``labeler formats``."""

    name: str
    available: bool
    detail: str
    install_hint: str = ""


class Step(str, Enum):
    """What one action of a labelling plan does (``Action.step``)."""

    REPLACE_FOREIGN = "replace-foreign"  # another producer's label is replaced (--force-producer)
    CLASSIFY = "classify"  # why the label value was chosen (C2PA/IPTC declares AI)
    KEEP_IMPLICIT = "keep-implicit"  # the implicit label is already up to date
    WRITE_IMPLICIT = "write-implicit"
    KEEP_NOTICE = "keep-notice"  # a valid explicit notice is already there
    ADD_NOTICE = "add-notice"
    WATERMARK = "watermark"  # an invisible watermark is embedded (--watermark)
    KEEP_WATERMARK = "keep-watermark"  # the same watermark is already there
    SIGN = "sign"  # a C2PA manifest will be signed
    KEEP_SIGNATURE = "keep-signature"  # the C2PA manifest is already up to date
    SKIP_SIGNATURE = "skip-signature"  # the format cannot carry a manifest
    NOTE = "note"  # a warning for the user (a manifest that will stop validating)


#: Steps that change the file's bytes.
WRITING: frozenset[Step] = frozenset({Step.WRITE_IMPLICIT, Step.ADD_NOTICE, Step.WATERMARK, Step.SIGN})


class Action(str):
    """One action of a labelling plan: the sentence reports show (the ``str`` itself, so JSON
    output and callers matching on the text are unchanged) and its typed ``step``, which code
    decides with instead of testing the wording."""

    step: Step

    def __new__(cls, step: Step, text: str) -> Action:
        action = super().__new__(cls, text)
        action.step = step
        return action

    def __getnewargs__(self) -> tuple[Step, str]:  # type: ignore[override]  # pickled to and from workers
        return self.step, str(self)

    @property
    def writes(self) -> bool:
        return self.step in WRITING
