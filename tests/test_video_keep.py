"""The video notice keeps what labeler does not own: XMP, tags, chapter tracks, the codec (or
refuses), RGB VP9, and a bitrate within 10 % of the source.

Inputs are made by ffmpeg and ExifTool; outputs are compared with ``exiftool -j -G1 -a`` and
ffprobe (streams, chapters, packet sizes).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file
from labeler.adapters.video import explicit
from labeler.adapters.video.probe import Stream
from labeler.errors import UnsupportedError

from .conftest import FIXTURES, PRODUCER, sha256

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
EXIFTOOL = shutil.which("exiftool")
pytestmark = pytest.mark.skipif(FFMPEG is None or FFPROBE is None, reason="ffmpeg and ffprobe make and check these files")
SAMPLES = FIXTURES / "samples" / "video"
NOISY = "testsrc2=size=320x240:rate=25:duration={},noise=alls=10:allf=t"
#: Keys labeler itself adds (the label and the notice receipt).
OWN = ("AIGC", "LabelerNotice", "ComLabelerNotice")


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG or "ffmpeg", "-v", "error", "-y", *args], check=True)


def exif(path: Path) -> dict[str, object]:
    out = subprocess.run([EXIFTOOL or "exiftool", "-j", "-G1", "-a", str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)[0]


def probe(path: Path) -> dict[str, list[dict[str, object]]]:
    fields = "stream=index,codec_type,codec_name,codec_tag_string,pix_fmt,profile:chapter=start_time,end_time:chapter_tags=title"
    out = subprocess.run(
        [FFPROBE or "ffprobe", "-v", "error", "-show_entries", fields, "-of", "json", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


def video_bitrate(path: Path) -> float:
    """Bits per second of the first video stream, from its packet sizes (independent of headers)."""
    out = subprocess.run(
        [
            FFPROBE or "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=size:format=duration",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    return sum(int(p["size"]) for p in data["packets"]) * 8 / float(data["format"]["duration"])


def noticed(src: Path, out: Path) -> Path:
    result = label_file(src, out, LabelOptions(producer=PRODUCER))
    assert result.ok, result.error
    assert result.verdict.status == "compliant", result.verdict
    return out


def metadata(tags: dict[str, object], groups: tuple[str, ...]) -> dict[str, object]:
    return {k: v for k, v in tags.items() if k.split(":")[0].startswith(groups) and not any(own in k for own in OWN)}


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool writes the XMP under test")
@pytest.mark.parametrize("name", ["mp4-h264-aac-faststart.mp4", "mov-h264-aac.mov"])
def test_xmp_and_user_data_survive_the_notice(name: str, tmp_path: Path) -> None:
    """ExifTool puts XMP in a top-level uuid box (MP4) or udta/XMP_ (MOV); both stay, tag for tag."""
    src = tmp_path / name
    shutil.copyfile(SAMPLES / name, src)
    subprocess.run(
        [
            EXIFTOOL or "exiftool",
            "-q",
            "-overwrite_original",
            "-XMP-dc:Title=Harbour",
            "-XMP-dc:Creator=Li Wei",
            "-XMP-xmp:Rating=4",
            "-XMP-dc:Subject=boats",
            "-UserData:Artist=Li Wei",
            str(src),
        ],
        check=True,
    )
    before = exif(src)
    assert before["XMP-dc:Title"] == "Harbour"
    after = exif(noticed(src, tmp_path / "out" / name))
    groups = ("XMP", "UserData", "ItemList", "Keys")
    assert metadata(after, groups) == metadata(before, groups)


@pytest.mark.slow
def test_mp4_chapter_track_is_kept_once(tmp_path: Path) -> None:
    chapters = tmp_path / "chapters.txt"
    chapters.write_text(
        ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=Opening\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Harbour\n"
    )
    src = tmp_path / "chapters.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        NOISY.format(3),
        "-f",
        "lavfi",
        "-i",
        "sine=d=3",
        "-i",
        str(chapters),
        "-map",
        "0",
        "-map",
        "1",
        "-map_chapters",
        "2",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        str(src),
    )
    before = probe(src)
    assert [s["codec_tag_string"] for s in before["streams"]] == ["avc1", "mp4a", "text"]
    after = probe(noticed(src, tmp_path / "out" / "chapters.mp4"))
    assert [(s["codec_type"], s["codec_tag_string"]) for s in after["streams"]] == [
        (s["codec_type"], s["codec_tag_string"]) for s in before["streams"]
    ]
    assert after["chapters"] == before["chapters"]
    if EXIFTOOL:
        assert exif(tmp_path / "out" / "chapters.mp4")["UserData:ChapterList"] == exif(src)["UserData:ChapterList"]


@pytest.mark.slow
def test_rgb_vp9_stays_rgb(tmp_path: Path) -> None:
    """VP9 profile 1 in GBR (ffprobe: colour matrix "gbr", which -colorspace spells "rgb")."""
    src = tmp_path / "rgb.webm"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-c:v", "libvpx-vp9", "-pix_fmt", "gbrp", "-b:v", "400k", str(src)
    )
    before = probe(src)["streams"][0]
    assert before["pix_fmt"] == "gbrp"
    after = probe(noticed(src, tmp_path / "out" / "rgb.webm"))["streams"][0]
    assert (after["codec_name"], after["pix_fmt"], after["profile"]) == ("vp9", "gbrp", before["profile"])


def test_codec_without_an_encoder_is_refused_not_substituted(tmp_path: Path) -> None:
    """Flash Screen Video has an ffmpeg encoder but no entry in the codec table, like VP6 (which
    ffmpeg cannot encode at all): before, both became H.264 silently."""
    for codec in ("vp6f", "flashsv", "prores"):
        with pytest.raises(UnsupportedError, match="refuses rather than substitute"):
            explicit.encoder_for(Stream(0, "video", codec, 320, 240, "yuv420p", bit_rate=500_000), "flv")
    src = tmp_path / "screen.flv"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=2", "-c:v", "flashsv", str(src))
    digest = sha256(src)
    result = label_file(src, tmp_path / "out" / "screen.flv", LabelOptions(producer=PRODUCER))
    assert not result.ok and "flashsv" in str(result.error) and "--no-explicit" in str(result.error)
    assert not (tmp_path / "out" / "screen.flv").exists()
    assert sha256(src) == digest
    kept = label_file(src, tmp_path / "meta" / "screen.flv", LabelOptions(producer=PRODUCER, explicit=False))
    assert kept.ok, kept.error


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("h264.mp4", ["-f", "lavfi", "-i", NOISY.format(4), "-c:v", "libx264", "-crf", "23", "-pix_fmt", "yuv420p"]),
        (
            "h264-40k.mp4",
            ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-c:v", "libx264", "-b:v", "40k", "-pix_fmt", "yuv420p"],
        ),
        (
            "hevc.mp4",
            [
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=320x240:rate=25:duration=4",
                "-c:v",
                "libx265",
                "-crf",
                "28",
                "-pix_fmt",
                "yuv420p",
                "-x265-params",
                "log-level=error",
            ],
        ),
        ("mpeg4.avi", ["-f", "lavfi", "-i", NOISY.format(4), "-c:v", "mpeg4", "-b:v", "400k"]),
        ("vp9.webm", ["-f", "lavfi", "-i", NOISY.format(4), "-c:v", "libvpx-vp9", "-b:v", "300k", "-pix_fmt", "yuv420p"]),
    ],
)
def test_bitrate_stays_within_ten_percent(name: str, args: list[str], tmp_path: Path) -> None:
    src = tmp_path / name
    ffmpeg(*args, str(src))
    ratio = video_bitrate(noticed(src, tmp_path / "out" / name)) / video_bitrate(src)
    assert 0.6 < ratio <= 1.10, f"{name}: video bitrate {ratio:.2f}x the source"


REAL_WORLD = [
    "audio/m4a-alac-16bit.m4a",
    "audio/m4b-aac-chapters.m4b",
    "audio/mp3-id3v23-tyer-tdat.mp3",
    "video/webm-vp9-gbrp.webm",
    "video/mp4-chapters.mp4",
    "video/mp4-xmp-dc-title.mp4",
]


def exif_lines(path: Path) -> Counter[str]:
    """Every tag ExifTool reads, duplicates included, as ``-Group1:Tag=value`` lines; ``-ee`` because
    Matroska tags written after the clusters are otherwise not read (ExifTool stops at the first)."""
    out = subprocess.run(
        [EXIFTOOL or "exiftool", "-ee", "-args", "-G1", "-a", "-x", "System:all", "-x", "File:all", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Counter(out.splitlines())


#: Lines the label itself adds: its value, and the handler of the mdta meta box that holds it.
LABEL_LINES = ("AIGC", "HandlerType=Metadata Tags")


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is the reference reader")
@pytest.mark.parametrize("case", REAL_WORLD)
def test_implicit_label_keeps_every_exiftool_tag(case: str, tmp_path: Path) -> None:
    """The real-world kinds of issue 14 (fixtures/cases): the label adds its tag, nothing else changes."""
    src = FIXTURES / "cases" / case
    out = tmp_path / src.name
    result = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    before, after = exif_lines(src), exif_lines(out)
    assert not before - after, "tags lost or changed"
    added = after - before
    assert added and all(any(mark.upper() in line.upper() for mark in LABEL_LINES) for line in added), added


def _chaptered_mkv(path: Path) -> Path:
    """ffmpeg's own Matroska: Tags before the clusters with a 2-byte SeekHead position, random
    TrackUIDs, an Opus track declaring BitDepth 16 (the real-world kind of issue 14)."""
    meta = path.with_suffix(".txt")
    meta.write_text(";FFMETADATA1\ntitle=Book\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle=One\n")
    # over 64 KB, so the moved Tags' position needs a wider field than the 2 bytes ffmpeg wrote
    ffmpeg("-f", "lavfi", "-i", NOISY.format(1), "-f", "lavfi", "-i", "sine=d=1:sample_rate=48000",
           "-i", str(meta), "-map", "0", "-map", "1", "-map_metadata", "2", "-map_chapters", "2",
           "-c:v", "libx264", "-preset", "veryfast", "-c:a", "libopus", str(path))  # fmt: skip
    assert path.stat().st_size > 1 << 16
    return path


def _identity(path: Path) -> list[str]:
    lines = exif_lines(path)
    return sorted(line for line in lines if any(k in line for k in ("TrackUID", "AudioBitsPerSample", "MuxingApp", "WritingApp")))


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is the reference reader")
def test_implicit_label_moves_matroska_tags_without_a_remux(tmp_path: Path) -> None:
    """The bigger Tags no longer fit before the clusters: they move to the end and the SeekHead's
    2-byte position is rewritten wider in place. It used to fall back to a bitexact ffmpeg remux
    (TrackUIDs 1 and 2, writing app ``Lavf``, Opus BitDepth 32, timings moved by the pre-skip)."""
    src = _chaptered_mkv(tmp_path / "in.mkv")
    out = tmp_path / "out" / "in.mkv"
    result = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    before, after = exif_lines(src), exif_lines(out)
    assert not before - after, "tags lost or changed"
    assert all("AIGC" in line.upper() for line in after - before)
    subprocess.run([FFMPEG or "ffmpeg", "-v", "error", "-i", str(out), "-f", "null", "-"], check=True)


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is the reference reader")
def test_matroska_notice_keeps_track_uids_and_bit_depth(tmp_path: Path) -> None:
    src = _chaptered_mkv(tmp_path / "in.mkv")
    before = _identity(src)
    assert any("TagTrackUID" in line for line in before) and any("AudioBitsPerSample=16" in line for line in before)
    out = noticed(src, tmp_path / "out" / "in.mkv")
    assert _identity(out) == before
    assert [s["codec_name"] for s in probe(out)["streams"]] == ["h264", "opus"]
