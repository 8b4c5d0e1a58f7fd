"""FLV: label as the ``onMetaData`` string ``AIGC`` (written by ``flvtags``, read by ``amf``).

FLV has no standard place for custom metadata other than the ``onMetaData`` script tag, which
ffmpeg reads back as format tags. labeler edits that tag itself rather than re-muxing, so cue
points (``cuePoints`` in onMetaData, ``onCuePoint`` tags) and every media tag stay as they are;
after the notice's re-encode ``flvtags.merge`` restores them around ffmpeg's output.
"""

from __future__ import annotations

from pathlib import Path

from ...facts import C2pa, Format, Signature
from ...model import Found
from . import amf, flvtags
from .common import LABEL_KEY, NOTICE_KEY, VideoAdapter
from .explicit import Plan, render
from .matroska import metadata_args
from .probe import Probe


class FlvAdapter(VideoAdapter):
    name = "flv"
    formats = (Format("FLV", ("flv",), "video/x-flv", (Signature(0, b"FLV\x01"),), C2pa.NONE, "ffprobe"),)
    carrier = "flv:onMetaData:AIGC"
    seen_by = {"exiftool": "[Flash] AIGC", "exiftool+config": "[Flash] AIGC", "ffprobe": "tag AIGC", "mutagen": None}
    description = "FLV video; label in onMetaData string AIGC (tags copied, cue points kept); notice overlaid, video re-encoded"
    muxers = {"flv": "flv"}

    def found(self, path: Path) -> list[Found]:
        return [Found.of(self.carrier, value) for key, value in amf.metadata(path).items() if key.upper() == LABEL_KEY]

    def receipt(self, path: Path) -> str | None:
        return next((value for key, value in amf.metadata(path).items() if key.upper() == NOTICE_KEY), None)

    def write_entries(self, src: Path, dst: Path, entries: dict[str, str]) -> None:
        flvtags.set_entries(src, dst, entries)

    def reencode(self, src: Path, dst: Path, info: Probe, job: Plan, muxer: str) -> None:
        # a keyframe index in the source (seeking players use it) is re-made for the new stream
        index = ["-flvflags", "add_keyframe_index"] if "keyframes" in amf.keys(src) else []
        encoded = dst.with_name(dst.name + ".enc.flv")
        try:
            render(src, encoded, info, job, muxer, "flv", [*metadata_args({NOTICE_KEY: job.to_json()}), *index])
            flvtags.merge(src, encoded, dst)
        finally:
            encoded.unlink(missing_ok=True)
