"""M4A / M4B / audio-only MP4: the label is the ``mdta`` key ``AIGC`` in ``moov/udta/meta``.

The boxes are written by ``labeler.containers.mp4`` (mutagen cannot name ``mdta`` keys), so
``mdat`` is copied byte for byte. The notice re-encodes once with ffmpeg in the source's own codec
(``codecs.ENCODINGS``: ALAC stays ALAC at its bit depth, AAC-LC stays AAC at no lower bitrate; a
codec it cannot keep, such as HE-AAC, is refused) at the source's sample rate and channels. The
source's ``udta``/``meta`` (iTunes tags, cover art, XMP) replace the new file's; chapters (the
QuickTime chapter track of audiobooks and Nero ``chpl``) are re-made by ffmpeg from the source's,
shifted by a prepended cue so each still starts at its own words. An MP4 with a video track
belongs to the video family: this adapter scores it low and refuses to put an audio notice on it.
"""

from __future__ import annotations

from pathlib import Path

from ... import ffmpeg
from ...containers import mp4
from ...errors import UnsupportedError
from ...facts import MAGIC, WEAK, C2pa, Format, Signature
from ...label import Label
from ...model import Backend, Evidence, Found, WriteOptions
from ...notice import Notice
from ..base import Adapter
from . import codecs, common
from .common import Rewrite
from .explicit import CuePlan, detect, edge_windows
from .stream import decode_blocks, decoded_channels, encode_blocks, read_mono

AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ", b"F4A ")
VIDEO_HINT = b"vide"


def _brand(brand: bytes) -> Signature:
    return Signature(4, b"ftyp", ((8, brand),))


def _brands(head: bytes) -> list[bytes]:
    if head[4:8] != b"ftyp" or len(head) < 16:
        return []
    size = int.from_bytes(head[:4], "big")
    body = head[8 : min(size, len(head))]
    return [body[:4]] + [body[i : i + 4] for i in range(8, len(body) - 3, 4)]


def _audio_only_score(name: str, head: bytes) -> int:
    """MAGIC: surely audio-only; MAGIC - 2 (an audio extension) or WEAK: an MP4 whose tracks are not
    in the head (moov after mdat; the video family scores those MAGIC - 3); 0: has video, or not an MP4."""
    brands = _brands(head)
    if not brands:
        return 0
    if VIDEO_HINT in head:  # a 'vide' handler in a moov within the first 8 KB
        return 0
    if b"moov" in head and b"soun" in head:
        return MAGIC
    if brands[0] in AUDIO_BRANDS:
        return MAGIC
    return MAGIC - 2 if Path(name).suffix.lower() in (".m4a", ".m4b") else WEAK


class M4aAdapter(Adapter):
    name = "m4a"
    media = "audio"
    formats = (
        Format("M4A/M4B", ("m4a", "m4b"), "audio/mp4", (_brand(b"M4A "), _brand(b"M4B ")), C2pa.EMBEDDED, "mutagen"),
        Format("audio-only MP4", ("mp4",), "audio/mp4", (), C2pa.EMBEDDED, "mutagen"),  # told from video by its tracks
    )
    carrier = "mp4:mdta:AIGC"
    seen_by = {
        "exiftool": "[Keys] AIGC",
        "exiftool+config": "[Keys] AIGC",
        "ffprobe": "tag AIGC",
        "mutagen": None,
    }  # mutagen cannot name mdta keys
    description = "M4A / M4B / audio-only MP4 (AAC, ALAC, FLAC, MP3, Opus, AC-3); label in moov/udta/meta mdta key AIGC; notice re-encoded once in the same codec"

    def score(self, name: str, head: bytes) -> int:
        base = _audio_only_score(name, head)
        return base + self.extension_score(name) if base else common.score(self.extension_score(name), False, head)

    def format_of(self, name: str, head: bytes) -> str:
        return "m4a"

    def read_labels(self, path: Path) -> list[Found]:
        return mp4.found_labels(path)

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        mp4.write_label(src, dst, label.require_writable().to_json())

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        self.rewrite_audio(src, dst, CuePlan.of(notice).rewrite())

    def rewrite_audio(self, src: Path, dst: Path, change: Rewrite) -> None:
        """``src`` with its decoded audio changed by ``change`` (the notice, the watermark), written back as the notice is."""
        from mutagen.mp4 import MP4, MP4Info

        movie = mp4.load(src)
        if b"vide" in mp4.track_handlers(movie):
            raise UnsupportedError(
                "this MP4 has a video track; an audio notice alone would not label it (the video family handles MP4 video)", src
            )
        info = common.mutagen_info(src, MP4, MP4Info, "MP4")
        measured = round(src.stat().st_size * 8 / info.length) if info.length else 0
        # the decoder's channel count, not mutagen's: for a mono AAC mutagen can only report the
        # sample entry's fixed 2, and encoding that would turn a mono audiobook into stereo
        channels = decoded_channels(src)
        source = codecs.Source(codecs.mp4_codec(info.codec, src), info.bitrate or measured, info.bits_per_sample, channels)
        encoding = codecs.encoding(source)
        ffmpeg.for_encoder(encoding.encoder)  # fail before decoding when no ffmpeg has the encoder
        rate = info.sample_rate
        muxer = encoding.muxer(src)
        # the source again as a second input, for its chapters only, moved by the prepended cue
        chapters = ["-itsoffset", f"{change.lead_in(rate):.6f}", "-i", str(src), "-map", "0:a", "-map_chapters", "1"]
        args = [*chapters, *encoding.args(source), "-map_metadata:g", "-1", "-f", muxer]
        encoded = dst.with_name(dst.name + ".enc.mp4")
        try:
            encode_blocks(change.apply(decode_blocks(src, rate, channels), rate, channels), encoded, rate, channels, args, encoding.encoder)
            mp4.transplant_metadata(src, encoded, dst, renewed=(b"chpl",))
        finally:
            encoded.unlink(missing_ok=True)

    def detect_explicit(self, path: Path) -> Evidence:
        from mutagen.mp4 import MP4, MP4Info

        mp4.load(path)  # a clean error for a missing moov before ffmpeg's less helpful one
        if not ffmpeg.available():
            return Evidence.unknown(f"ffmpeg is not installed, so the audible notice cannot be checked; {ffmpeg.INSTALL_HINT}")
        duration = common.mutagen_info(path, MP4, MP4Info, "MP4").length
        return detect(edge_windows(duration, lambda start, length: read_mono(path, start, length)), duration)

    def backends(self) -> list[Backend]:
        return [common.ffmpeg_backend("decode/encode (same codec) for the audible notice"), *common.spoken_backends()]
