"""The value types adapters return and the core passes on: the floor every layer may import.

``Found`` (one implicit label in one carrier), ``Presence`` and ``Evidence`` (what an adapter saw of
the explicit notice), ``WriteOptions`` (knobs shared by every write) and ``Backend`` (an optional
component, for ``labeler formats``). They live here, not in ``adapters.base``, so that ``verify``,
reports and detectors depend on plain values rather than on the adapter layer.
"""

from __future__ import annotations

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
    SIGN = "sign"  # a C2PA manifest will be signed
    KEEP_SIGNATURE = "keep-signature"  # the C2PA manifest is already up to date
    SKIP_SIGNATURE = "skip-signature"  # the format cannot carry a manifest
    NOTE = "note"  # a warning for the user (a manifest that will stop validating)


#: Steps that change the file's bytes.
WRITING: frozenset[Step] = frozenset({Step.WRITE_IMPLICIT, Step.ADD_NOTICE, Step.SIGN})


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
