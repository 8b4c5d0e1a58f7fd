"""What ``verify`` reports about a watermark (``signals.watermark``) and the findings it adds.

A watermark never replaces the metadata label (GB 45438 6.1): a file whose label was stripped but
whose watermark is found keeps its status (``missing-implicit`` or ``unlabelled``) and gets the
warning ``watermark.without-label`` naming the payload and, when a configured producer matches it,
the producer. A watermark whose payload contradicts the metadata label is the warning
``watermark.mismatch``. Without the key that embedded it a watermark is not found at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LabelerError
from ..label import Label
from ..problems import Problem, warning
from . import medium
from .settings import WatermarkSettings


@dataclass(frozen=True)
class WatermarkSignal:
    present: bool
    payload: str | None = None  # 16 hex digits
    matches_label: bool | None = None  # None: no watermark, or no label to compare with
    confidence: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"present": self.present, "payload": self.payload, "matches_label": self.matches_label, "confidence": self.confidence}


def read_watermark(
    path: Path, media: str, label: Label | None, settings: WatermarkSettings
) -> tuple[WatermarkSignal | None, list[Problem]]:
    """The watermark signal of ``path`` (None when its medium cannot carry one, its backend is
    missing or its content cannot be decoded) and the findings it implies next to ``label``."""
    module = medium(media) if settings.check else None
    if module is None:
        return None, []
    from .payload import decode, payload_for, producer_digest

    try:
        soft = module.extract_file(path)
    except LabelerError:  # no decoder (ffmpeg), or content it cannot decode: the labels decide the status, not this
        return None, []
    decoded = decode(soft, key=settings.key) if soft is not None else None
    if decoded is None:
        return WatermarkSignal(False), []
    payload = decoded.payload
    if label is None:
        named = next((p for p in settings.producers if producer_digest(p, settings.key) == payload[1:4]), None)
        who = f"producer {named}" if named else f"producer digest {payload[1:4].hex()}, not a configured producer"
        return WatermarkSignal(True, payload.hex(), None, decoded.confidence), [
            warning(
                "watermark.without-label",
                f"watermark found: payload {payload.hex()} ({who}); the metadata label is missing and is still required (GB 45438 6.1): "
                "label the file again",
            )
        ]
    matches = payload == payload_for(label, settings.key)
    problems = (
        []
        if matches
        else [
            warning(
                "watermark.mismatch",
                f"the watermark's payload {payload.hex()} does not match the metadata label (ContentProducer "
                f"{label.content_producer or '(empty)'}, ProduceID {label.produce_id or '(empty)'}): the label was changed or copied "
                "from other content after the watermark was embedded",
            )
        ]
    )
    return WatermarkSignal(True, payload.hex(), matches, decoded.confidence), problems
