"""AVI: label in the ``LIST INFO`` sub-chunk ``AIGC``, written directly (stock ffmpeg cannot).

``labeler.adapters.video.riff`` rewrites only the INFO list (taking room from ``JUNK`` or placing it
after ``idx1``); ``movi`` is copied byte for byte. The notice receipt is the INFO entry ``LNTC``.
After the re-encode the source's INFO entries (ffmpeg keeps only those it knows) are written back.
"""

from __future__ import annotations

from pathlib import Path

from ...facts import C2pa, Format, Signature
from ...model import Found
from . import riff
from .common import LABEL_KEY, NOTICE_KEY, VideoAdapter
from .explicit import Plan, render
from .probe import Probe

AVI_IDS = {LABEL_KEY: b"AIGC", NOTICE_KEY: b"LNTC"}


class AviAdapter(VideoAdapter):
    name = "avi"
    formats = (Format("AVI", ("avi",), "video/avi", (Signature(0, b"RIFF", ((8, b"AVI "),)),), C2pa.EMBEDDED, "ffprobe"),)
    carrier = "avi:INFO:AIGC"
    # ExifTool skips INFO entries it has no tag for; the shipped ExifTool config names it
    seen_by = {"exiftool": None, "exiftool+config": "[RIFF] AIGC", "ffprobe": "tag AIGC", "mutagen": None}
    description = "AVI video; label in the LIST INFO sub-chunk AIGC written directly (movi copied); notice overlaid, video re-encoded"
    muxers = {"avi": "avi"}

    def found(self, path: Path) -> list[Found]:
        return [Found.of(self.carrier, riff.value(raw)) for cid, raw in riff.load(path).info if cid.upper() == AVI_IDS[LABEL_KEY]]

    def receipt(self, path: Path) -> str | None:
        raw = next((raw for cid, raw in riff.load(path).info if cid == AVI_IDS[NOTICE_KEY]), None)
        return None if raw is None else riff.value(raw).decode("utf-8", errors="replace")

    def write_entries(self, src: Path, dst: Path, entries: dict[str, str]) -> None:
        riff.write_info(src, dst, {AVI_IDS[key]: text.encode("utf-8") for key, text in entries.items()})

    def reencode(self, src: Path, dst: Path, info: Probe, job: Plan, muxer: str) -> None:
        source = dict(riff.load(src).info)
        encoded = dst.with_name(dst.name + ".enc.avi")
        try:
            render(src, encoded, info, job, muxer, "avi")
            changes = {cid: riff.value(raw) for cid, raw in source.items()}
            changes[AVI_IDS[NOTICE_KEY]] = job.to_json().encode("utf-8")
            riff.write_info(encoded, dst, changes)
        finally:
            encoded.unlink(missing_ok=True)
