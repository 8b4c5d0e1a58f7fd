"""MP4 / MOV / M4V with a picture track: label in ``moov/udta/meta`` (``mdta`` key ``AIGC``).

The label and the notice receipt (``mdta`` key ``com.labeler.notice``) are written by
``labeler.containers.mp4``: only ``moov`` is rewritten, ``mdat`` is copied byte for byte, so the
media packets are untouched and writing twice gives identical bytes. After the notice re-encode the
source's ``udta``/``meta`` (all its tags, an existing label, ``XMP_``) replace ffmpeg's, its other
top-level metadata boxes (ExifTool's XMP ``uuid``) are appended, and ``faststart`` is kept when the
source had ``moov`` first.

An MP4 without a picture track is audio: the scoring leaves it to the audio family when ``moov``
is in the head, and when it is not (``moov`` after ``mdat``) this adapter hands every operation to
the M4A adapter once the tracks are known.
"""

from __future__ import annotations

from pathlib import Path

from ...containers import mp4
from ...errors import UnsupportedError
from ...facts import MAGIC, C2pa, Format, Signature
from ...model import Evidence, Found, WriteOptions
from ...notice import Notice
from ..audio.m4a import M4aAdapter
from .common import LABEL_KEY, NOTICE_KEY, VideoAdapter
from .explicit import Plan, render
from .matroska import remux
from .probe import Probe

MP4_KEYS = {LABEL_KEY: mp4.KEY, NOTICE_KEY: "com.labeler.notice"}
QUICKTIME_FIRST_BOXES = (b"moov", b"mdat", b"wide", b"free", b"skip")
AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ", b"F4A ")


class Mp4VideoAdapter(VideoAdapter):
    name = "mp4"
    formats = (
        Format("MP4", ("mp4",), "video/mp4", (Signature(4, b"ftyp"),), C2pa.EMBEDDED, "ffprobe"),
        Format("MOV", ("mov", "qt"), "video/quicktime", (Signature(4, b"ftyp", ((8, b"qt  "),)),), C2pa.EMBEDDED, "ffprobe"),
        Format("M4V", ("m4v",), "video/x-m4v", (), C2pa.EMBEDDED, "ffprobe"),  # an MP4 by content: the MP4 signature claims it
        # old QuickTime starts with a box other than ftyp; c2pa cannot embed in it
        Format(
            "QuickTime (no ftyp)",
            ("mov", "qt"),
            "video/quicktime",
            tuple(Signature(4, box) for box in QUICKTIME_FIRST_BOXES),
            C2pa.NONE,
            "ffprobe",
        ),
    )
    carrier = "mp4:mdta:AIGC"
    seen_by = {
        "exiftool": "[Keys] AIGC",
        "exiftool+config": "[Keys] AIGC",
        "ffprobe": "tag AIGC",
        "mutagen": None,
    }  # mutagen cannot name mdta keys
    description = (
        "MP4 / MOV / M4V video; label in moov/udta/meta mdta key AIGC (moov rewritten, mdat copied); notice overlaid, video re-encoded"
    )
    muxers = {"mp4": "mp4", "m4v": "ipod", "mov": "mov", "qt": "mov"}
    _audio = M4aAdapter()

    def score(self, name: str, head: bytes) -> int:
        if not self.signature_score(head):
            return 0
        if b"vide" in head:
            return MAGIC + self.extension_score(name)
        if (b"moov" in head[:8192] and b"soun" in head) or head[8:12] in AUDIO_BRANDS:
            return 0  # audio-only MP4: the audio family's
        return MAGIC - 3 + self.extension_score(name)  # moov after mdat: tracks unknown from the head (audio's M4A extension wins)

    def format_of(self, name: str, head: bytes) -> str:
        suffix = Path(name).suffix.lower().lstrip(".")
        return {"qt": "mov"}.get(suffix, suffix if suffix in self.extensions else "mp4")

    def _audio_only(self, path: Path) -> bool:
        return b"vide" not in mp4.track_handlers(mp4.load(path))

    def found(self, path: Path) -> list[Found]:
        return mp4.found_labels(path)

    def receipt(self, path: Path) -> str | None:
        values = mp4.mdta_values(mp4.load(path), MP4_KEYS[NOTICE_KEY])
        return values[0].rstrip(b"\x00").decode("utf-8", errors="replace") if values else None

    def write_entries(self, src: Path, dst: Path, entries: dict[str, str]) -> None:
        def edit(movie: mp4.Movie) -> None:
            for key, text in entries.items():
                mp4.set_label(movie.moov, text, MP4_KEYS[key])

        try:
            mp4.rewrite(src, dst, edit)
        except UnsupportedError:
            if not any(b.type == b"moof" for b in mp4.load(src).boxes):
                raise
            # a fragmented MP4 whose moov cannot grow: ffmpeg re-muxes it (packets copied, one moov)
            remux(
                src,
                dst,
                self.muxer_for(src),
                {MP4_KEYS[key]: text for key, text in entries.items()},
                ["-movflags", "+use_metadata_tags", "-fflags", "+bitexact"],
            )

    def reencode(self, src: Path, dst: Path, info: Probe, job: Plan, muxer: str) -> None:
        source = mp4.load(src)
        kept = mp4.metadata_nodes(source)
        mdat = next((b.offset for b in source.boxes if b.type == b"mdat"), None)
        faststart = ["-movflags", "+faststart"] if mdat is None or source.moov_box.offset < mdat else []
        encoded = dst.with_name(dst.name + ".enc" + src.suffix)
        try:
            done = render(src, encoded, info, job, muxer, "mp4", faststart)

            def edit(movie: mp4.Movie) -> None:
                movie.moov.children = [n for n in movie.moov.children or [] if n.type not in (b"udta", b"meta")] + kept
                mp4.set_label(movie.moov, done.to_json(), MP4_KEYS[NOTICE_KEY])

            mp4.rewrite(encoded, dst, edit, mp4.carried_boxes(src))
        finally:
            encoded.unlink(missing_ok=True)

    # audio-only MP4s that reached this adapter (moov after mdat) are the audio family's work
    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        if self._audio_only(src):
            return self._audio.write_explicit(src, dst, notice, options)
        return super().write_explicit(src, dst, notice, options)

    def detect_explicit(self, path: Path) -> Evidence:
        if self._audio_only(path):
            return self._audio.detect_explicit(path)
        return super().detect_explicit(path)
