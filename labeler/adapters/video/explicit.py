"""The visible notice on video: the image banner, overlaid by ffmpeg, the video stream re-encoded.

The banner is drawn by ``labeler.render.banner`` (the same look as on images) into a PNG, and
ffmpeg overlays that PNG; the notice *text* therefore never reaches the filter graph (there is
nothing to escape and nothing a hostile text could inject). Frames reach the filter in display
orientation (ffmpeg applies the rotation side data while decoding, so the output is stored
upright), and a non-square sample aspect ratio is honoured by planning in display pixels and
squeezing the patch back into stored pixels.

Only the picture stream is re-encoded, with the source's codec family, pixel format, colour
properties, time base and frame timing (``-fps_mode passthrough`` keeps variable frame rates); the
quality is a constrained CRF whose rate cap comes from the source's own bitrate (SVT-AV1: a VBR
target at the source bitrate, see ``_svt``). Audio, subtitles,
data, attachments and chapters are stream-copied in their original order. Container metadata is
carried by the caller (MP4 moves ``udta`` over byte for byte; Matroska/FLV keep it via
``-map_metadata``; AVI INFO entries are rewritten).
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from PIL import Image

from ... import ffmpeg
from ...errors import (
    BackendMissingError,
    InputError,
    LabelFormatError,
    UnsupportedError,
)
from ...notice import Notice
from ...render.banner import Receipt, draw_patch, plan_banner
from .probe import COLOUR_OPTIONS, Probe, Stream

MIN_SECONDS = 2.0  # GB 45438: visible for at least 2 s
DEFAULT_SECONDS = 3.0
MIN_RATE = 64_000
RECEIPT_KIND = "labeler-video-notice"


def _capped(crf: int, preset: list[str]) -> Callable[[int], list[str]]:
    def args(bitrate: int) -> list[str]:
        return [*preset, "-crf", str(crf), "-maxrate", str(max(MIN_RATE, round(bitrate * 1.5))), "-bufsize", str(max(2 * MIN_RATE, bitrate * 3))]

    return args


def _vpx(bitrate: int) -> list[str]:  # constrained quality: -b:v is the ceiling
    return ["-deadline", "good", "-cpu-used", "5", "-row-mt", "1", "-crf", "30", "-b", str(max(MIN_RATE, round(bitrate * 1.2)))]


def _bitrate(bitrate: int) -> list[str]:
    return ["-b", str(max(MIN_RATE, round(bitrate * 1.2)))]


def _svt(bitrate: int) -> list[str]:
    """VBR at the source bitrate. SVT-AV1 1.4's capped CRF (-crf with -maxrate) overshot its cap by
    25-30 % and more; VBR with overshoot-pct=0 came within 10 % of the target on 6-8 s clips (2-3 s
    clips end up to ~1.8x over while its rate control settles)."""
    return ["-preset", "10", "-b", str(max(MIN_RATE, bitrate)), "-svtav1-params", "overshoot-pct=0"]


def _aom(bitrate: int) -> list[str]:
    """Constrained quality (-b:v is the ceiling); the ceiling is the source bitrate itself because
    libaom overshoots it on short clips (up to ~2x at -cpu-used 8)."""
    return ["-cpu-used", "8", "-row-mt", "1", "-crf", "20", "-b", str(max(MIN_RATE, bitrate))]


#: Source codec -> (encoder, quality arguments from the source bitrate), tried in order.
ENCODERS: dict[str, tuple[tuple[str, Callable[[int], list[str]]], ...]] = {
    "h264": (("libx264", _capped(18, ["-preset", "veryfast"])),),
    "hevc": (("libx265", _capped(21, ["-preset", "fast", "-x265-params", "log-level=error"])),),
    "vp9": (("libvpx-vp9", _vpx),),
    "vp8": (("libvpx", _vpx),),
    "av1": (("libsvtav1", _svt), ("libaom-av1", _aom)),
    "mpeg4": (("mpeg4", _bitrate),),
    "flv1": (("flv", _bitrate),),
    "mjpeg": (("mjpeg", lambda rate: ["-q", "3"]),),
}
#: MP4 sample entry names an encoder's output may keep from the source (parameter sets in-band or not).
SAMPLE_ENTRIES = {"libx264": ("avc1", "avc3"), "libx265": ("hvc1", "hev1")}
#: When the source codec has no encoder here: what a container can hold instead.
FALLBACK = {"webm": "vp9", "default": "h264"}
_CHROMA_SUBSAMPLED = ("yuv420", "yuvj420", "yuv422", "yuvj422", "nv12", "nv21")
#: The overlay filter's working format per source pixel format. Naming it keeps the frames in their
#: own format: ``format=auto`` followed the RGBA banner and converted every yuv420p frame to RGBA and
#: back through yuv444p (25 % slower at 1080p, and a needless chroma round trip); the 8-bit
#: default would truncate 10-bit sources.
OVERLAY_FORMATS = {
    **dict.fromkeys(("yuv420p", "yuvj420p"), "yuv420"),
    "yuv420p10le": "yuv420p10",
    **dict.fromkeys(("yuv422p", "yuvj422p"), "yuv422"),
    "yuv422p10le": "yuv422p10",
    **dict.fromkeys(("yuv444p", "yuvj444p"), "yuv444"),
    "gbrp": "gbrp",
    **dict.fromkeys(("rgb24", "bgr24", "rgba", "bgra", "argb", "abgr", "rgb0", "bgr0"), "rgb"),
}


@dataclass(frozen=True)
class Window:
    """When the notice shows, in seconds from the start of the file (``end`` None = whole video)."""

    start: float
    end: float | None
    requested: float
    clamped: bool  # the clip is shorter than the requested duration


@dataclass(frozen=True)
class Plan:
    receipt: Receipt  # display coordinates
    window: Window
    stream: Stream
    patch: Image.Image  # RGBA, filter-frame pixels
    at: tuple[int, int]  # patch position in filter-frame pixels

    def to_json(self) -> str:
        data = {
            "kind": RECEIPT_KIND,
            "banner": json.loads(self.receipt.to_json()),
            "start": round(self.window.start, 3),
            "end": None if self.window.end is None else round(self.window.end, 3),
            "requested": self.window.requested,
            "clamped": self.window.clamped,
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def video_duration(probe: Probe, stream: Stream) -> float:
    return stream.duration or probe.duration


def window_for(notice: Notice, probe: Probe, stream: Stream) -> Window:
    requested = DEFAULT_SECONDS if notice.duration is None else float(notice.duration)
    if not math.isfinite(requested) or requested < MIN_SECONDS:
        raise LabelFormatError(f"notice duration {requested:g} s is refused: GB 45438 requires the video notice to be visible for at least {MIN_SECONDS:g} s")
    start = max(0.0, stream.start_time - probe.start_time)
    length = video_duration(probe, stream)
    if notice.persist:
        return Window(start, None, requested, False)
    clamped = length > 0 and requested >= length
    return Window(start, None if clamped else start + requested, requested, clamped)


def filter_geometry(stream: Stream) -> tuple[tuple[int, int], Fraction]:
    """Frame size and SAR as the filter graph sees them (after ffmpeg's autorotation)."""
    if stream.rotation in (90, 270):
        return (stream.height, stream.width), (1 / stream.sar if stream.sar else Fraction(1))
    return (stream.width, stream.height), stream.sar or Fraction(1)


def plan(notice: Notice, probe: Probe, media: str) -> Plan:
    stream = probe.video
    if stream is None or stream.width <= 0 or stream.height <= 0:
        raise UnsupportedError("the file has no picture stream to put a notice on")
    window = window_for(notice, probe, stream)
    (width, height), sar = filter_geometry(stream)
    display = (max(1, round(width * sar)), height)
    receipt = plan_banner(notice.text_for(media), display, notice.position, notice.height_ratio)
    patch = draw_patch(receipt)
    x = round(receipt.box[0] / sar)
    if sar != 1:
        patch = patch.resize((max(1, min(width - x, round(patch.width / sar))), patch.height), Image.Resampling.LANCZOS)
    # chroma-subsampled overlays snap the patch to even coordinates: pad it by the odd pixel, so
    # the drawn pixels stay exactly where the receipt says
    shift = (x % 2, receipt.box[1] % 2)
    if any(shift):
        padded = Image.new("RGBA", (patch.width + shift[0], patch.height + shift[1]), (0, 0, 0, 0))
        padded.paste(patch, shift)
        patch = padded
    return Plan(receipt, window, stream, patch, (x - shift[0], receipt.box[1] - shift[1]))


def encoder_for(stream: Stream, container: str) -> tuple[str, list[str]]:
    """(encoder, quality args) for re-encoding ``stream`` in ``container`` with this ffmpeg."""
    available = ffmpeg.encoders()
    for codec in (stream.codec, FALLBACK.get(container, FALLBACK["default"])):
        for name, quality in ENCODERS.get(codec, ()):
            if name in available:
                return name, quality(stream.bit_rate)
    raise BackendMissingError(f"no encoder for {stream.codec} video or the fallback in {ffmpeg.describe()}; {ffmpeg.INSTALL_HINT}")


def estimated_bitrate(probe: Probe, stream: Stream, size: int) -> int:
    if stream.bit_rate:
        return stream.bit_rate
    others = sum(s.bit_rate for s in probe.streams if s is not stream)
    total = probe.bit_rate or (round(size * 8 / probe.duration) if probe.duration else 0)
    return max(MIN_RATE, total - others)


def _pix_fmt(stream: Stream, encoder: str) -> str:
    """The source's pixel format; 4:4:4 for odd sizes that x264/x265 cannot subsample."""
    fmt = stream.pix_fmt
    odd = stream.width % 2 or stream.height % 2
    if odd and encoder in ("libx264", "libx265") and fmt.startswith(_CHROMA_SUBSAMPLED):
        return fmt.replace("yuvj", "yuv").replace("420", "444").replace("422", "444").replace("nv12", "yuv444p").replace("nv21", "yuv444p")
    return fmt


def command(src: Path, banner: Path, dst: Path, probe: Probe, job: Plan, muxer: str, container: str, extra: list[str]) -> list[str]:
    """The ffmpeg argument list (no shell) that overlays ``banner`` and copies every other stream."""
    stream = job.stream
    encoder, quality = encoder_for(replace(stream, bit_rate=estimated_bitrate(probe, stream, src.stat().st_size)), container)
    enable = "" if job.window.end is None else f":enable='lt(t,{job.window.end:.3f})'"
    overlay_format = OVERLAY_FORMATS.get(stream.pix_fmt, "auto")
    graph = f"[0:{stream.index}][1:v]overlay=x={job.at[0]}:y={job.at[1]}:format={overlay_format}{enable}[notice]"
    maps: list[str] = []
    out_index = 0
    for s in probe.streams:
        maps += ["-map", "[notice]" if s.index == stream.index else f"0:{s.index}"]
        if s.index == stream.index:
            out_index = len(maps) // 2 - 1
    spec = f":{out_index}"
    video = [f"-c{spec}", encoder, *[a + spec if a.startswith("-") else a for a in quality]]
    fmt = _pix_fmt(stream, encoder)
    video += [f"-pix_fmt{spec}", fmt] if fmt else []
    for key, option in COLOUR_OPTIONS.items():
        if key in stream.colour:
            video += [f"{option}{spec}", stream.colour[key]]
    timing = ["-fps_mode", "passthrough"]
    if muxer in ("mp4", "mov", "ipod") and stream.time_base.startswith("1/"):
        timing += ["-video_track_timescale", stream.time_base[2:]]
    if muxer in ("mp4", "mov", "ipod") and stream.codec_tag in SAMPLE_ENTRIES.get(encoder, ()):
        video += [f"-tag{spec}", stream.codec_tag]  # e.g. hvc1 (what Apple players need) stays hvc1, not hev1
    return [
        "-y", "-i", str(src), "-i", str(banner), "-filter_complex", graph, *maps,
        "-c", "copy", *video, *timing, "-map_metadata", "0", "-map_chapters", "0", *extra, "-f", muxer, str(dst),
    ]  # fmt: skip


def render(src: Path, dst: Path, probe: Probe, job: Plan, muxer: str, container: str, extra: list[str] = ()) -> None:  # type: ignore[assignment]
    """Write ``dst``: ``src`` with the planned notice; raises ``InputError`` with ffmpeg's reason."""
    with tempfile.TemporaryDirectory(prefix="labeler-banner-") as scratch:
        banner = Path(scratch) / "banner.png"
        job.patch.save(banner)
        try:
            ffmpeg.run(command(src, banner, dst, probe, job, muxer, container, list(extra)), path=src)
        except InputError:
            dst.unlink(missing_ok=True)
            raise
