"""FLV keeps its cue points, script tags, keyframe index and codec, with or without the notice.

The input is made by ffmpeg (FLV1 video, MP3 audio, ``-flvflags add_keyframe_index``); the cue
points a Flash encoder writes (a ``cuePoints`` array in onMetaData and an ``onCuePoint`` script
tag in the stream) are added by the small AMF0 writer below, not by labeler. Outputs are compared
with ``exiftool -j -G1 -a``, ffprobe and a tag walk written here.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file

from .conftest import PRODUCER

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
EXIFTOOL = shutil.which("exiftool")
pytestmark = pytest.mark.skipif(FFMPEG is None or FFPROBE is None, reason="ffmpeg makes the FLV")


def _string(text: str) -> bytes:
    return b"\x02" + struct.pack(">H", len(text)) + text.encode()


def _object(pairs: list[tuple[str, bytes]]) -> bytes:
    return b"\x03" + b"".join(struct.pack(">H", len(k)) + k.encode() + v for k, v in pairs) + b"\x00\x00\x09"


def _cue(name: str, seconds: float) -> bytes:
    return _object(
        [
            ("name", _string(name)),
            ("time", b"\x00" + struct.pack(">d", seconds)),
            ("type", _string("event")),
            ("parameters", _object([("scene", _string(name))])),
        ]
    )


def walk(data: bytes) -> list[tuple[int, int, int, bytes]]:
    """(offset, type, timestamp, body) of every tag."""
    offset = struct.unpack(">I", data[5:9])[0] + 4
    out = []
    while offset + 11 <= len(data):
        size = int.from_bytes(data[offset + 1 : offset + 4], "big")
        stamp = int.from_bytes(data[offset + 4 : offset + 7], "big") | data[offset + 7] << 24
        out.append((offset, data[offset] & 0x1F, stamp, data[offset + 11 : offset + 11 + size]))
        offset += 11 + size + 4
    assert offset == len(data), "tags tile the file exactly"
    return out


def _tag(kind: int, stamp: int, body: bytes) -> bytes:
    return (
        bytes([kind])
        + len(body).to_bytes(3, "big")
        + stamp.to_bytes(3, "big")
        + b"\x00\x00\x00\x00"
        + body
        + struct.pack(">I", 11 + len(body))
    )


def with_cue_points(src: Path, dst: Path) -> None:
    """``src`` with a ``cuePoints`` array appended to onMetaData and an onCuePoint tag at 1.5 s,
    its keyframe index moved to the tags' new offsets (as a Flash tool writing these would)."""
    data = src.read_bytes()
    tags = walk(data)
    offset, kind, stamp, body = tags[0]
    assert kind == 18 and body[-3:] == b"\x00\x00\x09"
    head = 13  # "\x02" + length + "onMetaData"
    count = struct.unpack(">I", body[head + 1 : head + 5])[0]
    cues = b"\x0a" + struct.pack(">I", 2) + _cue("intro", 0.0) + _cue("harbour", 1.5)
    meta = bytearray(
        body[: head + 1] + struct.pack(">I", count + 1) + body[head + 5 : -3] + struct.pack(">H", 9) + b"cuePoints" + cues + b"\x00\x00\x09"
    )
    rest, moved, position = bytearray(), {}, offset + len(_tag(18, stamp, bytes(meta)))
    for old, _kind, stamp, body in tags[1:]:
        if stamp >= 1500 and b"onCuePoint" not in rest:
            rest += _tag(18, 1500, _string("onCuePoint") + _cue("harbour", 1.5))
        moved[old] = position + len(rest)
        rest += data[old : old + 11 + len(body) + 4]
    at = meta.index(b"filepositions") + len(b"filepositions") + 5
    for i in range(struct.unpack(">I", meta[at - 4 : at])[0]):
        number = int(struct.unpack(">d", meta[at + 9 * i + 1 : at + 9 * i + 9])[0])
        meta[at + 9 * i + 1 : at + 9 * i + 9] = struct.pack(">d", float(moved[number]))
    dst.write_bytes(data[:offset] + _tag(18, 0, bytes(meta)) + rest)


@pytest.fixture(scope="module")
def flv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("flv")
    plain = folder / "plain.flv"
    subprocess.run(
        [FFMPEG or "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3", "-f", "lavfi", "-i", "sine=d=3:sample_rate=22050",
         "-c:v", "flv", "-b:v", "300k", "-g", "25", "-c:a", "libmp3lame", "-ar", "22050", "-flvflags", "add_keyframe_index", "-metadata", "title=Harbour", str(plain)],
        check=True,
    )  # fmt: skip
    keyframe_positions_hit_video_tags(plain)  # the test's own check holds for ffmpeg's file
    src = folder / "cues.flv"
    with_cue_points(plain, src)
    keyframe_positions_hit_video_tags(src)
    return src


def exif(path: Path) -> dict[str, object]:
    out = subprocess.run([EXIFTOOL or "exiftool", "-j", "-G1", "-a", str(path)], capture_output=True, text=True, check=True).stdout
    return {k: v for k, v in json.loads(out)[0].items() if k.startswith("Flash:")}


def keyframe_positions_hit_video_tags(path: Path) -> None:
    """Every ``keyframes.filepositions`` entry is the offset of a video key frame tag."""
    data = path.read_bytes()
    body = walk(data)[0][3]
    at = body.index(b"filepositions") + len(b"filepositions")
    assert body[at] == 0x0A
    count = struct.unpack(">I", body[at + 1 : at + 5])[0]
    positions = [int(struct.unpack(">d", body[at + 6 + 9 * i : at + 14 + 9 * i])[0]) for i in range(count)]
    starts = {offset: (kind, tag_body) for offset, kind, _, tag_body in walk(data)}
    assert count >= 2
    for position in positions:
        kind, tag_body = starts[position]
        assert kind == 9 and tag_body[0] >> 4 == 1, f"position {position} is not a video key frame"


def script_tags(path: Path) -> list[tuple[int, bytes]]:
    return [(stamp, body) for _, kind, stamp, body in walk(path.read_bytes())[1:] if kind == 18]


def test_implicit_label_keeps_every_tag_byte_for_byte(flv: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.flv"
    result = label_file(flv, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    before, after = walk(flv.read_bytes()), walk(out.read_bytes())
    assert [(k, s, b) for _, k, s, b in before[1:]] == [(k, s, b) for _, k, s, b in after[1:]]
    keyframe_positions_hit_video_tags(out)
    if EXIFTOOL:
        old, new = exif(flv), exif(out)
        assert new.pop("Flash:FileSizeBytes") == out.stat().st_size
        assert "ContentProducer" in str(new.pop("Flash:AIGC"))
        shift = out.stat().st_size - flv.stat().st_size  # the index follows the grown onMetaData
        assert new.pop("Flash:KeyFramePositions") == [p + shift for p in old.pop("Flash:KeyFramePositions")]
        old.pop("Flash:FileSizeBytes")
        assert new == old
        assert old["Flash:CuePoint1Name"] == "harbour"


@pytest.mark.slow
def test_notice_keeps_cue_points_script_tags_and_codec(flv: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.flv"
    result = label_file(flv, out, LabelOptions(producer=PRODUCER))
    assert result.ok and result.verdict.status == "compliant", result.error or result.verdict
    assert script_tags(out) == script_tags(flv)  # the onCuePoint tag, at its time
    codecs = subprocess.run(
        [FFPROBE or "ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert codecs[:2] == ["mp3", "flv1"]
    keyframe_positions_hit_video_tags(out)
    if EXIFTOOL:
        old, new = exif(flv), exif(out)
        assert {k: v for k, v in new.items() if "CuePoint" in k} == {k: v for k, v in old.items() if "CuePoint" in k}
        assert new["Flash:Title"] == "Harbour" and new.pop("Flash:FileSizeBytes") == out.stat().st_size
        assert not {"Flash:Time", "Flash:Name", "Flash:Scene"} & set(new), "no onCuePoint fields leaked into onMetaData"
