"""Which MIME type c2pa-python gets for a file: generated from the adapters' format rows.

The file's format is the row whose most specific signature matches its head (``facts.identify``;
ZIP packages share a magic, so their extension decides). A row whose ``c2pa`` mode is not
``NONE`` gives its MIME type; anything else cannot carry an embedded manifest: it is skipped with
a note naming the format, or gets a ``NAME.c2pa`` sidecar when asked (c2pa-rs 0.91 refuses OGG
and Matroska/WebM, for instance, with "type is unsupported").
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..facts import C2pa, Format, identify


@lru_cache(maxsize=1)
def _rows() -> tuple[Format, ...]:
    from ..registry import ADAPTERS  # the table imports every adapter; c2pa is imported by them only at run time

    return tuple(f for adapter in ADAPTERS for f in adapter.formats)


def zip_types() -> dict[str, str]:
    """ZIP packages c2pa signs, by extension -> MIME type (their entries must be stored first)."""
    return {e: f.mime for f in _rows() if f.c2pa is C2pa.STORED_ZIP for e in f.extensions}


def mime_type(name: str, head: bytes) -> str | None:
    """The MIME type to give c2pa for this content, or None if c2pa cannot embed a manifest in it."""
    found = identify(_rows(), name, head)
    return found.mime if found is not None and found.c2pa is not C2pa.NONE else None


def stored_zip(mime: str | None) -> bool:
    """True for a ZIP package's MIME type (c2pa 0.38 reads only stored entries)."""
    return mime is not None and mime in zip_types().values()


def unsignable_kind(name: str, head: bytes) -> str:
    """A short name for a format c2pa cannot take, for the skip note."""
    found = identify(_rows(), name, head)
    if found is not None:
        return found.label
    suffix = Path(name).suffix.lower().lstrip(".")
    return suffix.upper() or "this format"
