"""Video implicit label: canonical carriers, untouched media packets, byte-stable rewrites, tolerant
reads, and independent readers (ffprobe, exiftool)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from labeler import Label, LabelOptions, label_file, verify_file
from labeler.adapters.video import riff
from labeler.registry import sniff

from .conftest import FIXTURES, PRODUCER, sha256

SAMPLES = FIXTURES / "samples" / "video"
CASES = FIXTURES / "cases" / "video"
LABEL = Label(label="1", content_producer=PRODUCER, produce_id="vid-1")
VIDEO_SAMPLES = sorted(SAMPLES.iterdir())
pytestmark = pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is the independent reader here")


def packets(path: Path) -> list[str]:
    """Per-packet hashes of every stream (the media, independent of the container layout)."""
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_packets",
            "-show_data_hash",
            "md5",
            "-show_entries",
            "packet=stream_index,pts,data_hash",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def format_tags(path: Path) -> dict[str, str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)["format"].get("tags", {})


def implicit(src: Path, out: Path, label: Label = LABEL) -> Path:
    sniff(src).adapter.write_implicit(src, out, label)
    return out


@pytest.mark.parametrize("sample", VIDEO_SAMPLES, ids=[p.name for p in VIDEO_SAMPLES])
def test_implicit_keeps_every_packet_and_ffprobe_reads_it(sample: Path, tmp_path: Path) -> None:
    out = implicit(sample, tmp_path / sample.name)
    assert packets(out) == packets(sample)
    assert json.loads(format_tags(out)["AIGC"]) == LABEL.as_dict()
    assert [f.label for f in sniff(out).adapter.read_labels(out)] == [LABEL]


@pytest.mark.parametrize("sample", VIDEO_SAMPLES, ids=[p.name for p in VIDEO_SAMPLES])
def test_writing_twice_gives_identical_bytes(sample: Path, tmp_path: Path) -> None:
    first = implicit(sample, tmp_path / ("1" + sample.suffix))
    second = implicit(first, tmp_path / ("2" + sample.suffix))
    third = implicit(sample, tmp_path / ("3" + sample.suffix))
    assert sha256(first) == sha256(second) == sha256(third)


def test_relabel_replaces_the_label_without_a_second_copy(tmp_path: Path) -> None:
    for sample in VIDEO_SAMPLES:
        first = implicit(sample, tmp_path / ("a-" + sample.name))
        changed = Label(label="1", content_producer=PRODUCER, produce_id="vid-2")
        second = implicit(first, tmp_path / ("b-" + sample.name), changed)
        assert [f.label for f in sniff(second).adapter.read_labels(second)] == [changed], sample.name
        assert packets(second) == packets(sample)


def test_mp4_label_is_an_mdta_key_like_ffmpeg_writes(tmp_path: Path) -> None:
    out = implicit(SAMPLES / "mp4-h264-aac-faststart.mp4", tmp_path / "o.mp4")
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "faststart layout kept"
    assert b"mdtaAIGC" in data
    if shutil.which("exiftool"):
        shown = subprocess.run(["exiftool", "-s", "-Aigc", str(out)], capture_output=True, text=True, check=False).stdout
        assert "Label" in shown and PRODUCER in shown


def test_avi_info_chunk_is_written_directly(tmp_path: Path) -> None:
    out = implicit(SAMPLES / "avi-mpeg4-mp3.avi", tmp_path / "o.avi")
    assert dict(riff.load(out).info)[b"AIGC"].rstrip(b"\0") == LABEL.to_json().encode()
    assert out.stat().st_size == (SAMPLES / "avi-mpeg4-mp3.avi").stat().st_size, "the label took the JUNK space before movi"
    if shutil.which("exiftool"):
        shown = subprocess.run(["exiftool", "-a", "-U", "-b", "-RIFF:Unknown_AIGC", str(out)], capture_output=True, check=False).stdout
        assert LABEL.to_json().encode() in shown


def test_avi_without_room_gets_info_after_idx1(tmp_path: Path) -> None:
    long = Label(label="1", content_producer=PRODUCER, produce_id="x" * 60, reserved_code1="y" * 1200)
    out = implicit(SAMPLES / "avi-mpeg4-mp3.avi", tmp_path / "o.avi", long)
    body = riff.load(out).body
    assert [c.form for c in body][-1] == b"INFO"
    assert json.loads(format_tags(out)["AIGC"])["ReservedCode1"] == "y" * 1200
    assert packets(out) == packets(SAMPLES / "avi-mpeg4-mp3.avi")


@pytest.mark.parametrize(
    ("name", "carrier"),
    [
        ("mp4-freeform-itunes-aigc.mp4", "mp4:----:com.apple.iTunes:AIGC"),
        ("mp4-xmp-uuid-after-mdat.mp4", "xmp:TC260:AIGC"),
        ("mp4-ffmpeg-mdta-aigc.mp4", "mp4:mdta:AIGC"),
        ("mkv-third-party-aigc-tag.mkv", "mkv:SimpleTag:AIGC"),
        ("avi-third-party-aigc-info.avi", "avi:INFO:AIGC"),
    ],
)
def test_third_party_labels_are_read(name: str, carrier: str) -> None:
    found = sniff(CASES / name).adapter.read_labels(CASES / name)
    assert [f.carrier for f in found] == [carrier]
    assert found[0].label is not None and found[0].label.produce_id == "video-5c1e"


def test_freeform_label_is_replaced_by_the_canonical_one(tmp_path: Path) -> None:
    src = CASES / "mp4-freeform-itunes-aigc.mp4"
    out = implicit(src, tmp_path / "o.mp4")
    assert [f.carrier for f in sniff(out).adapter.read_labels(out)] == ["mp4:mdta:AIGC"]
    assert packets(out) == packets(src)


def test_moov_after_mdat_is_read_by_seeking(tmp_path: Path) -> None:
    src = CASES / "mp4-moov-at-end.mp4"
    data = src.read_bytes()
    assert data.index(b"mdat") < data.index(b"moov")
    out = implicit(src, tmp_path / "o.mp4")
    assert packets(out) == packets(src)
    assert json.loads(format_tags(out)["AIGC"])["ProduceID"] == "vid-1"


def test_audio_only_mp4_goes_to_the_audio_family() -> None:
    assert sniff(CASES / "mp4-audio-only.mp4").adapter.media == "audio"
    assert sniff(SAMPLES / "mp4-h264-aac-faststart.mp4").adapter.name == "mp4"
    assert sniff(CASES / "mp4-moov-at-end.mp4").adapter.name == "mp4"


def test_implicit_only_labelling_verifies(tmp_path: Path) -> None:
    src = SAMPLES / "webm-vp9-opus.webm"
    result = label_file(src, tmp_path / src.name, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    verdict = verify_file(tmp_path / src.name)
    assert (
        verdict.implicit.present and verdict.status in ("missing-explicit", "unverified", "unlabelled")
    ) or verdict.status == "missing-explicit"


def test_matroska_written_to_a_pipe_is_labelled_in_place(tmp_path: Path) -> None:
    """ffmpeg writing to a pipe leaves the Segment size unknown; the Tags edit still applies."""
    live = tmp_path / "live.mkv"
    with open(live, "wb") as out:
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-i",
                str(SAMPLES / "mkv-h264-aac-subtitle-chapters.mkv"),
                "-map",
                "0",
                "-c",
                "copy",
                "-f",
                "matroska",
                "-",
            ],
            stdout=out,
            check=True,
        )
    labelled = implicit(live, tmp_path / "o.mkv")
    assert packets(labelled) == packets(live)
    assert json.loads(format_tags(labelled)["AIGC"]) == LABEL.as_dict()


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")
def test_exiftool_reads_the_flv_label(tmp_path: Path) -> None:
    out = implicit(SAMPLES / "flv-h264-aac.flv", tmp_path / "o.flv")
    shown = subprocess.run(["exiftool", "-s", "-Flash:AIGC", str(out)], capture_output=True, text=True, check=False).stdout
    assert LABEL.to_json() in shown


def test_matroska_without_seekhead_falls_back_to_a_remux(tmp_path: Path) -> None:
    """No SeekHead to point at moved Tags: ffmpeg re-muxes instead (packets copied, label readable)."""
    from labeler.adapters.video import mkvtags

    src = SAMPLES / "mkv-h264-aac-subtitle-chapters.mkv"
    with open(src, "rb") as handle:
        _, children = mkvtags._walk(handle, src.stat().st_size)
    seekhead = next(c for c in children if c.id == mkvtags.SEEKHEAD)
    data = bytearray(src.read_bytes())
    data[seekhead.offset : seekhead.end] = mkvtags.void(seekhead.end - seekhead.offset)
    odd = tmp_path / "no-seekhead.mkv"
    odd.write_bytes(bytes(data))
    with pytest.raises(mkvtags.Unplaceable):
        mkvtags.write_tags(odd, tmp_path / "x.mkv", {"AIGC": LABEL.to_json()})
    out = implicit(odd, tmp_path / "o.mkv")
    assert [row.split(",")[-1] for row in packets(out)] == [row.split(",")[-1] for row in packets(odd)]
    assert [f.label for f in sniff(out).adapter.read_labels(out)] == [LABEL]
