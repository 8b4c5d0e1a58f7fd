"""Which encoder re-encodes a compressed audio stream for the notice: one table, by source codec.

A notice has to re-encode the stream, and that must not downgrade it: lossless stays lossless at
the source's bit depth (ALAC, FLAC); lossy keeps its codec at a bitrate no lower than the source's,
clamped to the range the encoder accepts (ffmpeg's libopus refuses more than 256 kb/s per channel
and Opus itself stops at 510 kb/s, so a 902 kb/s measurement of a cover-art-heavy file is clamped,
not passed on). A codec the table does not list is refused with the reason, never substituted
(ALAC must not come back as AAC).

Codec names are labeler's own; ``MP4_CODECS`` maps mutagen's MP4 sample-entry names to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import UnsupportedError

#: mutagen ``MP4Info.codec`` (lower case) -> labeler codec name.
MP4_CODECS = {
    "mp4a.40.2": "aac", "alac": "alac", "flac": "flac", "mp4a.6b": "mp3", "mp4a.69": "mp3", "opus": "opus", "ac-3": "ac3", "ec-3": "eac3",
    # QuickTime PCM sample entries: the fourcc fixes depth and byte order
    "sowt": "pcm_s16le", "twos": "pcm_s16be", "in24": "pcm_s24be", "in32": "pcm_s32be", "fl32": "pcm_f32be", "fl64": "pcm_f64be",
}  # fmt: skip
#: Codecs seen in the wild that ffmpeg can decode but not re-encode as the same codec: the reason.
NOT_KEPT = {
    "mp4a.40.5": "HE-AAC (ffmpeg's AAC encoder writes AAC-LC only, a different codec profile)",
    "mp4a.40.29": "HE-AAC v2 (ffmpeg's AAC encoder writes AAC-LC only, a different codec profile)",
    "lpcm": "QuickTime lpcm (its depth and byte order are in flags labeler does not read)",
}
MP3_RATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
AC3_RATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640)


@dataclass(frozen=True)
class Source:
    """What the re-encode must match: the stream as the container reports it."""

    codec: str
    bitrate: int  # bits per second; 0 = unknown
    bits: int  # bits per sample of a lossless stream (0 = unknown)
    channels: int


@dataclass(frozen=True)
class Range:
    """An encoder's accepted bitrate (bits/s): ``low`` to ``min(high, per_channel * channels)``."""

    low: int
    high: int
    per_channel: int
    unknown: int  # used when the source bitrate is unknown: a high, transparent setting

    def pick(self, source: Source) -> int:
        wanted = source.bitrate or self.unknown * max(1, source.channels) // 2
        return max(self.low, min(wanted, self.high, self.per_channel * max(1, source.channels)))


def _kbps(rate: Range) -> Callable[[Source], list[str]]:
    def options(source: Source) -> list[str]:
        return ["-b:a", f"{-(-rate.pick(source) // 1000)}k"]  # rounded up: never below the source

    return options


def _steps(steps: tuple[int, ...], rate: Range) -> Callable[[Source], list[str]]:
    """The lowest standard bitrate at or above the source's (the highest when none is)."""

    def options(source: Source) -> list[str]:
        kbps = rate.pick(source) / 1000
        return ["-b:a", f"{next((s for s in steps if s >= kbps), steps[-1])}k"]

    return options


def _depth(formats: dict[bool, str], extra: tuple[str, ...] = ()) -> Callable[[Source], list[str]]:
    """The encoder's integer sample format for the source depth (16-bit, else 24 in a 32-bit word)."""

    def options(source: Source) -> list[str]:
        return ["-sample_fmt", formats[0 < source.bits <= 16], *extra]

    return options


@dataclass(frozen=True)
class Encoding:
    encoder: str
    lossless: bool
    options: Callable[[Source], list[str]]
    muxers: tuple[str, ...]  # ffmpeg muxers that take it: ipod (M4A brand), mp4, mov

    def args(self, source: Source) -> list[str]:
        return ["-c:a", self.encoder, *self.options(source)]

    def muxer(self, path: Path) -> str:
        """The source's own kind of file when the codec allows it (M4A stays M4A, MOV stays MOV)."""
        wanted = SUFFIX_MUXERS.get(path.suffix.lower(), "mp4")
        return wanted if wanted in self.muxers else self.muxers[0]


SUFFIX_MUXERS = {".m4a": "ipod", ".m4b": "ipod", ".mov": "mov", ".qt": "mov"}
ANY = ("ipod", "mp4", "mov")


def _pcm(encoder: str) -> Encoding:
    return Encoding(encoder, True, lambda source: [], ("mov",))


#: labeler codec -> how a notice re-encode keeps it.
ENCODINGS = {
    "aac": Encoding("aac", False, _kbps(Range(16_000, 512_000, 256_000, 256_000)), ANY),
    "mp3": Encoding("libmp3lame", False, _steps(MP3_RATES, Range(32_000, 320_000, 320_000, 320_000)), ("mp4", "mov")),
    "opus": Encoding("libopus", False, _kbps(Range(6_000, 510_000, 256_000, 256_000)), ("mp4",)),
    "ac3": Encoding("ac3", False, _steps(AC3_RATES, Range(32_000, 640_000, 640_000, 448_000)), ANY),
    "eac3": Encoding("eac3", False, _steps(AC3_RATES, Range(32_000, 640_000, 640_000, 448_000)), ANY),
    "alac": Encoding("alac", True, _depth({True: "s16p", False: "s32p"}), ANY),
    # ffmpeg 5.1 still calls FLAC in MP4 experimental (the mapping is standard and its demuxer reads it)
    "flac": Encoding("flac", True, _depth({True: "s16", False: "s32"}, ("-strict", "experimental")), ("mp4",)),
    **{name: _pcm(name) for name in ("pcm_s16le", "pcm_s16be", "pcm_s24be", "pcm_s32be", "pcm_f32be", "pcm_f64be")},
}


def mp4_codec(name: str, path: Path) -> str:
    """labeler's codec for a mutagen MP4 codec name; ``UnsupportedError`` when it cannot be kept."""
    key = name.lower()
    if key in MP4_CODECS:
        return MP4_CODECS[key]
    what = NOT_KEPT.get(key, f"the {name or 'unknown'} codec (no encoder in labeler's table keeps it)")
    raise UnsupportedError(
        f"the audible notice would re-encode {what}; labeler refuses rather than substitute another codec. "
        "Label it with --no-explicit (metadata only, the audio untouched), or convert it to AAC-LC, ALAC or FLAC first",
        path,
    )


def encoding(source: Source) -> Encoding:
    return ENCODINGS[source.codec]
