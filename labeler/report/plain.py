"""Plain-language findings for people who do not read standards (the HTML report's first lines).

Each rule id maps to a sentence and what to do, from a table; numbers come from the typed
evidence detail (``height_ratio``), not from parsing messages. Rules without their own sentence
get their family's lead-in plus the finding's own message (already written for people).
Identical sentences for one file are said once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ..model import Measurements
from ..problems import Problem
from ..render.banner import MIN_HEIGHT_RATIO

T = TypeVar("T")
LABEL = "`labeler label FILE --out DIR --producer CODE`"


@dataclass(frozen=True)
class Plain:
    """What a rule means and what to do about it; ``{ratio}``/``{need}`` are filled from the evidence,
    ``{message}`` with the finding's own sentence (when it already says what to do)."""

    what: str
    fix: str = ""
    measured: str = ""  # used instead of ``what`` when the measurement is known


#: Rule id -> plain sentence and the fix.
PLAIN: dict[str, Plain] = {
    "explicit.missing": Plain("The visible AI notice is missing.", "add one with " + LABEL),
    "explicit.unverified": Plain(
        "The visible notice could not be checked on this machine (a detection component is not installed).",
        "install the OCR extra (`pip install 'gb45438-labeler[ocr]'`) or check the file by eye",
    ),
    "implicit.missing": Plain(
        "The hidden AIGC label in the file's metadata is missing.",
        "add it with " + LABEL + " (with `--no-explicit` when the visible notice is already there)",
    ),
    "implicit.conflict": Plain("The file carries two hidden labels that disagree.", "relabel it with " + LABEL + " so one label remains"),
    "implicit.duplicate": Plain("The same hidden label is stored twice; the standard expects one.", "relabel it with " + LABEL),
    "implicit.sidecar": Plain(
        "This format has no metadata, so the hidden label is in a separate .aigc.json file next to it.",
        "publish the .aigc.json file together with it",
    ),
    "file.unsupported": Plain("labeler does not handle this kind of file.", "if it is not a published asset, list it in .labelerignore"),
    "file.error": Plain("The file could not be read or is damaged ({message})."),
    "notice.too-small": Plain(
        "The notice is too small: it needs at least {need} of the picture's short side.",
        "relabel with " + LABEL + " (it sizes the notice)",
        "The notice is too small: {ratio} of the short side, needs {need}.",
    ),
    "notice.borderline-size": Plain(
        "The notice is just at the minimum size ({need} of the short side); a measurement could find it too small.",
        "make the notice a little larger",
    ),
    "notice.placement": Plain(
        "The notice must sit at an edge or corner of the picture.", "move it to an edge or corner, or relabel with " + LABEL
    ),
    "notice.english-only": Plain(
        "The notice is only in English; a Chinese notice such as 'AI生成' is required.", "add Chinese wording such as 'AI生成'"
    ),
    "notice.not-both-ends": Plain("The audio notice must be heard at both the start and the end (strict policy).", "relabel with " + LABEL),
    "provider.not-a-code": Plain(
        "The producer is a name, but this policy requires the 27-character TC260 provider code.",
        "relabel with `--producer` set to your provider code",
    ),
    "c2pa.missing": Plain(
        "The C2PA Content Credentials required by this configuration are missing.",
        "sign the file with `labeler label` with `--c2pa-cert` and `--c2pa-key`",
    ),
}
#: Rule-id family -> plain lead-in for rules without their own sentence.
PLAIN_FAMILY = {
    "label": "The hidden label's JSON breaks the standard's format",
    "provider": "The provider code in the hidden label looks wrong",
    "notice": "The visible notice does not meet the rules",
    "xmp": "The file's XMP metadata is damaged",
    "c2pa": "The C2PA Content Credentials have a problem",
    "crosscheck": "The file's labels disagree with each other",
    "implicit": "The hidden label has a problem",
    "explicit": "The visible notice has a problem",
}


def _percent(ratio: float) -> str:
    return f"{round(ratio * 100, 1):g}%"


def measured_ratio(detail: Mapping[str, Any]) -> float | None:
    """The smallest notice height ratio in the evidence (top level or per position), if measured."""
    return Measurements.of(detail).height_ratio


def sentence(finding: Problem, detail: Mapping[str, Any] | None = None) -> str:
    """One plain sentence, with what to do, for ``finding``."""
    entry = PLAIN.get(finding.rule)
    if entry is None:
        lead = PLAIN_FAMILY.get(finding.rule.split(".", 1)[0], "Problem")
        return f"{lead}: {finding.message}"
    ratio = measured_ratio(detail or {})
    text = entry.measured if entry.measured and ratio is not None else entry.what
    text = text.format(ratio=_percent(ratio) if ratio is not None else "", need=_percent(MIN_HEIGHT_RATIO), message=finding.message)
    return f"{text} What to do: {entry.fix}." if entry.fix else text


def unique(items: Iterable[T]) -> list[T]:
    """``items`` without repeats (a finding: same rule, message and severity), first occurrence kept."""
    return list(dict.fromkeys(items))


__all__ = ["PLAIN", "PLAIN_FAMILY", "Plain", "measured_ratio", "sentence", "unique"]
