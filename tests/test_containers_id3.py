"""labeler.containers.id3: the one ID3v2 ``TXXX:AIGC`` implementation (MP3, WAV ``id3 ``, AIFF ``ID3 ``).

Tags are made by ffmpeg (``-metadata AIGC=...`` writes a ``TXXX`` frame) and mutagen; results are
checked by mutagen reading the frames as stored and by ExifTool.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from labeler.containers import id3

FFMPEG = shutil.which("ffmpeg")
EXIFTOOL = shutil.which("exiftool")
pytestmark = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg makes the inputs")
TEXT = '{"AIGC":{"Label":"1","ContentProducer":"x"}}'


def ffmpeg_mp3(path: Path, version: str, *meta: str) -> Path:
    args = [a for m in meta for a in ("-metadata", m)]
    subprocess.run(
        [
            FFMPEG or "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=d=0.3",
            "-c:a",
            "libmp3lame",
            "-id3v2_version",
            version,
            *args,
            str(path),
        ],
        check=True,
    )
    return path


def test_tag_size_is_where_mutagen_says_the_audio_starts(tmp_path: Path) -> None:
    from mutagen.id3 import ID3

    for version in ("3", "4"):
        src = ffmpeg_mp3(tmp_path / f"v{version}.mp3", version, "title=Song", f"AIGC={TEXT}")
        head = src.read_bytes()
        size = id3.tag_size(head)
        assert size == ID3(src).size and head[size] == 0xFF  # an MPEG frame sync right after the tag
    assert id3.tag_size(b"") == 0 and id3.tag_size(b"ID3\x04\x00") == 0 and id3.tag_size(b"\xff\xfb\x90\x00" * 4) == 0


def test_tag_size_counts_the_footer() -> None:
    header = b"ID3\x04\x00\x10" + bytes([0, 0, 1, 0x7F])  # footer flag, syncsafe 255
    assert id3.tag_size(header) == 10 + 255 + 10
    assert id3.tag_size(header[:5] + b"\x00" + header[6:]) == 10 + 255


def test_label_texts_reads_ffmpeg_txxx_in_any_case(tmp_path: Path) -> None:
    from mutagen.id3 import ID3

    upper = ID3(ffmpeg_mp3(tmp_path / "u.mp3", "4", f"AIGC={TEXT}", "comment=not a label"))
    lower = ID3(ffmpeg_mp3(tmp_path / "l.mp3", "3", f"aigc={TEXT}"))
    none = ID3(ffmpeg_mp3(tmp_path / "n.mp3", "3", "title=Song"))
    assert id3.label_texts(upper) == [TEXT] and id3.label_texts(lower) == [TEXT] and id3.label_texts(none) == []


@pytest.mark.skipif(EXIFTOOL is None, reason="ExifTool is the independent reader")
def test_set_label_keeps_a_v23_tag_and_its_other_frames(tmp_path: Path) -> None:
    from mutagen.id3 import ID3

    src = ffmpeg_mp3(tmp_path / "v23.mp3", "3", "title=Song", "date=2021-05-06", "AIGC=old", "aigc=older")
    tags = ID3(src, translate=False)
    before = {k for k in tags if not k.upper().startswith("TXXX:AIGC")}
    version = id3.version(tags)
    id3.set_label(tags, TEXT)
    tags.save(src, v2_version=version, padding=id3.keep_padding)
    again = ID3(src, translate=False)
    assert tuple(again.version[:2]) == (2, 3) and "TYER" in again and "TDRC" not in again
    assert id3.label_texts(again) == [TEXT] and before <= set(again.keys())
    seen = json.loads(
        subprocess.run(
            [EXIFTOOL or "exiftool", "-j", "-G1", "-warning", "-UserDefinedText", str(src)], capture_output=True, text=True, check=True
        ).stdout
    )[0]
    assert seen.get("ID3v2_3:UserDefinedText") == f"(AIGC) {TEXT}" and "Warning" not in seen


def test_set_label_also_removes_the_given_frames(tmp_path: Path) -> None:
    from mutagen.id3 import COMM, ID3

    tags = ID3(ffmpeg_mp3(tmp_path / "c.mp3", "4", "title=Song"))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=[TEXT]))
    id3.set_label(tags, TEXT, also_remove=tags.getall("COMM"))
    assert tags.getall("COMM") == [] and id3.label_texts(tags) == [TEXT] and "TIT2" in tags


def test_keep_padding_keeps_what_fits_else_a_fixed_amount() -> None:
    class Info:
        def __init__(self, padding: int) -> None:
            self.padding = padding

    assert id3.keep_padding(Info(300)) == 300 and id3.keep_padding(Info(0)) == 0 and id3.keep_padding(Info(-5)) == id3.DEFAULT_PADDING


def tag_bytes(path: Path) -> bytes:
    head = path.read_bytes()
    return head[: id3.tag_size(head)]


def test_chunk_payload_labels_and_removal_keep_the_other_frames(tmp_path: Path) -> None:
    from mutagen.id3 import ID3

    payload = tag_bytes(ffmpeg_mp3(tmp_path / "p.mp3", "3", "title=Song", "artist=Band", f"AIGC={TEXT}"))
    assert id3.labels_in(payload) == [TEXT]
    stripped = id3.without_label(payload)
    assert id3.labels_in(stripped) == []
    (tmp_path / "s.id3").write_bytes(stripped)
    tags = ID3(tmp_path / "s.id3", translate=False)
    assert tuple(tags.version[:2]) == (2, 3) and {"TIT2", "TPE1"} <= set(tags.keys())
    assert id3.tag_size(stripped) == len(stripped)  # no padding: the chunk size is rewritten around it


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "size-lies"])
def test_a_damaged_chunk_tag_holds_no_readable_label(tmp_path: Path, damage: str) -> None:
    payload = tag_bytes(ffmpeg_mp3(tmp_path / "d.mp3", "4", f"AIGC={TEXT}"))
    bad = {
        "truncated": payload[:14],
        "garbage": b"\x01" * 64,
        "empty": b"",
        "size-lies": payload[:6] + bytes([0x7F, 0x7F, 0x7F, 0x7F]) + payload[10:],
    }[damage]
    assert id3.labels_in(bad) == []
