"""FLV: label as the ``onMetaData`` string ``AIGC`` (stream-copy remux by ffmpeg, read by ``amf``).

FLV has no standard place for custom metadata other than the ``onMetaData`` script tag, which
ffmpeg writes from the format tags and reads back as format tags.
"""

from __future__ import annotations

from pathlib import Path

from ..base import Found
from . import amf
from .common import LABEL_KEY, NOTICE_KEY, VideoAdapter
from .explicit import Plan, render
from .matroska import metadata_args, remux
from .probe import Probe


class FlvAdapter(VideoAdapter):
    name = "flv"
    extensions = ("flv",)
    carrier = "flv:onMetaData:AIGC"
    seen_by = {"exiftool": "[Flash] AIGC", "exiftool+config": "[Flash] AIGC", "ffprobe": "tag AIGC", "mutagen": None}
    description = "FLV video; label in onMetaData string AIGC (stream-copy remux); notice overlaid, video re-encoded"
    muxers = {"flv": "flv"}

    def score(self, name: str, head: bytes) -> int:
        return 10 + self.extension_score(name) if head[:4] == b"FLV\x01" else 0

    def found(self, path: Path) -> list[Found]:
        return [Found.of(self.carrier, value) for key, value in amf.metadata(path).items() if key.upper() == LABEL_KEY]

    def receipt(self, path: Path) -> str | None:
        return next((value for key, value in amf.metadata(path).items() if key.upper() == NOTICE_KEY), None)

    def write_entries(self, src: Path, dst: Path, entries: dict[str, str]) -> None:
        remux(src, dst, "flv", entries)

    def reencode(self, src: Path, dst: Path, info: Probe, job: Plan, muxer: str) -> None:
        render(src, dst, info, job, muxer, "flv", metadata_args({NOTICE_KEY: job.to_json()}))
