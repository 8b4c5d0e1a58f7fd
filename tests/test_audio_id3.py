"""ID3v2.3 tags stay ID3v2.3 with frames valid for 2.3 (MP3, AIFF, WAV's id3 chunk).

Inputs are made by ffmpeg (``-id3v2_version 3``) and mutagen; outputs are checked by ExifTool,
which warns "Frame 'TDRC' is not valid for this ID3 version" when a 2.4-only frame sits in a 2.3
tag, and by mutagen reading the frames as stored.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file

from .conftest import PRODUCER

FFMPEG = shutil.which("ffmpeg")
EXIFTOOL = shutil.which("exiftool")
pytestmark = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg makes the inputs")
TAGS = ["-metadata", "date=2021-05-06", "-metadata", "title=Song", "-metadata", "artist=Band"]


def make(path: Path, *args: str) -> Path:
    subprocess.run([FFMPEG or "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=1.5", *args, *TAGS, str(path)], check=True)
    return path


def exif(path: Path) -> dict[str, object]:
    out = subprocess.run(
        [EXIFTOOL or "exiftool", "-j", "-G1", "-a", "-warning", "-ID3:all", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)[0]


def frames(path: Path) -> tuple[tuple[int, ...], set[str]]:
    from mutagen.id3 import ID3

    tags = ID3(path, translate=False)
    return tuple(tags.version), set(tags.keys())


def label(src: Path, out: Path, explicit: bool) -> Path:
    result = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=explicit))
    assert result.ok, result.error
    return out


def mp3_v23_with_rvad(tmp_path: Path) -> Path:
    """An ffmpeg ID3v2.3 MP3 plus an RVAD frame (2.3-only: mutagen's 2.4 translation drops it)."""
    from mutagen.id3 import ID3, RVAD

    src = make(tmp_path / "v23.mp3", "-c:a", "libmp3lame", "-id3v2_version", "3")
    tags = ID3(src, translate=False)
    tags.add(RVAD(adjustments=[1000, -1000], peaks=[30000, 30000]))
    tags.save(src, v2_version=3)
    return src


@pytest.mark.parametrize("explicit", [False, True], ids=["implicit", "notice"])
def test_mp3_id3v23_stays_valid_23(explicit: bool, tmp_path: Path) -> None:
    src = mp3_v23_with_rvad(tmp_path)
    version, before = frames(src)
    assert version[:2] == (2, 3) and {"TYER", "TDAT", "RVAD"} <= before
    out = label(src, tmp_path / "out" / "v23.mp3", explicit)
    version, after = frames(out)
    assert version[:2] == (2, 3)
    assert after == before | {"TXXX:AIGC"}
    assert "TDRC" not in after
    if EXIFTOOL:
        tags = exif(out)
        assert "ExifTool:Warning" not in tags, tags["ExifTool:Warning"]
        assert (tags["ID3v2_3:Year"], tags["ID3v2_3:Date"], tags["ID3v2_3:Title"]) == (2021, "0605", "Song")
        assert "AIGC" in str(tags["ID3v2_3:UserDefinedText"])


def test_mp3_id3v24_stays_24(tmp_path: Path) -> None:
    src = make(tmp_path / "v24.mp3", "-c:a", "libmp3lame", "-id3v2_version", "4")
    out = label(src, tmp_path / "out" / "v24.mp3", False)
    version, after = frames(out)
    assert version[:2] == (2, 4) and {"TDRC", "TXXX:AIGC"} <= after
    if EXIFTOOL:
        assert "ExifTool:Warning" not in exif(out)


@pytest.mark.parametrize("explicit", [False, True], ids=["implicit", "notice"])
def test_aiff_id3v23_stays_valid_23(explicit: bool, tmp_path: Path) -> None:
    from mutagen.aiff import AIFF

    src = make(tmp_path / "v23.aiff", "-c:a", "pcm_s16be", "-write_id3v2", "1", "-id3v2_version", "3")
    assert AIFF(src, translate=False).tags.version[:2] == (2, 3)
    out = label(src, tmp_path / "out" / "v23.aiff", explicit)
    tags = AIFF(out, translate=False).tags
    assert tags.version[:2] == (2, 3)
    assert {"TYER", "TIT2", "TXXX:AIGC"} <= set(tags.keys()) and "TDRC" not in tags
    if EXIFTOOL:
        assert "ExifTool:Warning" not in exif(out)


def test_wav_id3v23_chunk_stays_23_when_its_label_moves_out(tmp_path: Path) -> None:
    """A WAV whose ``id3 `` chunk (v2.3, by mutagen) holds the label: the canonical RIFF chunk
    replaces it, and the rest of the ID3 chunk stays 2.3 with its 2.3 frames."""
    from mutagen.id3 import TIT2, TXXX, TYER
    from mutagen.wave import WAVE

    src = make(tmp_path / "v23.wav", "-c:a", "pcm_s16le")
    wave = WAVE(src)
    wave.add_tags()
    wave.tags.add(TYER(encoding=0, text=["2021"]))
    wave.tags.add(TIT2(encoding=0, text=["Song"]))
    wave.tags.add(TXXX(encoding=0, desc="AIGC", text=['{"Label":"1","ContentProducer":"' + PRODUCER + '","ProduceID":"x"}']))
    wave.save(v2_version=3)
    out = label(src, tmp_path / "out" / "v23.wav", False)
    tags = WAVE(out, translate=False).tags
    assert tags.version[:2] == (2, 3)
    assert set(tags.keys()) == {"TYER", "TIT2"}
    if EXIFTOOL:
        assert "ExifTool:Warning" not in exif(out)
