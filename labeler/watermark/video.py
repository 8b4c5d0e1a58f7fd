"""The image watermark on every frame of a video, as one ffmpeg pass.

The pattern is the still-image one (``canvas.py``), computed once per video from the average of a
few frames (so its brightness shift follows the video's white and black areas) and added to every
frame's luma plane by ffmpeg's ``blend=grainmerge`` against a looped still (luma 128 + pattern,
chroma 128): the chroma planes and every timestamp stay as they were, audio and subtitles are
copied. The same pattern on every frame also survives motion-compensated coding best: a static
texture costs H.264 almost nothing to keep.

The video is re-encoded with its own codec (H.264 with libx264 CRF 18, HEVC with libx265 CRF 20,
VP9 with libvpx-vp9 CRF 24) in its own container and 8-bit 4:2:0 pixel format; anything else
(10-bit or HDR, 4:2:2/4:4:4, other codecs, AVI/FLV) is refused with the reason, never changed.

Detection averages up to ``FRAMES`` frames (2 per second from the start) reduced to at most
512 pixels wide: the pattern adds up, moving content averages out.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .. import ffmpeg
from ..adapters.video.probe import Probe, Stream, probe
from ..errors import InputError, UnsupportedError
from ..lazy import lazy_module
from .canvas import CANVAS, MIN_SIDE, SYNC_Z, correlate, pattern, to_canvas_array, upsample

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = lazy_module("numpy")

#: Frames averaged by the detector (and by the embedder to shape the pattern).
FRAMES = 16
_SAMPLE_RATE = 2  # frames per second sampled
_DETECT_WIDTH = 512
#: Source codec -> (encoder, its quality arguments): the same codec, at a quality that keeps the
#: picture (the watermark is 39 dB under it; the platform's re-encode is the lossy step).
ENCODERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "h264": ("libx264", ("-crf", "18", "-preset", "medium")),
    "hevc": ("libx265", ("-crf", "20", "-preset", "medium")),
    "vp9": ("libvpx-vp9", ("-crf", "24", "-b:v", "0", "-row-mt", "1")),
}
#: Containers (ffprobe format names) written back as they came.
CONTAINERS = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"})
PIX_FMTS = frozenset({"yuv420p", "yuvj420p"})


def _video(info: Probe, path: Path) -> Stream:
    stream = info.video
    if stream is None:
        raise UnsupportedError("the file has no video stream to watermark", path)
    return stream


def _upright(stream: Stream) -> tuple[int, int]:
    """(width, height) of the frames ffmpeg decodes (it applies the rotation)."""
    return (stream.height, stream.width) if stream.rotation in (90, 270) else (stream.width, stream.height)


def _frames(path: Path, width: int, height: int, scale: str) -> npt.NDArray[np.uint8]:
    """Up to FRAMES luma planes from the start of ``path`` (2 per second), ``scale`` applied."""
    raw = ffmpeg.run(
        ["-v", "error", "-i", str(path), "-an", "-sn", "-dn", "-vf", f"fps={_SAMPLE_RATE},{scale}", "-frames:v", str(FRAMES)]
        + ["-f", "rawvideo", "-pix_fmt", "gray", "-"],
        path=path,
    )
    size = width * height
    count = len(raw) // size
    if count == 0:
        raise InputError("no video frame could be decoded for the watermark", path)
    return np.frombuffer(raw[: count * size], dtype=np.uint8).reshape(count, height, width)


def _check(path: Path, info: Probe, stream: Stream) -> tuple[str, tuple[str, ...]]:
    if info.format_name not in CONTAINERS:
        raise UnsupportedError(f"{info.format_name} videos are not watermarked; MP4/MOV and MKV/WebM are", path)
    if stream.codec not in ENCODERS:
        raise UnsupportedError(
            f"{stream.codec} video is not watermarked (it would be re-encoded to another codec); H.264, HEVC and VP9 are", path
        )
    if stream.pix_fmt not in PIX_FMTS or stream.hdr is not None:
        raise UnsupportedError(
            f"{stream.pix_fmt or 'this'} video is not watermarked: only 8-bit 4:2:0 SDR video is re-encoded without loss of depth", path
        )
    width, height = _upright(stream)
    if min(width, height) < MIN_SIDE:
        raise UnsupportedError(f"the video is {width}x{height}; the watermark needs at least {MIN_SIDE} pixels on each side", path)
    return ENCODERS[stream.codec]


def embed_file(source: Path, target: Path, code: npt.NDArray[np.uint8]) -> None:
    """Write ``source`` to ``target`` (same container and codec) with ``code`` on every frame."""
    info = probe(source)
    stream = _video(info, source)
    encoder, quality = _check(source, info, stream)
    width, height = _upright(stream)
    frames = _frames(source, width, height, "null")
    mean = to_canvas_array(frames.mean(axis=0, dtype=np.float32))
    change = upsample(pattern(mean, mean, mean, code), (width, height))
    luma = np.clip(128 + change.astype(np.int32), 0, 255).astype(np.uint8)
    chroma = np.full(((height + 1) // 2) * ((width + 1) // 2) * 2, 128, dtype=np.uint8)
    with tempfile.TemporaryDirectory(prefix="labeler-wm-") as folder:
        still = Path(folder) / "pattern.yuv"
        still.write_bytes(luma.tobytes() + chroma.tobytes())
        muxer = ["-f", "mp4" if "mp4" in info.format_name else ("webm" if target.suffix.lower() == ".webm" else "matroska")]
        args = [
            "-v", "error", "-y", "-i", str(source),
            "-f", "rawvideo", "-pix_fmt", stream.pix_fmt, "-s", f"{width}x{height}", "-stream_loop", "-1", "-i", str(still),
            # the still is declared in the video's own pixel format: no range conversion moves its 128
            "-filter_complex", f"[0:v:0]format={stream.pix_fmt}[main];[main][1:v]blend=all_mode=grainmerge:shortest=1[out]",
            "-map", "[out]", "-map", "0:a?", "-map", "0:s?", "-c:a", "copy", "-c:s", "copy",
            "-map_metadata", "0", "-c:v", encoder, *quality, "-pix_fmt", stream.pix_fmt,
            *(["-movflags", "+use_metadata_tags"] if "mp4" in info.format_name else []),
            *muxer, str(target),
        ]  # fmt: skip
        log = Path(folder) / "ffmpeg.log"
        with log.open("wb") as errors:
            process = ffmpeg.popen(args, stderr=errors, binary=ffmpeg.for_encoder(encoder))
            failed = process.wait() != 0
        if failed:
            reason = ffmpeg.summarise(log.read_text("utf-8", errors="replace"))
            raise InputError(f"ffmpeg could not re-encode the video with the watermark: {reason}", source)


def extract_file(path: Path) -> npt.NDArray[np.float64] | None:
    """Soft bits from up to FRAMES frames of ``path``, or None when no synchronisation is found."""
    stream = _video(probe(path), path)
    width, height = _upright(stream)
    small_w = min(width, _DETECT_WIDTH)
    small_h = max(CANVAS // 4, round(height * small_w / width / 2) * 2)
    frames = _frames(path, small_w, small_h, f"scale={small_w}:{small_h}:flags=area")
    canvases = [to_canvas_array(frame.astype(np.float32)) for frame in frames]
    z, soft = correlate(*canvases)
    return soft if z >= SYNC_Z else None
