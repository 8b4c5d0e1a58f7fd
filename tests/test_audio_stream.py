"""Streaming: a one-hour WAV gets its notice with peak memory far below the file's size; the
ffmpeg helper resolves binaries and summarises failures."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from labeler import ffmpeg
from labeler.errors import BackendMissingError, InputError


def make_long_wav(path: Path, seconds: int, rate: int = 44100, channels: int = 2) -> int:
    t = np.arange(rate) / rate
    second = np.repeat((np.sin(2 * np.pi * 220 * t) * 0.3 * 32767).astype("<i2")[:, None], channels, axis=1).tobytes()
    size = len(second) * seconds
    with open(path, "wb") as handle:
        handle.write(b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE")
        handle.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16))
        handle.write(b"data" + struct.pack("<I", size))
        for _ in range(seconds):
            handle.write(second)
    return path.stat().st_size


@pytest.mark.slow
def test_one_hour_wav_is_processed_streaming(tmp_path: Path) -> None:
    src, out = tmp_path / "hour.wav", tmp_path / "out" / "hour.wav"
    size = make_long_wav(src, 3600)
    # tracemalloc counts heap memory (Python objects and numpy buffers), not page-cache pages that
    # ru_maxrss may charge to a process that merely reads a file, so the bound is stable.
    script = textwrap.dedent(
        f"""
        import tracemalloc
        tracemalloc.start()
        from labeler import LabelOptions, label_file
        result = label_file({str(src)!r}, {str(out)!r}, LabelOptions(producer="001191110102MACQD9K64010000"))
        print(result.verdict.status if result.verdict else result.error)
        print(tracemalloc.get_traced_memory()[1])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent
    )
    status, peak = done.stdout.split()
    assert status == "compliant"
    assert int(peak) < size / 5, f"peak heap {int(peak) / 1e6:.0f} MB for a {size / 1e6:.0f} MB file"
    assert out.stat().st_size > size


def test_ffmpeg_env_override_and_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABELER_FFPROBE", "/nonexistent/ffprobe")
    ffmpeg.resolve.cache_clear()
    try:
        assert ffmpeg.resolve("ffprobe").path is None and "LABELER_FFPROBE" in ffmpeg.resolve("ffprobe").source
        with pytest.raises(BackendMissingError, match="install"):
            ffmpeg.executable("ffprobe")
        assert "ffprobe: missing" in ffmpeg.describe()
    finally:
        monkeypatch.undo()
        ffmpeg.resolve.cache_clear()


def test_ffmpeg_falls_back_to_imageio(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("imageio_ffmpeg")
    monkeypatch.setenv("PATH", "/nonexistent")
    ffmpeg.resolve.cache_clear()
    try:
        binary = ffmpeg.resolve("ffmpeg")
        assert binary.source == "imageio-ffmpeg" and binary.path and os.path.exists(binary.path)
        assert ffmpeg.resolve("ffprobe").path is None  # imageio-ffmpeg ships no ffprobe
    finally:
        monkeypatch.undo()
        ffmpeg.resolve.cache_clear()


def test_ffmpeg_errors_are_summarised(tmp_path: Path) -> None:
    if not ffmpeg.available():
        pytest.skip("no ffmpeg")
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00" * 1000)
    with pytest.raises(InputError) as caught:
        ffmpeg.run(["-v", "error", "-i", str(junk), "-f", "null", "-"], path=junk)
    message = str(caught.value)
    assert "ffmpeg failed" in message and len(message) < 600 and "configuration:" not in message


def test_summarise_picks_the_reason() -> None:
    log = "ffmpeg version 7\n  built with gcc\n  configuration: --enable-x\nInput #0, mp3\n[mp3 @ 0x1] Header missing\nx.mp3: Invalid data found when processing input\n"
    assert ffmpeg.summarise(log) == "x.mp3: Invalid data found when processing input"


def test_encoder_fallback_finds_an_ffmpeg_that_has_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if not ffmpeg.available():
        pytest.skip("no ffmpeg")
    fake = tmp_path / "ffmpeg-without-encoders"
    fake.write_text("#!/bin/sh\necho ' A....D pcm_s16le  PCM'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("LABELER_FFMPEG", str(fake))
    ffmpeg.resolve.cache_clear()
    try:
        assert ffmpeg.resolve("ffmpeg").path == str(fake)
        assert "libmp3lame" not in ffmpeg.encoders()
        assert ffmpeg.for_encoder("libmp3lame") != str(fake)  # PATH or imageio-ffmpeg has LAME
        with pytest.raises(BackendMissingError, match="no ffmpeg with the"):
            ffmpeg.for_encoder("no-such-encoder")
    finally:
        monkeypatch.undo()
        ffmpeg.resolve.cache_clear()
