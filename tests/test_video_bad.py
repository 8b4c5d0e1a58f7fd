"""Video bad input: empty, truncated, corrupt moov, garbage, fragmented, ffmpeg failures (summarised,
no partial output), and a two-hour file labelled with bounded memory."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file, verify_file
from labeler.registry import sniff

from .conftest import FIXTURES, PRODUCER

CASES = FIXTURES / "cases" / "video"
pytestmark = pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is the independent reader here")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("01-empty.mp4", "empty"),
        ("02-truncated.mp4", "truncated"),
        ("03-corrupt-moov.mp4", "corrupt"),
        ("04-garbage-named.mp4", "MP4 box"),
    ],
)
@pytest.mark.parametrize("explicit", [True, False])
def test_broken_files_fail_cleanly_without_output(name: str, says: str, explicit: bool, tmp_path: Path) -> None:
    out = tmp_path / name
    result = label_file(CASES / name, out, LabelOptions(producer=PRODUCER, explicit=explicit))
    assert result.status == "failed" and says in result.error and "Traceback" not in result.error
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert verify_file(CASES / name).status == "error"


def data_hashes(path: Path) -> list[str]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_packets",
            "-show_data_hash",
            "md5",
            "-show_entries",
            "packet=data_hash",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def test_fragmented_mp4_is_labelled(tmp_path: Path) -> None:
    src = CASES / "mp4-fragmented.mp4"
    implicit_only = label_file(src, tmp_path / "i.mp4", LabelOptions(producer=PRODUCER, explicit=False))
    assert implicit_only.ok, implicit_only.error
    assert data_hashes(tmp_path / "i.mp4") == data_hashes(src)
    full = label_file(src, tmp_path / "f.mp4", LabelOptions(producer=PRODUCER))
    assert full.ok and full.verdict.status == "compliant", full.error


def test_ffmpeg_failure_is_summarised(tmp_path: Path) -> None:
    """An MP4 whose moov parses but whose media is garbage: ffmpeg fails, labeler says why in a line or two."""
    src = FIXTURES / "samples" / "video" / "mp4-h264-aac-faststart.mp4"
    data = bytearray(src.read_bytes())
    mdat = data.index(b"mdat") + 4
    data[mdat : len(data)] = b"\x00" * (len(data) - mdat)
    broken = tmp_path / "in" / "zeroed-media.mp4"
    broken.parent.mkdir()
    broken.write_bytes(bytes(data))
    out = tmp_path / "out" / "o.mp4"
    result = label_file(broken, out, LabelOptions(producer=PRODUCER))
    assert result.status == "failed"
    assert len(result.error) < 600 and ("ffmpeg" in result.error.lower() or "frame" in result.error.lower()), result.error
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_two_hour_video_streams_with_bounded_memory(tmp_path: Path) -> None:
    src = tmp_path / "two-hours.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x120:rate=1:duration=7200",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "40",
            "-g",
            "600",
            str(src),
        ],
        check=True,
    )
    assert sniff(src).adapter.name == "mp4"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = label_file(src, tmp_path / "o.mp4", LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, f"implicit labelling of a 2-hour file grew this process by {grown_mb:.0f} MB"
    # In a fresh process: RUSAGE_CHILDREN of this one would include every earlier test's children.
    script = (
        "import resource, sys\n"
        "from labeler import LabelOptions, label_file\n"
        f"full = label_file({str(src)!r}, {str(tmp_path / 'full.mp4')!r}, LabelOptions(producer={PRODUCER!r}))\n"
        "print(full.verdict.status if full.verdict else full.error)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    status, children = done.stdout.split("\n")[:2]
    assert status == "compliant", done.stdout
    assert float(children) < 600, f"ffmpeg peaked at {float(children):.0f} MB"


def test_audio_only_mp4_with_moov_at_the_end_is_handed_to_the_audio_family(tmp_path: Path) -> None:
    src = tmp_path / "in" / "audio.mp4"
    src.parent.mkdir()
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
            "-c:a",
            "aac",
            "-b:a",
            "32k",
            "-f",
            "mp4",
            str(src),
        ],
        check=True,
    )
    assert src.read_bytes().index(b"mdat") < src.read_bytes().index(b"moov")
    result = label_file(src, tmp_path / "o.mp4", LabelOptions(producer=PRODUCER))
    assert result.ok and result.verdict.status == "compliant", result.error
    assert result.verdict.media == "audio" or "Morse" in result.verdict.to_dict()["explicit"]["evidence"]
