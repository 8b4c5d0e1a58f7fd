"""The visible notice on video: the image banner, overlaid by ffmpeg, the video stream re-encoded.

The banner is drawn by ``labeler.render.banner`` (the same look as on images) into a PNG, and
ffmpeg overlays that PNG; the notice *text* therefore never reaches the filter graph (nothing a
hostile text could inject; only the PNG's own path is escaped). The overlay is the video stream's
own filter (``-filter:N``, the PNG read by a ``movie`` source), not a ``-filter_complex`` output:
only then does ffmpeg 5.1 link the output stream to its input and copy the input's stream side data
(HDR mastering display and light level, spherical and stereo info) and tags. Frames reach the
filter in display orientation (ffmpeg applies the rotation side data while decoding, so the output is stored
upright), and a non-square sample aspect ratio is honoured by planning in display pixels and
squeezing the patch back into stored pixels.

Only the picture stream is re-encoded, with the source's codec family, pixel format, colour
properties, time base and frame timing (``-fps_mode passthrough`` keeps variable frame rates); the
quality is a constrained CRF held under the source's own bitrate (SVT-AV1: a VBR target at the
source bitrate, see ``_svt``). A codec with no encoder in ``ENCODERS`` is refused, not replaced. Audio, subtitles,
data, attachments and chapters are stream-copied in their original order. Container metadata is
carried by the caller (MP4 moves ``udta`` over byte for byte; Matroska/FLV keep it via
``-map_metadata``; AVI INFO entries are rewritten).

HDR10 static metadata (SMPTE ST 2086 mastering display, MaxCLL/MaxFALL) is kept twice over: the
container's copy (MP4 mdcv/clli or SmDm/CoLL, Matroska Colour) by ffmpeg as above, and the in-band
copy (HEVC/H.264 SEI, AV1 metadata OBUs) by the encoder from its own parameters (``HDR_PARAMS``:
x265, x264, SVT-AV1), since ffmpeg 5.1's encoder wrappers do not forward frame side data.
Not carried: libvpx (VP9, which has no in-band carrier) and libaom-av1 take no such parameters, so
an AV1 source whose HDR10 metadata is only in its bitstream loses it when libsvtav1 is missing;
ffmpeg 5.1's H.264 decoder does not report SEI, so of an H.264 source only the container's copy is
carried (into the container and x264's SEI); without ffprobe (the ffmpeg-log probe) no in-band copy
is read at all.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

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
from .probe import COLOUR_OPTIONS, Hdr, Probe, Stream, with_frame_hdr

MIN_SECONDS = 2.0  # GB 45438: visible for at least 2 s
DEFAULT_SECONDS = 3.0
MIN_RATE = 16_000  # a floor for a source whose bitrate is unknown or absurdly low
RECEIPT_KIND = "labeler-video-notice"
#: The encoders' ceiling is 95 % of the source bitrate with a one-second VBV buffer: the buffer's
#: initial burst (the first I-frame, which also carries the banner) lands the output within 10 % of
#: the source (measured 1.01-1.09x on 2-4 s H.264, HEVC 10-bit and MPEG-4 part 2 clips; a
#: half-second buffer left a legible banner on an 82 kb/s HEVC clip no longer verifiable). The
#: old 1.5x cap with a 3 s buffer and a 64 kb/s floor nearly doubled low-bitrate files.
RATE_AIM = 0.95


def _cap(bitrate: int) -> list[str]:
    return ["-maxrate", str(max(MIN_RATE, round(bitrate * RATE_AIM))), "-bufsize", str(max(MIN_RATE, bitrate))]


def _capped(crf: int, preset: list[str]) -> Callable[[int], list[str]]:
    """Constant quality, held under the source bitrate by the VBV (``_cap``)."""

    def args(bitrate: int) -> list[str]:
        return [*preset, "-crf", str(crf), *_cap(bitrate)]

    return args


#: libvpx overshoots its -b:v ceiling by 12-20 % (measured on 4 s and 12 s VP9 clips; -maxrate,
#: -bufsize and -overshoot-pct did not change that): aim below the source so the result lands near it.
VPX_AIM = 0.85


def _vpx(bitrate: int) -> list[str]:  # constrained quality: -b:v is the ceiling
    return ["-deadline", "good", "-cpu-used", "5", "-row-mt", "1", "-crf", "30", "-b", str(max(MIN_RATE, round(bitrate * VPX_AIM)))]


def _bitrate(bitrate: int) -> list[str]:
    """The source bitrate as the target, the cap as a VBV ceiling (mpeg4 and flv overshot a bare -b)."""
    return ["-b", str(max(MIN_RATE, round(bitrate * RATE_AIM))), *_cap(bitrate)]


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
    "mpeg2video": (("mpeg2video", _bitrate),),
    "mpeg1video": (("mpeg1video", _bitrate),),
    "theora": (("libtheora", _bitrate),),
    # lossless sources stay lossless (no bitrate to follow)
    "ffv1": (("ffv1", lambda rate: []),),
    "utvideo": (("utvideo", lambda rate: []),),
    "huffyuv": (("huffyuv", lambda rate: []),),
}
#: MP4 sample entry names an encoder's output may keep from the source (parameter sets in-band or not).
SAMPLE_ENTRIES = {"libx264": ("avc1", "avc3"), "libx265": ("hvc1", "hev1")}
#: ffprobe's colour names that ffmpeg's options spell differently (RGB video reads as matrix "gbr";
#: ``-colorspace gbr`` is refused, ``rgb`` is the same value, and libvpx-vp9 then writes RGB profile 1).
COLOUR_VALUES = {"gbr": "rgb"}
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


def sei_mastering(values: tuple[Fraction, ...]) -> str:
    """``G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min)`` in SEI units, as x265 and x264 take it: chromaticity
    in 1/50000, luminance in 1/10000 cd/m² (exact for ffprobe's ``n/50000`` and ``n/10000``)."""
    scaled = [round(v * 50000) for v in values[:8]] + [round(v * 10000) for v in values[8:]]
    return "G({},{})B({},{})R({},{})WP({},{})L({},{})".format(*scaled)


def plain_mastering(values: tuple[Fraction, ...]) -> str:
    """The same in plain numbers (chromaticity 0-1, cd/m²), as SVT-AV1 takes it; it rounds them to
    AV1's fixed point itself, and AV1 sources' dyadic values (n/65536) print exactly."""
    return "G({},{})B({},{})R({},{})WP({},{})L({},{})".format(*(repr(float(v)) for v in values))


@dataclass(frozen=True)
class HdrParams:
    option: str  # the encoder's key=value parameter option
    mastering: tuple[str, Callable[[tuple[Fraction, ...]], str]]
    light_level: str
    always: tuple[str, ...] = ()  # pairs added whenever there is HDR metadata


#: Encoders that write HDR10 static metadata into the bitstream when told through their parameters.
HDR_PARAMS = {
    "libx265": HdrParams("-x265-params", ("master-display", sei_mastering), "max-cll", ("hdr10=1",)),
    "libx264": HdrParams("-x264-params", ("mastering-display", sei_mastering), "cll"),
    "libsvtav1": HdrParams("-svtav1-params", ("mastering-display", plain_mastering), "content-light"),
}
#: The option that takes an encoder's own ``key=value`` parameter list.
ENCODER_PARAMS = {"libx264": "-x264-params", "libx265": "-x265-params", "libsvtav1": "-svtav1-params"}


def hdr_pairs(encoder: str, hdr: Hdr | None) -> tuple[str, list[str]] | None:
    """(parameter option, ``key=value`` pairs) that make ``encoder`` write ``hdr``; None if it cannot."""
    params = HDR_PARAMS.get(encoder)
    if params is None or hdr is None:
        return None
    pairs = [f"{params.mastering[0]}={params.mastering[1](hdr.mastering)}"] if hdr.mastering else []
    pairs += [f"{params.light_level}={hdr.light_level[0]},{hdr.light_level[1]}"] if hdr.light_level else []
    return (params.option, [*pairs, *params.always]) if pairs else None


def _merged(args: list[str], option: str, pairs: list[str]) -> list[str]:
    """``args`` with ``pairs`` joined into its ``option`` value: an encoder takes one parameter list."""
    if option not in args:
        return [*args, option, ":".join(pairs)]
    at = args.index(option) + 1
    return [*args[:at], ":".join([args[at], *pairs]), *args[at + 1 :]]


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
    #: how the notice was rendered, for the receipt: {"mode": "smart", frame counts} or {"mode": "full", "reason": ...}
    rendering: dict[str, Any] | None = None

    def to_json(self) -> str:
        data = {
            "kind": RECEIPT_KIND,
            "banner": json.loads(self.receipt.to_json()),
            "start": round(self.window.start, 3),
            "end": None if self.window.end is None else round(self.window.end, 3),
            "requested": self.window.requested,
            "clamped": self.window.clamped,
            **({"render": self.rendering} if self.rendering else {}),
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def video_duration(probe: Probe, stream: Stream) -> float:
    return stream.duration or probe.duration


def window_for(notice: Notice, probe: Probe, stream: Stream) -> Window:
    requested = DEFAULT_SECONDS if notice.duration is None else float(notice.duration)
    if not math.isfinite(requested) or requested < MIN_SECONDS:
        raise LabelFormatError(
            f"notice duration {requested:g} s is refused: GB 45438 requires the video notice to be visible for at least {MIN_SECONDS:g} s"
        )
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
    """(encoder, quality args) for re-encoding ``stream`` as its own codec with this ffmpeg.

    A codec without an encoder here (VP6, Flash Screen Video, ProRes …) is refused, never replaced
    by another: a silent VP6 -> H.264 swap changes what players and editing tools get."""
    candidates = ENCODERS.get(stream.codec)
    if candidates is None:
        raise UnsupportedError(
            f"the video notice would re-encode {stream.codec or 'an unknown'} video, which labeler cannot write as the same codec; "
            f"it refuses rather than substitute another codec. Label it with --no-explicit (metadata only), or convert it first "
            f"(e.g. `ffmpeg -i IN -c:v libx264 -c:a copy OUT.{'mkv' if container == 'matroska' else container}`)"
        )
    available = ffmpeg.encoders()
    for name, quality in candidates:
        if name in available:
            args = quality(stream.bit_rate)
            hdr = hdr_pairs(name, stream.hdr)
            return name, _merged(args, *hdr) if hdr else args
    wanted = " or ".join(name for name, _ in candidates)
    raise BackendMissingError(f"no {wanted} encoder for {stream.codec} video in {ffmpeg.describe()}; {ffmpeg.INSTALL_HINT}")


def estimated_bitrate(probe: Probe, stream: Stream, size: int) -> int:
    if stream.bit_rate:
        return stream.bit_rate
    others = sum(s.bit_rate for s in probe.streams if s is not stream)
    total = probe.bit_rate or (round(size * 8 / probe.duration) if probe.duration else 0)
    return max(MIN_RATE, total - others)


def pix_fmt_for(stream: Stream, encoder: str) -> str:
    """The source's pixel format; 4:4:4 for odd sizes that x264/x265 cannot subsample."""
    fmt = stream.pix_fmt
    odd = stream.width % 2 or stream.height % 2
    if odd and encoder in ("libx264", "libx265") and fmt.startswith(_CHROMA_SUBSAMPLED):
        return fmt.replace("yuvj", "yuv").replace("420", "444").replace("422", "444").replace("nv12", "yuv444p").replace("nv21", "yuv444p")
    return fmt


def graph_path(path: Path) -> str:
    """``path`` as a filter option value inside a filter graph (two levels of escaping).

    Level 1 (the option value): backslash before ``\\ ' :``. Level 2 (the graph): backslash before
    ``\\ ' [ ] , ;``. The ``file:`` prefix keeps a ``name:`` directory from being read as a protocol.
    """
    level1 = "".join("\\" + c if c in "\\':" else c for c in f"file:{path}")
    return "".join("\\" + c if c in "\\'[],;" else c for c in level1)


#: Where ffmpeg takes global tags from, per muxer: FLV's come back from the source's own onMetaData
#: (``flvtags.merge``), as ffmpeg's would hold fields it parsed out of onCuePoint tags.
METADATA_FROM = {"flv": "-1"}


def left_out(stream: Stream, muxer: str) -> bool:
    """Streams ffmpeg must not copy because they come back another way: a QuickTime chapter track
    (a data stream tagged ``text``), which the MP4 muxer re-makes from ``-map_chapters`` (mapped as
    well, it added a second, bogus ``gpmd`` track); FLV script-data text (``onCuePoint``,
    ``onTextData``), whose original tags ``flvtags.merge`` puts back."""
    if muxer in ("mp4", "mov", "ipod"):
        return stream.kind == "data" and stream.codec_tag == "text"
    return muxer == "flv" and stream.kind == "subtitle"


def video_args(
    src: Path, banner: Path, probe: Probe, job: Plan, container: str, spec: str, params: Sequence[str] = ()
) -> tuple[str, list[str]]:
    """(encoder, arguments) that overlay ``banner`` on output stream ``spec`` (``:N``) and encode it as
    the source's codec, pixel format and colours; ``params`` join the encoder's ``key=value`` list."""
    stream = job.stream
    encoder, quality = encoder_for(replace(stream, bit_rate=estimated_bitrate(probe, stream, src.stat().st_size)), container)
    if params and encoder in ENCODER_PARAMS:
        quality = _merged(quality, ENCODER_PARAMS[encoder], list(params))
    enable = "" if job.window.end is None else f":enable='lt(t,{job.window.end:.3f})'"
    overlay_format = OVERLAY_FORMATS.get(stream.pix_fmt, "auto")
    # png_pipe reads the file as it is: the image2 demuxer would expand a % in the path as a pattern
    graph = (f"movie=filename={graph_path(banner)}:format_name=png_pipe[banner];"
             f"[in][banner]overlay=x={job.at[0]}:y={job.at[1]}:format={overlay_format}{enable}[out]")  # fmt: skip
    video = [f"-filter{spec}", graph, f"-c{spec}", encoder, *[a + spec if a.startswith("-") else a for a in quality]]
    fmt = pix_fmt_for(stream, encoder)
    video += [f"-pix_fmt{spec}", fmt] if fmt else []
    for key, option in COLOUR_OPTIONS.items():
        if key in stream.colour:
            video += [f"{option}{spec}", COLOUR_VALUES.get(stream.colour[key], stream.colour[key])]
    return encoder, video


def command(src: Path, banner: Path, dst: Path, probe: Probe, job: Plan, muxer: str, container: str, extra: list[str]) -> list[str]:
    """The ffmpeg argument list (no shell) that overlays ``banner`` and copies every other stream."""
    stream = job.stream
    kept = [s for s in probe.streams if not left_out(s, muxer)]
    maps = [arg for s in kept for arg in ("-map", f"0:{s.index}")]  # every stream, in order
    spec = f":{[s.index for s in kept].index(stream.index)}"
    encoder, video = video_args(src, banner, probe, job, container, spec)
    timing = ["-fps_mode", "passthrough"]
    if muxer in ("mp4", "mov", "ipod") and stream.time_base.startswith("1/"):
        timing += ["-video_track_timescale", stream.time_base[2:]]
    if muxer in ("mp4", "mov", "ipod") and stream.codec_tag in SAMPLE_ENTRIES.get(encoder, ()):
        video += [f"-tag{spec}", stream.codec_tag]  # e.g. hvc1 (what Apple players need) stays hvc1, not hev1
    return [
        "-y", "-i", str(src), *maps,
        "-c", "copy", *video, *timing, "-map_metadata", METADATA_FROM.get(muxer, "0"), "-map_chapters", "0", *extra, "-f", muxer, str(dst),
    ]  # fmt: skip


def render(
    src: Path,
    dst: Path,
    probe: Probe,
    job: Plan,
    muxer: str,
    container: str,
    extra: Sequence[str] = (),
    receipt: Callable[[Plan], Sequence[str]] = lambda done: (),
) -> Plan:
    """Write ``dst``: ``src`` with the planned notice; raises ``InputError`` with ffmpeg's reason.

    H.264/HEVC in MP4/MOV/Matroska is smart-rendered (``smartrender``: only the GOPs under the notice
    re-encoded) where that is safe; otherwise, and for every other stream, the whole video stream
    is re-encoded. Returns the plan with ``rendering`` saying which and why; ``receipt(plan)`` gives
    the ffmpeg options that store it (Matroska tags), the caller stores it otherwise."""
    from . import smartrender

    job = replace(job, stream=with_frame_hdr(src, job.stream))  # in-band HDR10 metadata, for the encoder
    with tempfile.TemporaryDirectory(prefix="labeler-banner-") as scratch:
        banner = Path(scratch) / "banner.png"
        job.patch.save(banner)
        try:
            return smartrender.render(src, dst, banner, probe, job, muxer, container, lambda done: [*extra, *receipt(done)])
        except smartrender.Unsafe as why:
            job = replace(job, rendering={"mode": "full", "reason": str(why)})
        try:
            ffmpeg.run(command(src, banner, dst, probe, job, muxer, container, [*extra, *receipt(job)]), path=src)
        except InputError:
            dst.unlink(missing_ok=True)
            raise
    return job
