"""Invisible watermarks: the second kind of implicit label GB 45438 names (never a replacement for
the metadata label).

``payload.py`` turns a label and a key into ``CODE_BITS`` bits and back. Each medium has a module
with the same two functions, found through ``MEDIA`` (keyed by ``Adapter.media``):

- ``embed_file(source: Path, target: Path, code: np.ndarray) -> None`` writes ``source`` with the
  code bits embedded to ``target`` (same format);
- ``extract_file(path: Path) -> np.ndarray | None`` returns ``CODE_BITS`` soft bits (positive = 1),
  or None when no synchronisation is found.

Modules are imported on first use, and a medium whose module is not installed is simply not
watermarkable (``medium`` returns None).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from .settings import WatermarkSettings

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: Adapter.media -> the module that embeds into and extracts from that medium.
MEDIA: dict[str, str] = {
    "image": "labeler.watermark.image",
    "video": "labeler.watermark.video",
    "audio": "labeler.watermark.audio",
}


class Medium(Protocol):
    def embed_file(self, source: Path, target: Path, code: npt.NDArray[np.uint8], /) -> None: ...

    def extract_file(self, path: Path, /) -> npt.NDArray[np.floating] | None: ...


def medium(media: str) -> Medium | None:
    """The module for ``media``, or None when labeler has none (text, documents) or it is absent."""
    name = MEDIA.get(media)
    if name is None:
        return None
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:  # a dependency of the module is missing: say so, do not hide it
            raise
        return None
    return cast(Medium, module)


__all__ = ["MEDIA", "Medium", "WatermarkSettings", "medium"]
