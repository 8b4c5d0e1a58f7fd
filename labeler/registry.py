"""The ADAPTERS table and content sniffing.

``sniff`` reads the head of a file once and asks every adapter for a score; magic bytes outweigh
the extension, so a ``.txt`` that is really a PNG goes to the image adapter. Ties break by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import source
from .adapters.audio import AiffAdapter, FlacAdapter, M4aAdapter, Mp3Adapter, OggAdapter, WavAdapter
from .adapters.base import Adapter
from .adapters.document import OoxmlAdapter, PdfAdapter
from .adapters.image import AvifAdapter, BmpAdapter, GifAdapter, HeifAdapter, JpegAdapter, PngAdapter, TiffAdapter, WebpAdapter
from .adapters.image.jxl import JxlAdapter
from .adapters.image.raw import refusal as raw_refusal
from .adapters.text import HtmlAdapter, MarkdownAdapter, PlainTextAdapter, SrtAdapter, VttAdapter
from .adapters.text.encoding import looks_like_text
from .adapters.text.kinds import kind_of
from .adapters.video import AviAdapter, FlvAdapter, MatroskaAdapter, Mp4VideoAdapter
from .facts import WEAK

#: One row per container family. Tests and ``labeler formats`` are generated from this table.
ADAPTERS: tuple[Adapter, ...] = (
    HtmlAdapter(),
    JpegAdapter(),
    PngAdapter(),
    WebpAdapter(),
    TiffAdapter(),
    GifAdapter(),
    AvifAdapter(),
    HeifAdapter(),
    BmpAdapter(),
    JxlAdapter(),
    OoxmlAdapter(),
    PdfAdapter(),
    MarkdownAdapter(),
    PlainTextAdapter(),
    SrtAdapter(),
    VttAdapter(),
    WavAdapter(),
    Mp3Adapter(),
    FlacAdapter(),
    OggAdapter(),
    M4aAdapter(),
    AiffAdapter(),
    Mp4VideoAdapter(),
    MatroskaAdapter(),
    AviAdapter(),
    FlvAdapter(),
)
HEAD_SIZE = 8192
#: Below this a score is a content guess without magic bytes (plain text); such a guess never takes
#: a file whose extension another family owns: a text file named ``.pdf`` is an error, not text.
WEAK_SCORE = WEAK
_BY_NAME = sorted(ADAPTERS, key=lambda a: a.name)  # ties break by name


@dataclass(frozen=True)
class Sniffed:
    adapter: Adapter
    format: str
    score: int


def sniff_bytes(name: str, head: bytes) -> Sniffed | None:
    """The adapter with the highest positive score for this head, or None (also for a format labeler
    refuses by name, such as a CR3 raw that an MP4 reader would otherwise take)."""
    if raw_refusal(head) is not None:
        return None
    best: Sniffed | None = None
    for adapter in _BY_NAME:
        score = adapter.score(name, head)
        if score > 0 and (best is None or score > best.score):
            best = Sniffed(adapter, adapter.format_of(name, head), score)
    if best is not None and best.score < WEAK_SCORE and not best.adapter.extension_score(name) and claimed_by_extension(name):
        return None
    return best


def read_head(path: Path) -> bytes:
    return source.read_head(path, HEAD_SIZE)


def sniff(path: Path) -> Sniffed | None:
    """Sniff a file by content (raises OSError if it cannot be read); once per ``Source``."""
    return source.memo(path, "sniff", lambda: sniff_bytes(path.name, read_head(path)))


def claimed_by_extension(name: str) -> Adapter | None:
    """The adapter whose extension the name has (used only to explain a failed sniff)."""
    suffix = Path(name).suffix.lower().lstrip(".")
    return next((a for a in ADAPTERS if suffix in a.extensions), None)


def _content_of(name: str, head: bytes) -> tuple[str, str] | None:
    """What the head shows, for messages: a known structured/binary kind and why it is left alone,
    plain text, or None when nothing is recognised."""
    kind = kind_of(name, head) if head else None
    if kind is not None:
        return kind.name, kind.why
    return ("plain text", "") if head and looks_like_text(head) else None


def unsniffable_reason(name: str, head: bytes = b"") -> str:
    """Why nothing claimed a file, phrased for the user (``head`` names what the content is)."""
    refused = raw_refusal(head)
    if refused is not None:
        return f"{name}: {refused}"
    claimed = claimed_by_extension(name)
    content = _content_of(name, head)
    if claimed is None:
        if content is not None:
            return f"{name}: content is {content[0]}, which labeler does not label: {content[1]} (see `labeler formats`)"
        return f"{name}: content is not a format labeler supports (see `labeler formats`)"
    if content is not None:
        return f"{name}: the extension says {claimed.name} but the content is {content[0]}; rename the file to what it is"
    return (
        f"{name}: the extension says {claimed.name} but the content is not "
        "(binary, corrupt, or text in an unsupported encoding; text must be UTF-8, UTF-16/32 with BOM or GB18030): "
        "convert text to UTF-8 (e.g. `iconv -f BIG5 -t UTF-8`), or rename the file to what it is"
    )


def adapter_named(name: str) -> Adapter:
    for adapter in ADAPTERS:
        if adapter.name == name:
            return adapter
    raise KeyError(name)
