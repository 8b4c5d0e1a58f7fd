"""The adapter contract (the value types it returns live in ``labeler.model``).

An adapter handles one container family. It is stateless and observes; ``verify`` decides.

- ``formats``: the ``labeler.facts.Format`` rows it handles (extensions, signatures, MIME type, C2PA
  mode, reference reader, optional extra); ``extensions`` is derived from them.
- ``score(name, head)``: how sure it is the content is its family (``facts.MAGIC`` when a signature
  of its rows matches, plus 1 for its extension; <= 0 means "not mine"). The default reads the
  signatures; families whose content needs more (text kinds, ISO-BMFF tracks) override it.
- ``read_labels(path)``: every implicit label in every carrier, tolerant; ``[]`` when none.
- ``write_implicit(src, dst, label, options)``: the canonical carrier only; content untouched.
- ``write_explicit(src, dst, notice, options)``: the visible/audible notice; the rest preserved.
- ``detect_explicit(path)``: ``Evidence`` PRESENT / ABSENT / UNKNOWN (UNKNOWN when a backend is
  missing is an honest answer).
- ``preview(path, detail)``: an optional picture of where the notice is, for the HTML report.

Adapters whose family has no in-file carrier set ``carrier = None``; the pipeline then writes the
label to a ``NAME.aigc.json`` sidecar (see ``labeler.sidecar``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from ..errors import InputError, UnsupportedError
from ..facts import Format, extensions_of, signature_score, suffix_of
from ..label import Label
from ..model import Backend, Evidence, Found, WriteOptions
from ..notice import Notice


class Adapter(ABC):
    """Base class: subclasses fill the class attributes and override the five operations."""

    name: ClassVar[str]
    media: ClassVar[str]  # text | image | audio | video | document
    formats: ClassVar[tuple[Format, ...]]
    extensions: ClassVar[tuple[str, ...]]  # derived from ``formats``
    carrier: ClassVar[str | None]  # canonical carrier id, None = sidecar fallback
    description: ClassVar[str] = ""
    #: Which common tools show the written label under its name: tool -> where (None: the tool does
    #: not show it). Printed by ``labeler formats``; checked against the real tools by a test.
    seen_by: ClassVar[dict[str, str | None]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "formats" in cls.__dict__:
            cls.extensions = extensions_of(cls.formats)

    def score(self, name: str, head: bytes) -> int:
        magic = self.signature_score(head)
        return magic + self.extension_score(name) if magic else 0

    def signature_score(self, head: bytes) -> int:
        return signature_score(self.formats, head)

    def format_of(self, name: str, head: bytes) -> str:
        suffix = suffix_of(name)
        return suffix if suffix in self.extensions else self.extensions[0]

    @abstractmethod
    def read_labels(self, path: Path) -> list[Found]: ...

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        """Carrier-less families (``carrier = None``) keep this: the pipeline writes a sidecar."""
        raise UnsupportedError(f"{self.name} files have no in-file label carrier; use the sidecar", src)

    @abstractmethod
    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None: ...

    def notice_method(self, path: Path) -> str | None:
        """How ``write_explicit`` will change this file's content, when that is worth telling (the
        labelling plan shows it next to the notice step), or None."""
        return None

    @abstractmethod
    def detect_explicit(self, path: Path) -> Evidence: ...

    def backends(self) -> list[Backend]:
        return []

    def preview(self, path: Path, detail: Mapping[str, Any]) -> str | None:
        """A small PNG ``data:`` URI for reports showing where the notice is (``detail``: the
        evidence's measurements), or None. By default the media family's (``render.preview``):
        a thumbnail with the notice box outlined, or a waveform with the cue shaded."""
        from ..render.preview import PREVIEWS

        make = PREVIEWS.get(self.media)
        return make(path, detail) if make else None

    def extension_score(self, name: str) -> int:
        return 1 if suffix_of(name) in self.extensions else 0


_T = TypeVar("_T")


def with_path(path: Path, run: Callable[[], _T]) -> _T:
    """Run ``run``; attach ``path`` to an ``InputError`` raised without one (parsers see bytes)."""
    try:
        return run()
    except InputError as exc:
        if exc.path is None:
            exc.path = path
        raise
