"""Streaming decode/encode of compressed audio through ffmpeg pipes (float32 PCM in between).

The decoder writes raw ``f32le`` to a pipe, Python reads it in blocks, and the encoder reads the
transformed blocks from its stdin; ffmpeg's logs go to temporary files (no pipe can fill up and
deadlock) and are summarised only when a process fails.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Generator, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ... import ffmpeg
from ...detect.rhythm import RATE
from ...errors import InputError, OutputError
from ...lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

BLOCK_FRAMES = 1 << 16


def decode_blocks(path: Path, sample_rate: int, channels: int, *, stream: str = "0:a:0") -> Generator[np.ndarray, None, None]:
    """Float64 blocks ``(frames, channels)`` of the first audio stream, resampled to ``sample_rate``."""
    args = [
        "-v",
        "error",
        "-i",
        str(path),
        "-map",
        stream,
        "-f",
        "f32le",
        "-acodec",
        "pcm_f32le",
        "-ar",
        str(sample_rate),
        "-ac",
        str(channels),
        "-",
    ]
    with tempfile.TemporaryFile() as log:
        process = ffmpeg.popen(args, stdout=subprocess.PIPE, stderr=log)
        assert process.stdout is not None
        frame_bytes = 4 * channels
        pending = b""
        try:
            while True:
                chunk = process.stdout.read(BLOCK_FRAMES * frame_bytes)
                if not chunk:
                    break
                chunk = pending + chunk
                usable = len(chunk) - len(chunk) % frame_bytes
                pending = chunk[usable:]
                if usable:
                    yield np.frombuffer(chunk[:usable], dtype="<f4").reshape(-1, channels).astype(np.float64)
        finally:
            process.stdout.close()
            code = process.wait()
        if code != 0:
            log.seek(0)
            raise InputError(
                f"cannot decode the audio ({ffmpeg.summarise(log.read().decode('utf-8', 'replace'))}); the file may be truncated or corrupt",
                path,
            )


def encode_blocks(
    blocks: Iterable[np.ndarray], dst: Path, sample_rate: int, channels: int, codec_args: Sequence[str], encoder: str
) -> None:
    """Encode float blocks to ``dst`` with ``codec_args`` (codec, bitrate, muxer ``-f``...), using
    the first ffmpeg that has ``encoder`` (``BackendMissingError`` before any work if none has)."""
    binary = ffmpeg.for_encoder(encoder)
    args = ["-v", "error", "-f", "f32le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "-", *codec_args, "-y", str(dst)]
    with tempfile.TemporaryFile() as log:
        process = ffmpeg.popen(args, stdin=subprocess.PIPE, stderr=log, binary=binary)
        assert process.stdin is not None
        try:
            for block in blocks:
                process.stdin.write(np.clip(block, -1.0, 1.0).astype("<f4").tobytes())
        except BrokenPipeError:
            pass  # the encoder died; its log says why
        except BaseException:
            process.kill()
            raise
        finally:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
            code = process.wait()
        if code != 0:
            log.seek(0)
            raise OutputError(f"the encoder failed ({ffmpeg.summarise(log.read().decode('utf-8', 'replace'))})", dst)


def decoded_channels(path: Path, *, stream: str = "0:a:0") -> int:
    """How many channels ffmpeg's decoder gives for ``stream``: the count the notice must keep.

    Container headers can disagree with the stream (an MP4 AudioSampleEntry says 2 for a mono AAC
    and mutagen falls back to it), so the first 50 ms are decoded to WAV and its ``fmt `` read."""
    raw = ffmpeg.run(["-v", "error", "-i", str(path), "-map", stream, "-t", "0.05", "-map_metadata", "-1", "-f", "wav", "-"], path=path)
    if raw[:4] != b"RIFF" or raw[12:16] != b"fmt " or len(raw) < 24 or not raw[22] | raw[23]:
        raise InputError("ffmpeg decodes no audio from the file's first audio stream; it may be truncated or corrupt", path)
    return int.from_bytes(raw[22:24], "little")


def read_mono(path: Path, start: float, length: float) -> np.ndarray:
    """``length`` seconds from ``start`` as mono 16 kHz float64 (for the detectors)."""
    # no -ss at 0: ffmpeg 5 then blanks the first ~0.35 s of some MP3s (encoder-delay trimming)
    seek = ["-ss", f"{start:.3f}"] if start > 0 else []
    args = ["-v", "error", *seek, "-t", f"{length:.3f}", "-i", str(path), "-map", "0:a:0", "-f", "f64le", "-ac", "1", "-ar", str(RATE), "-"]
    raw = ffmpeg.run(args, path=path)
    samples: np.ndarray = np.frombuffer(raw[: len(raw) - len(raw) % 8], dtype="<f8").copy()
    return samples
