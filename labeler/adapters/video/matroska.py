"""Matroska / WebM: label in a global ``Tags/Tag/SimpleTag`` named ``AIGC``.

Reading seeks through the EBML structure (``labeler.adapters.video.ebml``). Writing edits the
``Tags`` element in place (``labeler.adapters.video.mkvtags``), so clusters, cues, attachments and
chapters are copied byte for byte. Layouts that cannot be edited that way (unknown-size clusters of
live recordings, a SeekHead with no room) fall back to an ffmpeg stream-copy
remux (``-map 0 -c copy``, not bitexact, so the writing app keeps its version) after which
``mkvtracks`` writes the source's TrackUIDs back, as it does after the notice's re-encode.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ... import ffmpeg
from ...errors import InputError
from ...facts import MAGIC, C2pa, Format, Signature
from ...model import Found
from . import ebml, mkvtags, mkvtracks
from .common import LABEL_KEY, NOTICE_KEY, VideoAdapter
from .explicit import Plan, render
from .probe import Probe

CARRIER = "mkv:SimpleTag:AIGC"
REMUX_HINT = "re-mux it with `ffmpeg -i IN -c copy OUT.mkv`"


def metadata_args(entries: dict[str, str]) -> list[str]:
    return [arg for key, text in entries.items() for arg in ("-metadata", f"{key}={text}")]


def remux(src: Path, dst: Path, muxer: str, entries: dict[str, str], extra: Sequence[str] = ()) -> None:
    """Stream-copy ``src`` into ``dst`` with global metadata ``entries`` set (no shell, no re-encode)."""
    args = [
        "-y",
        "-i",
        str(src),
        "-map",
        "0",
        "-c",
        "copy",
        "-map_metadata",
        "0",
        "-map_chapters",
        "0",
        *metadata_args(entries),
        *extra,
        "-f",
        muxer,
        str(dst),
    ]
    try:
        ffmpeg.run(args, path=src)
    except Exception:
        dst.unlink(missing_ok=True)
        raise


class MatroskaAdapter(VideoAdapter):
    name = "matroska"
    # the EBML header's DocType decides (matroska or webm); the magic alone is any EBML file
    formats = (
        Format("Matroska/WebM", ("mkv", "webm", "mk3d"), "video/x-matroska", (Signature(0, b"\x1aE\xdf\xa3"),), C2pa.NONE, "ffprobe"),
    )
    carrier = CARRIER
    # ExifTool stops at the first Cluster unless -ee; labeler's Tags sit where ffmpeg puts them, after the clusters
    seen_by = {
        "exiftool": "[Matroska] Aigc with -ee",
        "exiftool+config": "[Matroska] Aigc with -ee",
        "ffprobe": "tag AIGC",
        "mutagen": None,
    }
    description = "Matroska / WebM video; label in a global SimpleTag AIGC (stream-copy remux); notice overlaid, video re-encoded"
    muxers = {"mkv": "matroska", "webm": "webm", "mk3d": "matroska"}

    def score(self, name: str, head: bytes) -> int:
        kind = ebml.doc_type(head)
        if kind is None:
            return 0
        return MAGIC + self.extension_score(name)

    def format_of(self, name: str, head: bytes) -> str:
        return "webm" if ebml.doc_type(head) == "webm" else "mkv"

    def found(self, path: Path) -> list[Found]:
        return [
            Found.of(CARRIER if not tag.track else "mkv:SimpleTag(track):AIGC", tag.value)
            for tag in ebml.read_tags(path)
            if tag.name.upper() == LABEL_KEY
        ]

    def receipt(self, path: Path) -> str | None:
        return next((tag.value for tag in ebml.read_tags(path) if tag.name.upper() == NOTICE_KEY and not tag.track), None)

    def write_entries(self, src: Path, dst: Path, entries: dict[str, str]) -> None:
        ebml.read_tags(src)  # a clean InputError for a file that is not Matroska or is cut
        try:
            mkvtags.write_tags(src, dst, entries)
        except mkvtags.Unplaceable:
            remux(src, dst, self.muxer_for(src), entries)  # live/odd layouts: ffmpeg re-muxes (packets copied)
            mkvtracks.keep_track_identity(src, dst)  # ffmpeg drew new TrackUIDs; the source's are kept
        except ValueError as exc:
            raise InputError(f"the Matroska Tags element is corrupt ({exc}); {REMUX_HINT}", src) from exc

    def reencode(self, src: Path, dst: Path, info: Probe, job: Plan, muxer: str) -> None:
        container = "webm" if muxer == "webm" else "matroska"
        render(src, dst, info, job, muxer, container, receipt=lambda done: metadata_args({NOTICE_KEY: done.to_json()}))
        mkvtracks.keep_track_identity(src, dst)  # ffmpeg drew new TrackUIDs; the source's are kept
