"""The ADAPTERS table and content sniffing.

``sniff`` reads the head of a file once and asks every adapter for a score; magic bytes outweigh
the extension, so a ``.txt`` that is really a PNG goes to the image adapter. Ties break by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .adapters.audio import AiffAdapter, FlacAdapter, M4aAdapter, Mp3Adapter, OggAdapter, WavAdapter
from .adapters.base import Adapter
from .adapters.document import OoxmlAdapter, PdfAdapter
from .adapters.image import AvifAdapter, BmpAdapter, GifAdapter, HeifAdapter, JpegAdapter, PngAdapter, TiffAdapter, WebpAdapter
from .adapters.text import HtmlAdapter, MarkdownAdapter, PlainTextAdapter, SrtAdapter, VttAdapter
from .adapters.video import AviAdapter, FlvAdapter, MatroskaAdapter, Mp4VideoAdapter

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
_BY_NAME = sorted(ADAPTERS, key=lambda a: a.name)  # ties break by name


@dataclass(frozen=True)
class Sniffed:
    adapter: Adapter
    format: str
    score: int


def sniff_bytes(name: str, head: bytes) -> Sniffed | None:
    """The adapter with the highest positive score for this head, or None."""
    best: Sniffed | None = None
    for adapter in _BY_NAME:
        score = adapter.score(name, head)
        if score > 0 and (best is None or score > best.score):
            best = Sniffed(adapter, adapter.format_of(name, head), score)
    return best


def read_head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD_SIZE)


def sniff(path: Path) -> Sniffed | None:
    """Sniff a file by content (raises OSError if it cannot be read)."""
    return sniff_bytes(path.name, read_head(path))


def claimed_by_extension(name: str) -> Adapter | None:
    """The adapter whose extension the name has (used only to explain a failed sniff)."""
    suffix = Path(name).suffix.lower().lstrip(".")
    return next((a for a in ADAPTERS if suffix in a.extensions), None)


def unsniffable_reason(name: str) -> str:
    """Why nothing claimed a file, phrased for the user."""
    claimed = claimed_by_extension(name)
    if claimed is None:
        return f"{name}: content is not a format labeler supports (see `labeler formats`)"
    return (
        f"{name}: the extension says {claimed.name} but the content is not "
        "(binary, corrupt, or text in an unsupported encoding; text must be UTF-8, UTF-16/32 with BOM or GB18030)"
    )


def adapter_named(name: str) -> Adapter:
    for adapter in ADAPTERS:
        if adapter.name == name:
            return adapter
    raise KeyError(name)
