"""The explicit notice: its text, where it goes, and the "AI element + generation element" rule.

GB 45438 fixes no wording, only that a text notice holds an AI element (``AI`` or ``人工智能``)
and a generation element (``生成`` or ``合成``). Matching is done on an NFKC-normalised,
upper-cased copy so full-width ``ＡＩ`` and ``ai`` count too. Whether a piece of text is a notice at
all (short, elements close together, not negated, not a lookalike) is ``labeler.noticerule``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from .errors import LabelFormatError
from .noticerule import AI_PATTERN as _AI
from .noticerule import ENGLISH_PATTERN as _ENGLISH_NOTICE
from .noticerule import GENERATION_PATTERN as _GENERATION
from .noticerule import normalise, read_unit
from .problems import Problem, error

#: Default notice text per media kind.
DEFAULT_TEXT = {
    "text": "本内容由人工智能生成",
    "document": "本内容由人工智能生成",
    "image": "AI生成",
    "video": "AI生成",
    "audio": "人工智能生成",
}
RULE = (
    "an explicit notice must contain an AI element ('AI' or '人工智能') and a generation element "
    "('生成' or '合成'), e.g. 'AI生成' or '本内容由人工智能生成' (GB 45438, clause 4)"
)


def has_ai_element(text: str) -> bool:
    return _AI.search(normalise(text)) is not None


def has_generation_element(text: str) -> bool:
    return _GENERATION.search(normalise(text)) is not None


def is_compliant_text(text: str) -> bool:
    return has_ai_element(text) and has_generation_element(text)


def text_problems(text: str) -> list[Problem]:
    """Why a notice text fails the two-element rule (empty when it passes)."""
    missing = [
        name
        for name, present in (
            ("AI element ('AI' or '人工智能')", has_ai_element(text)),
            ("generation element ('生成' or '合成')", has_generation_element(text)),
        )
        if not present
    ]
    if not missing:
        return []
    return [error("notice.missing-element", f"notice {text!r} lacks the {' and the '.join(missing)}")]


def is_english_only_notice(text: str) -> bool:
    return bool(_ENGLISH_NOTICE.search(normalise(text))) and not is_compliant_text(text)


def require_compliant_text(text: str) -> str:
    """Return the text, or raise ``LabelFormatError`` quoting the rule."""
    if not text.strip():
        raise LabelFormatError(f"the notice text is empty; {RULE}")
    if not is_compliant_text(text):
        raise LabelFormatError(f"notice text {text!r} is refused: {RULE}")
    reading = read_unit(text)
    if not reading.is_notice:  # both words, but not a notice a verifier accepts (labeler.noticerule)
        raise LabelFormatError(
            f"notice text {text!r} is refused: {reading.reason}; a notice is a short statement that the content is AI-generated, e.g. '本内容由人工智能生成'"
        )
    if "\n" in text or "\r" in text:
        raise LabelFormatError(f"notice text {text!r} is refused: it must be a single line")
    return text


#: GB 45438: a video notice stays visible for at least 2 s (the video adapter enforces it per file too).
MIN_VIDEO_SECONDS = 2.0


@dataclass(frozen=True)
class Notice:
    """What the user asked for; each adapter reads the fields that apply to its media.

    ``text`` None means the media's default text; ``position`` None means the adapter's default
    (text: ``start``; image/video: ``bottom-right``; audio: ``start``).
    """

    text: str | None = None
    position: str | None = None
    height_ratio: float | None = None
    duration: float | None = None
    persist: bool = False
    cue: str = "morse"
    cue_mode: str = "prepend"
    voice_clip: str | None = None
    pages: str = "first"

    def text_for(self, media: str) -> str:
        return self.text if self.text is not None else DEFAULT_TEXT[media]

    def validated(self) -> Notice:
        if self.text is not None:
            try:
                require_compliant_text(self.text)
            except LabelFormatError as exc:
                exc.field = "notice.text"
                raise
        if self.duration is not None and not (math.isfinite(self.duration) and self.duration >= MIN_VIDEO_SECONDS):
            raise LabelFormatError(
                f"the notice duration {self.duration:g} s is refused: GB 45438 requires the video notice to be "
                f"visible for at least {MIN_VIDEO_SECONDS:g} s",
                field="notice.duration",
            )
        return self

    def with_fields(self, **changes: Any) -> Notice:
        return replace(self, **changes)
