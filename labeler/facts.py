"""What labeler knows about each file format, declared once.

Every adapter lists the formats it handles as ``Format`` rows (its ``formats`` class attribute); the
``ADAPTERS`` table in ``labeler.registry`` holds the adapters. Everything that used to repeat these
facts is generated from the rows: content sniffing (``Adapter.signature_score``), the MIME type
c2pa gets (``labeler.c2pa.formats``), ``labeler formats``, the pre-commit ``files:`` pattern and
the README format tables (``labeler.formattables``, checked by tests), and the contract suite.

Scores: ``MAGIC`` when a signature proves the family (magic bytes outweigh any extension, so a
``.txt`` that is really a PNG goes to the image adapter); ``WEAK`` is the line below which a score
is a content guess without magic bytes, which never takes a file whose extension another family
owns. Adapters whose content needs more than fixed bytes (text kinds, ISO-BMFF brands and tracks,
MPEG frame headers) place their own scores relative to these two.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

#: A signature matched: the content proves the family.
MAGIC = 10
#: Below this a score is a guess without magic bytes (plain text by decoding, an empty file by its
#: extension): it never takes a file whose extension another family owns.
WEAK = 5


@dataclass(frozen=True)
class Signature:
    """Bytes at an offset (``also``: more bytes that must match too, e.g. a RIFF form type), and
    optionally a content test where fixed bytes are not enough (an MPEG frame header)."""

    offset: int
    magic: bytes
    also: tuple[tuple[int, bytes], ...] = ()
    check: Callable[[bytes], bool] | None = None
    weight: int = MAGIC

    def matches(self, head: bytes) -> bool:
        # Sniffing asks every signature of every adapter, twice per file labelled: no slices here.
        if not head.startswith(self.magic, self.offset):
            return False
        for at, magic in self.also:
            if not head.startswith(magic, at):
                return False
        return self.check is None or self.check(head)

    @property
    def specificity(self) -> int:
        """How much of the head the signature pins down (the most specific match names the format)."""
        return len(self.magic) + sum(len(magic) for _, magic in self.also) + (1 if self.check else 0)

    def describe(self) -> str:
        parts = ((self.offset, self.magic), *self.also)
        text = " + ".join(f"`{_printable(magic)}`" + (f" at {at}" if at else "") for at, magic in parts)
        return text + (" (+ content check)" if self.check else "")


def _printable(magic: bytes) -> str:
    return "".join(chr(b) if 0x20 < b < 0x7F and chr(b) not in "`|" else f"\\x{b:02X}" if b != 0x20 else "␠" for b in magic)


class C2pa(str, Enum):
    """What c2pa (c2pa-python 0.38) can do with the format."""

    EMBEDDED = "embedded"
    #: ZIP packages: c2pa 0.38 reads only stored entries, so the package is rewritten stored first.
    STORED_ZIP = "embedded, ZIP entries stored"
    NONE = "not signable"


@dataclass(frozen=True)
class Format:
    """One file format: the row every generated list reads.

    ``signatures`` empty: the format has no magic bytes of its own and is recognised by its adapter's
    content check (text by decoding, an MPO as a JPEG, camera raw as a TIFF). ``reader`` names the
    independent tool the tests and the fuzz campaign open the output with. ``extra`` is the pip
    extra that installs the optional ``backend`` module the notice needs (``labeler formats`` says
    when it is missing).
    """

    label: str
    extensions: tuple[str, ...]
    mime: str
    signatures: tuple[Signature, ...] = ()
    c2pa: C2pa = C2pa.NONE
    reader: str = ""
    extra: str | None = None
    #: The module the optional backend provides (``extra`` installs it): without it the format must
    #: still take an implicit label and refuse the notice, naming the extra.
    backend: str | None = None

    def matched(self, head: bytes) -> Signature | None:
        return max((s for s in self.signatures if s.matches(head)), key=lambda s: s.specificity, default=None)


def signature_score(formats: Iterable[Format], head: bytes) -> int:
    """The weight of the best signature of ``formats`` found in ``head`` (0: none)."""
    best = 0
    for form in formats:
        for signature in form.signatures:
            if signature.weight > best and signature.matches(head):
                best = signature.weight
    return best


def extensions_of(formats: Iterable[Format]) -> tuple[str, ...]:
    """Every extension of ``formats``, in declaration order, each once."""
    return tuple(dict.fromkeys(e for f in formats for e in f.extensions))


@functools.lru_cache(maxsize=1024)
def suffix_of(name: str) -> str:
    return Path(name).suffix.lower().lstrip(".")


def identify(formats: Iterable[Format], name: str, head: bytes) -> Format | None:
    """The format whose most specific signature matches ``head``; a tie (ZIP packages, OGG) goes
    to the row with the name's extension, and stays undecided (None) without one."""
    best: list[Format] = []
    top = 0
    for fmt in formats:
        found = fmt.matched(head)
        if found is None:
            continue
        if found.specificity > top:
            best, top = [fmt], found.specificity
        elif found.specificity == top:
            best.append(fmt)
    if len(best) == 1:
        return best[0]
    suffix = suffix_of(name)
    return next((f for f in best if suffix in f.extensions), None)
