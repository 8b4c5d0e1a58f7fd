"""The adapter contract and the value types adapters return.

An adapter handles one container family. It is stateless and observes; ``verify`` decides.

- ``score(name, head)``: how sure it is the content is its family (magic bytes ~10, extension ~1;
  <= 0 means "not mine").
- ``read_labels(path)``: every implicit label in every carrier, tolerant; ``[]`` when none.
- ``write_implicit(src, dst, label, options)``: the canonical carrier only; content untouched.
- ``write_explicit(src, dst, notice, options)``: the visible/audible notice; the rest preserved.
- ``detect_explicit(path)``: ``Evidence`` PRESENT / ABSENT / UNKNOWN (UNKNOWN when a backend is
  missing is an honest answer).

Adapters whose family has no in-file carrier set ``carrier = None``; the pipeline then writes the
label to a ``NAME.aigc.json`` sidecar (see ``labeler.sidecar``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from ..deviations import carrier_deviations
from ..errors import InputError, UnsupportedError
from ..label import Label, ParsedLabel, parse_label
from ..notice import Notice
from ..problems import Problem
from ..xmp import DEFAULT_SOURCE_TYPE


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


class Adapter(ABC):
    """Base class: subclasses fill the class attributes and override the five operations."""

    name: ClassVar[str]
    media: ClassVar[str]  # text | image | audio | video | document
    extensions: ClassVar[tuple[str, ...]]
    carrier: ClassVar[str | None]  # canonical carrier id, None = sidecar fallback
    description: ClassVar[str] = ""
    #: Which common tools show the written label under its name: tool -> where (None: the tool does
    #: not show it). Printed by ``labeler formats``; checked against the real tools by a test.
    seen_by: ClassVar[dict[str, str | None]] = {}

    @abstractmethod
    def score(self, name: str, head: bytes) -> int:
        ...

    def format_of(self, name: str, head: bytes) -> str:
        suffix = Path(name).suffix.lower().lstrip(".")
        return suffix if suffix in self.extensions else self.extensions[0]

    @abstractmethod
    def read_labels(self, path: Path) -> list[Found]:
        ...

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        """Carrier-less families (``carrier = None``) keep this: the pipeline writes a sidecar."""
        raise UnsupportedError(f"{self.name} files have no in-file label carrier; use the sidecar", src)

    @abstractmethod
    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        ...

    @abstractmethod
    def detect_explicit(self, path: Path) -> Evidence:
        ...

    def backends(self) -> list[Backend]:
        return []

    def extension_score(self, name: str) -> int:
        return 1 if Path(name).suffix.lower().lstrip(".") in self.extensions else 0


_T = TypeVar("_T")


def with_path(path: Path, run: Callable[[], _T]) -> _T:
    """Run ``run``; attach ``path`` to an ``InputError`` raised without one (parsers see bytes)."""
    try:
        return run()
    except InputError as exc:
        if exc.path is None:
            exc.path = path
        raise
