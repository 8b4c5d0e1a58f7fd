"""Stream information for the video family: ffprobe JSON when installed, else ffmpeg's own log.

ffprobe gives everything as JSON. The static ffmpeg bundled by imageio-ffmpeg has no ffprobe, so
the fallback reads the stream lines ffmpeg prints for ``ffmpeg -i FILE`` (codec, pixel format,
size, SAR, rate, bitrate, rotation). Both return the same ``Probe``; ``backend_name()`` says which
one is used (shown by ``labeler formats``).

Static HDR10 metadata (SMPTE ST 2086 mastering display, CTA-861.3 content light level) is read from
the stream's side data (container boxes / Matroska Colour) and, when the container has none, from
the first decoded frame (HEVC/H.264 SEI, AV1 metadata OBUs) by ``with_frame_hdr``, which the
re-encode calls: one frame is decoded, so verification never pays for it. The log fallback does
not read it (ffmpeg prints it rounded); without ffprobe only what ffmpeg copies itself survives.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from ... import ffmpeg
from ...errors import InputError
from ...source import memo

#: Colour properties copied to the encoder (ffprobe key -> ffmpeg output option).
COLOUR_OPTIONS = {
    "color_primaries": "-color_primaries",
    "color_transfer": "-color_trc",
    "color_space": "-colorspace",
    "color_range": "-color_range",
}
_UNSET = {"", "unknown", "unspecified", "reserved"}
MAX_PROBE_OUTPUT = 16 * 1024 * 1024
#: ffprobe's mastering display keys in SEI order (green, blue, red, white point; then luminance).
MASTERING_KEYS = (
    "green_x",
    "green_y",
    "blue_x",
    "blue_y",
    "red_x",
    "red_y",
    "white_point_x",
    "white_point_y",
    "max_luminance",
    "min_luminance",
)
_HDR_TRANSFERS = {"smpte2084", "arib-std-b67"}  # PQ (HDR10) and HLG
#: Codecs that carry HDR10 metadata inside the bitstream, where only a decoded frame shows it.
_IN_BAND_HDR = {"hevc", "h264", "av1"}
_MAX_LUMINANCE = Fraction(2**32 - 1, 10000)  # the SEI field is 32 bits of 1/10000 cd/m²
_RATIONAL = re.compile(r"\d{1,18}(?:/\d{1,18}|\.\d{1,18})?")


@dataclass(frozen=True)
class Hdr:
    """Static HDR10 metadata as exact rationals (ffprobe prints them as ``num/den``)."""

    mastering: tuple[Fraction, ...] | None = None  # MASTERING_KEYS order: CIE 1931 xy, then cd/m²
    light_level: tuple[int, int] | None = None  # MaxCLL, MaxFALL in cd/m²


@dataclass(frozen=True)
class Stream:
    index: int
    kind: str  # video | audio | subtitle | data | attachment
    codec: str
    width: int = 0
    height: int = 0
    pix_fmt: str = ""
    sar: Fraction = Fraction(1)
    rotation: int = 0  # clockwise degrees a player turns the stored picture (0, 90, 180, 270)
    bit_rate: int = 0
    start_time: float = 0.0
    duration: float = 0.0
    time_base: str = ""
    codec_tag: str = ""
    attached_pic: bool = False
    colour: dict[str, str] = field(default_factory=dict)
    hdr: Hdr | None = None

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) as a player shows it: SAR applied, then rotation."""
        width = max(1, round(self.width * self.sar)) if self.sar > 0 else self.width
        return (self.height, width) if self.rotation in (90, 270) else (width, self.height)


@dataclass(frozen=True)
class Probe:
    format_name: str
    duration: float
    start_time: float
    bit_rate: int
    streams: tuple[Stream, ...]
    tags: dict[str, str]
    backend: str

    @property
    def video(self) -> Stream | None:
        """The main picture stream (cover art and thumbnails are not the video)."""
        return next((s for s in self.streams if s.kind == "video" and not s.attached_pic), None)


def backend_name() -> str:
    if ffmpeg.available("ffprobe"):
        return "ffprobe"
    return "ffmpeg log" if ffmpeg.available() else "missing"


def probe(path: Path) -> Probe:
    """Probe ``path``; ``InputError`` when ffmpeg cannot read it, ``BackendMissingError`` without ffmpeg.
    One ffprobe run per ``Source`` (plan, notice write and detection share it)."""
    return memo(path, "probe", lambda: _probe(path))


def _probe(path: Path) -> Probe:
    if path.stat().st_size == 0:
        raise InputError("the file is empty (0 bytes); re-export or re-download it", path)
    if ffmpeg.available("ffprobe"):
        return _from_ffprobe(path)
    return _from_log(path)


# --- ffprobe -------------------------------------------------------------------------------------


def _float(value: Any, default: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def _int(value: Any) -> int:
    return int(_float(value))


def _fraction(value: Any) -> Fraction:
    try:
        num, den = (int(v) for v in str(value).split(":"))
        return Fraction(num, den) if num > 0 and den > 0 else Fraction(1)
    except (ValueError, ZeroDivisionError):
        return Fraction(1)


def _rotation(stream: dict[str, Any]) -> int:
    """Clockwise display rotation from the display matrix (ffprobe reports it counter-clockwise)."""
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return round(-_float(side["rotation"]) / 90) * 90 % 360
    return round(_float((stream.get("tags") or {}).get("rotate")) / 90) * 90 % 360


def _rational(value: Any) -> Fraction | None:
    """A non-negative rational from ffprobe (``34000/50000``, ``17/25``, ``1000``); None when malformed."""
    text = str(value).strip() if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
    if not _RATIONAL.fullmatch(text):  # no exponents: Fraction("1e999999999") would compute the power
        return None
    try:
        return Fraction(text)
    except ZeroDivisionError:
        return None


def _mastering(entry: dict[str, Any]) -> tuple[Fraction, ...] | None:
    values = tuple(v for key in MASTERING_KEYS if (v := _rational(entry.get(key))) is not None)
    if len(values) != len(MASTERING_KEYS):
        return None  # partial (has_primaries or has_luminance unset) or malformed: encoders need all ten
    *chroma, high, low = values
    if not all(0 < c <= 1 for c in chroma) or not 0 < high <= _MAX_LUMINANCE or low >= high:
        return None
    return values


def _light_level(entry: dict[str, Any]) -> tuple[int, int] | None:
    values = [v for key in ("max_content", "max_average") if (v := _rational(entry.get(key))) is not None]
    if len(values) != 2 or any(v.denominator != 1 or v > 65535 for v in values) or not any(values):
        return None  # 0,0 means "unknown" (CTA-861.3); the SEI fields are 16 bits
    return int(values[0]), int(values[1])


def hdr_from_side_data(entries: Any) -> Hdr | None:
    """HDR10 metadata from an ffprobe ``side_data_list`` (stream or frame); None when there is none.

    Tolerant: a missing, partial or malformed entry (zero denominator, out of range) is skipped."""
    mastering = light_level = None
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        kind = entry.get("side_data_type")
        if kind == "Mastering display metadata" and mastering is None:
            mastering = _mastering(entry)
        elif kind == "Content light level metadata" and light_level is None:
            light_level = _light_level(entry)
    return Hdr(mastering, light_level) if mastering or light_level else None


def _high_bit_depth(pix_fmt: str) -> bool:
    return any(depth in pix_fmt for depth in ("10", "12", "16"))


def with_frame_hdr(path: Path, stream: Stream) -> Stream:
    """``stream`` with the HDR10 metadata of its first frame, when the container holds none.

    Only for codecs that carry it in-band, and only when the stream looks HDR (PQ/HLG transfer or
    more than 8 bits), so SDR files never pay for the extra decode. A failure is not an error here:
    the re-encode that follows decodes the same frames and reports it."""
    if stream.hdr is not None or stream.codec not in _IN_BAND_HDR or not ffmpeg.available("ffprobe"):
        return stream
    if stream.colour.get("color_transfer") not in _HDR_TRANSFERS and not _high_bit_depth(stream.pix_fmt):
        return stream
    args = [
        "-v",
        "error",
        "-print_format",
        "json",
        "-select_streams",
        str(stream.index),
        "-read_intervals",
        "%+#1",
        "-show_frames",
        "--",
        str(path),
    ]
    try:
        data = json.loads(ffmpeg.run(args, path=path, name="ffprobe")[:MAX_PROBE_OUTPUT].decode("utf-8", errors="replace"))
    except (InputError, ValueError):
        return stream
    frames = data.get("frames") if isinstance(data, dict) else None
    first = frames[0] if isinstance(frames, list) and frames and isinstance(frames[0], dict) else {}
    return replace(stream, hdr=hdr_from_side_data(first.get("side_data_list")))


def _stream(raw: dict[str, Any]) -> Stream:
    colour = {k: str(raw[k]) for k in COLOUR_OPTIONS if str(raw.get(k, "")) not in _UNSET}
    return Stream(
        index=_int(raw.get("index")),
        kind=str(raw.get("codec_type", "data")),
        codec=str(raw.get("codec_name", "none")),
        width=_int(raw.get("width")),
        height=_int(raw.get("height")),
        pix_fmt=str(raw.get("pix_fmt", "")),
        sar=_fraction(raw.get("sample_aspect_ratio", "1:1")),
        rotation=_rotation(raw),
        bit_rate=_int(raw.get("bit_rate")),
        start_time=_float(raw.get("start_time")),
        duration=_float(raw.get("duration")),
        time_base=str(raw.get("time_base", "")),
        codec_tag=str(raw.get("codec_tag_string", "")),
        attached_pic=bool((raw.get("disposition") or {}).get("attached_pic")),
        colour=colour,
        hdr=hdr_from_side_data(raw.get("side_data_list")),
    )


def _from_ffprobe(path: Path) -> Probe:
    out = ffmpeg.run(["-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", str(path)], path=path, name="ffprobe")
    try:
        data = json.loads(out[:MAX_PROBE_OUTPUT].decode("utf-8", errors="replace"))
    except ValueError as exc:
        raise InputError(f"ffprobe printed no readable stream list ({exc})", path) from exc
    fmt = data.get("format") or {}
    streams = tuple(_stream(s) for s in data.get("streams") or [])
    if not streams:
        raise InputError("ffprobe finds no streams in the file (corrupt or not a video)", path)
    tags = {str(k): str(v) for k, v in (fmt.get("tags") or {}).items()}
    return Probe(
        str(fmt.get("format_name", "")),
        _float(fmt.get("duration")),
        _float(fmt.get("start_time")),
        _int(fmt.get("bit_rate")),
        streams,
        tags,
        "ffprobe",
    )


# --- ffmpeg -i log (no ffprobe) --------------------------------------------------------------------

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?), start: (-?[\d.]+), bitrate: (\d+|N/A)")
_STREAM = re.compile(r"Stream #0:(\d+)[^:]*: (Video|Audio|Subtitle|Data|Attachment): (\w+)(.*)")
_SIZE = re.compile(r"(?<![\w/])(\d{2,5})x(\d{2,5})\b(?: \[SAR (\d+):(\d+))?")
_KBPS = re.compile(r"(\d+) kb/s")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")
_PIX_FMT = re.compile(r", (\w+)(?:\(([^)]*)\))?, \d{1,5}x\d{1,5}")


def _from_log(path: Path) -> Probe:
    command = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-i", str(path)]
    log = subprocess.run(command, capture_output=True, check=False).stderr[:MAX_PROBE_OUTPUT].decode("utf-8", errors="replace")
    duration = _DURATION.search(log)
    streams: list[Stream] = []
    for line_no, line in enumerate(lines := log.splitlines()):
        match = _STREAM.search(line)
        if not match:
            continue
        index, kind, codec, rest = int(match[1]), match[2].lower(), match[3], match[4]
        size, kbps, pix = _SIZE.search(rest), _KBPS.search(rest), _PIX_FMT.search(rest)
        following = "\n".join(lines[line_no + 1 : line_no + 8]).split("Stream #")[0]
        rotation = _ROTATION.search(following)
        streams.append(
            Stream(
                index, kind, codec,
                width=int(size[1]) if size and kind == "video" else 0,
                height=int(size[2]) if size and kind == "video" else 0,
                pix_fmt=pix[1] if pix else "",
                sar=Fraction(int(size[3]), int(size[4])) if size and size[3] and int(size[3]) and int(size[4]) else Fraction(1),
                rotation=round(-float(rotation[1]) / 90) * 90 % 360 if rotation else 0,
                bit_rate=int(kbps[1]) * 1000 if kbps else 0,
                attached_pic="(attached pic)" in rest,
                colour=_log_colour(pix[2] if pix else None),
            )
        )  # fmt: skip
    if duration is None or not streams:
        raise InputError(f"ffmpeg cannot read the file: {ffmpeg.summarise(log)}", path)
    seconds = int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3])
    bit_rate = int(duration[5]) * 1000 if duration[5] != "N/A" else 0
    return Probe("", seconds, float(duration[4]), bit_rate, tuple(streams), {}, "ffmpeg log")


def _log_colour(text: str | None) -> dict[str, str]:
    """``tv, bt2020nc/bt2020/smpte2084`` (range, space/primaries/transfer; one name when all equal)."""
    colour: dict[str, str] = {}
    for part in (p.strip() for p in (text or "").split(",")):
        if part in ("tv", "pc"):
            colour["color_range"] = part
        elif "/" in part and len(part.split("/")) == 3:
            colour.update(zip(("color_space", "color_primaries", "color_transfer"), part.split("/"), strict=True))
        elif (
            part
            and part not in ("progressive", "top first", "bottom first", "top coded first (swapped)", "bottom coded first (swapped)")
            and not colour.get("color_space")
        ):
            colour.update(dict.fromkeys(("color_space", "color_primaries", "color_transfer"), part))
    return {k: v for k, v in colour.items() if v not in _UNSET}
