"""How ``label`` and ``verify`` use the watermark (a small value: it travels to worker processes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WatermarkSettings:
    """``key`` None means the documented default key (``payload.DEFAULT_KEY``)."""

    key: bytes | None = None
    #: verify: look for a watermark in every image, video and audio file it can check.
    check: bool = True
    #: verify: producer codes (or names) to name when a watermark is found without a metadata label.
    producers: tuple[str, ...] = ()
