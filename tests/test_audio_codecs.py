"""The audible notice keeps the codec family: inputs made by ffmpeg, outputs checked with ffprobe.

Lossless stays lossless at its bit depth (ALAC, FLAC, PCM in MOV), lossy keeps its codec at no
lower bitrate (AAC, MP3, Opus, AC-3), Opus bitrates beyond libopus' range are clamped, a codec
labeler cannot keep is refused, and M4B chapters survive (moved by the prepended cue).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from labeler import LabelOptions, Notice, label_file
from labeler.adapters.audio import codecs
from labeler.adapters.audio.explicit import CuePlan
from labeler.errors import UnsupportedError

from .conftest import PRODUCER, sha256

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
EXIFTOOL = shutil.which("exiftool")
pytestmark = pytest.mark.skipif(FFMPEG is None or FFPROBE is None, reason="ffmpeg and ffprobe make and check these files")
#: Two seconds of stereo music-like sound (two tones and a little noise: not trivially compressible).
SOURCE = ["-f", "lavfi", "-i", "aevalsrc=0.3*sin(2*PI*330*t)+0.2*sin(2*PI*523*t)+0.05*(random(0)-0.5):s=44100:d=2:c=stereo"]


def make(path: Path, *args: str) -> Path:
    subprocess.run([FFMPEG or "ffmpeg", "-v", "error", "-y", *SOURCE, *args, str(path)], check=True)
    return path


def stream(path: Path) -> dict[str, str]:
    fields = "stream=codec_name,sample_fmt,bits_per_raw_sample,bit_rate,sample_rate,channels"
    out = subprocess.run(
        [FFPROBE or "ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", fields, "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: str(v) for k, v in json.loads(out.stdout)["streams"][0].items()}


def noticed(src: Path, out: Path) -> Path:
    result = label_file(src, out, LabelOptions(producer=PRODUCER))
    assert result.ok, result.error
    assert result.verdict.status == "compliant", result.verdict
    return out


@pytest.mark.parametrize(
    ("name", "args", "kept"),
    [
        ("alac16.m4a", ["-c:a", "alac", "-sample_fmt", "s16p"], ("alac", "s16p", "16")),
        ("alac24.m4a", ["-c:a", "alac", "-sample_fmt", "s32p"], ("alac", "s32p", "24")),
        ("flac16.mp4", ["-c:a", "flac", "-sample_fmt", "s16", "-strict", "experimental"], ("flac", "s16", "16")),
        ("flac24.mp4", ["-c:a", "flac", "-sample_fmt", "s32", "-strict", "experimental"], ("flac", "s32", "24")),
        ("pcm16.mov", ["-c:a", "pcm_s16le"], ("pcm_s16le", "s16", None)),
        ("pcm24.mov", ["-c:a", "pcm_s24be"], ("pcm_s24be", "s32", "24")),
        ("aac.m4a", ["-c:a", "aac", "-b:a", "192k"], ("aac", "fltp", None)),
        ("mp3.mp4", ["-c:a", "libmp3lame", "-b:a", "160k"], ("mp3", "fltp", None)),
        ("opus.mp4", ["-c:a", "libopus", "-b:a", "128k"], ("opus", "fltp", None)),
        ("ac3.mp4", ["-c:a", "ac3", "-b:a", "192k"], ("ac3", "fltp", None)),
    ],
)
def test_notice_keeps_the_codec_and_its_depth(name: str, args: list[str], kept: tuple[str, str, str | None], tmp_path: Path) -> None:
    src = make(tmp_path / name, *args)
    out = noticed(src, tmp_path / "out" / name)
    before, after = stream(src), stream(out)
    assert (after["codec_name"], after["sample_fmt"]) == kept[:2] == (before["codec_name"], before["sample_fmt"])
    assert after.get("bits_per_raw_sample", "N/A") == before.get("bits_per_raw_sample", "N/A") == (kept[2] or "N/A")
    assert (after["sample_rate"], after["channels"]) == (before["sample_rate"], before["channels"])


@pytest.mark.parametrize(("name", "layout"), [("mono.m4b", "mono"), ("surround.m4a", "5.1")])
def test_notice_keeps_the_channel_layout(name: str, layout: str, tmp_path: Path) -> None:
    """An MP4 sample entry says 2 channels for any AAC; the notice must follow the stream (issue 14)."""
    src = make(tmp_path / name, "-ac", str({"mono": 1, "5.1": 6}[layout]), "-c:a", "aac", "-b:a", "96k")
    out = noticed(src, tmp_path / "out" / name)
    fields = "stream=channels,channel_layout"
    probe = [FFPROBE or "ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", fields, "-of", "json"]
    before, after = (
        json.loads(subprocess.run([*probe, str(p)], capture_output=True, text=True, check=True).stdout)["streams"][0] for p in (src, out)
    )
    assert before["channel_layout"] == layout
    assert after == before


def test_lossy_bitrate_setting_is_never_below_the_source() -> None:
    for codec, bitrate, wanted in (("aac", 191_500, "192k"), ("mp3", 150_000, "160k"), ("ac3", 192_000, "192k"), ("opus", 96_400, "97k")):
        source = codecs.Source(codec, bitrate, 0, 2)
        assert codecs.encoding(source).args(source)[-2:] == ["-b:a", wanted]


@pytest.mark.parametrize(("channels", "wanted"), [(1, "256k"), (2, "510k")])
def test_opus_bitrate_is_clamped_to_libopus_range(channels: int, wanted: str) -> None:
    source = codecs.Source("opus", 902_000, 0, channels)
    assert codecs.encoding(source).args(source) == ["-c:a", "libopus", "-b:a", wanted]


def test_high_bitrate_opus_is_labelled(tmp_path: Path) -> None:
    """An Ogg Opus whose measured rate (big tags over a short clip) is far above 510 kb/s."""
    src = make(tmp_path / "big.opus", "-c:a", "libopus", "-b:a", "510k", "-metadata", "comment=" + "x" * 90_000)
    measured = src.stat().st_size * 8 / 2
    assert measured > 510_000
    out = noticed(src, tmp_path / "out" / "big.opus")
    assert stream(out)["codec_name"] == "opus"


def test_alac_prepend_keeps_every_content_sample(tmp_path: Path) -> None:
    src = make(tmp_path / "a.m4a", "-c:a", "alac", "-sample_fmt", "s16p")
    out = noticed(src, tmp_path / "out" / "a.m4a")

    def pcm(path: Path) -> np.ndarray:
        raw = subprocess.run(
            [FFMPEG or "ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-"], capture_output=True, check=True
        ).stdout
        return np.frombuffer(raw, dtype="<i2")

    before, after = pcm(src), pcm(out)
    assert len(after) > len(before)
    assert np.array_equal(after[len(after) - len(before) :], before)


def test_codec_that_cannot_be_kept_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedError, match="HE-AAC"):
        codecs.mp4_codec("mp4a.40.5", tmp_path / "he.m4a")
    with pytest.raises(UnsupportedError, match="refuses rather than substitute"):
        codecs.mp4_codec("samr", tmp_path / "amr.m4a")


def test_wavpack_is_refused_untouched(tmp_path: Path) -> None:
    src = make(tmp_path / "a.wv", "-c:a", "wavpack")
    digest = sha256(src)
    result = label_file(src, tmp_path / "out" / "a.wv", LabelOptions(producer=PRODUCER))
    assert not result.ok
    assert "not a format labeler supports" in str(result.error)
    assert not (tmp_path / "out" / "a.wv").exists()
    assert sha256(src) == digest


CHAPTERS = ";FFMETADATA1\ntitle=Book\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Two\n"


def chapters(path: Path) -> list[tuple[float, str]]:
    out = subprocess.run(
        [FFPROBE or "ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [(round(float(c["start_time"]), 2), c["tags"]["title"]) for c in json.loads(out)["chapters"]]


def test_m4b_keeps_its_chapter_track_moved_by_the_cue(tmp_path: Path) -> None:
    meta = tmp_path / "chapters.txt"
    meta.write_text(CHAPTERS)
    src = make(
        tmp_path / "book.m4b",
        "-i",
        str(meta),
        "-map",
        "0",
        "-map_metadata",
        "1",
        "-map_chapters",
        "1",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        "-f",
        "ipod",
    )
    out = noticed(src, tmp_path / "out" / "book.m4b")
    lead = CuePlan.of(Notice()).lead_in(44100)
    assert lead > 1.0
    types = subprocess.run(
        [FFPROBE or "ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_tag_string", "-of", "csv=p=0", str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "data,text" in types  # the QuickTime chapter (text) track
    assert [title for _, title in chapters(out)] == ["One", "Two"]
    assert chapters(out)[1][0] == pytest.approx(1.0 + lead, abs=0.05)
    if EXIFTOOL:
        tags = json.loads(subprocess.run([EXIFTOOL, "-j", "-G1", "-a", str(out)], capture_output=True, text=True, check=True).stdout)[0]
        assert tags.get("Track1:ChapterListTrackID") == 2
        assert tags.get("ItemList:Title", tags.get("UserData:Title")) == "Book"
        nero = tags["UserData:ChapterList"]  # Nero chpl, moved the same way
        assert nero == [f"[0:00:{lead:06.3f}] One", f"[0:00:{1.0 + lead:06.3f}] Two"]


def test_mp3_cbr_rate_is_never_below_the_source() -> None:
    """150 kb/s (a measured average) is no LAME CBR step: 160 k, not the nearer 144 k."""
    from labeler.adapters.audio.mp3 import cbr_rate

    assert [cbr_rate(k) for k in (48, 150, 129, 320, 400)] == [48, 160, 144, 320, 320]
