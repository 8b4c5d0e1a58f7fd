"""``Adapter.seen_by`` (printed by ``labeler formats``) is true: each audio/video format is labelled
and read back with the real ExifTool (with and without the shipped config), ffprobe and mutagen.

A tool "sees" the label when it shows the label's JSON under a name containing AIGC.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file
from labeler.registry import ADAPTERS, sniff

from .conftest import FIXTURES, PRODUCER

CONFIG = Path(__file__).resolve().parent.parent / "labeler" / "data" / "exiftool-tc260.config"
EXIFTOOL = shutil.which("exiftool")
FFPROBE = shutil.which("ffprobe")
BY_NAME = {adapter.name: adapter for adapter in ADAPTERS}
#: audio/video adapter name -> the first clean sample it takes (fixtures made by scripts/fixtures_*.py).
SAMPLES = {
    name: next(
        p for p in sorted((FIXTURES / "samples").rglob("*")) if p.is_file() and (s := sniff(p)) is not None and s.adapter.name == name
    )
    for name, adapter in BY_NAME.items()
    if adapter.media in ("audio", "video")
}


def exiftool_sees(path: Path, where: str | None, config: bool) -> bool:
    args = [
        EXIFTOOL or "exiftool",
        *(["-config", str(CONFIG)] if config else []),
        *(["-ee"] if where and "-ee" in where else []),
        "-j",
        "-a",
        "-G1",
        str(path),
    ]
    tags = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)[0]
    return any("ContentProducer" in str(value) and ("AIGC" in key.upper() or "AIGC" in str(value)[:8]) for key, value in tags.items())


def ffprobe_sees(path: Path) -> bool:
    out = subprocess.run(
        [FFPROBE or "ffprobe", "-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    tags = [data.get("format", {}).get("tags", {})] + [s.get("tags", {}) for s in data.get("streams", [])]
    return any(key.upper() == "AIGC" and "ContentProducer" in value for group in tags for key, value in group.items())


def mutagen_sees(path: Path) -> bool:
    import mutagen

    try:
        audio = mutagen.File(path)
    except mutagen.MutagenError:
        return False
    tags = audio.tags if audio is not None else None
    return tags is not None and any("AIGC" in str(key).upper() and "ContentProducer" in str(value) for key, value in tags.items())


def test_every_audio_and_video_adapter_says_who_sees_its_label() -> None:
    for name in SAMPLES:
        assert set(BY_NAME[name].seen_by) == {"exiftool", "exiftool+config", "ffprobe", "mutagen"}, name


@pytest.mark.skipif(EXIFTOOL is None or FFPROBE is None, reason="exiftool and ffprobe are the tools under test")
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_seen_by_is_what_the_tools_show(name: str, tmp_path: Path) -> None:
    src = SAMPLES[name]
    out = tmp_path / src.name
    result = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    claims = BY_NAME[name].seen_by
    seen = {
        "exiftool": exiftool_sees(out, claims["exiftool"], False),
        "exiftool+config": exiftool_sees(out, claims["exiftool+config"], True),
        "ffprobe": ffprobe_sees(out),
        "mutagen": mutagen_sees(out),
    }
    assert seen == {tool: where is not None for tool, where in claims.items()}


def test_config_reads_the_wav_chunk_of_another_writer(tmp_path: Path) -> None:
    """A WAV with an odd-length ``AIGC`` chunk (pad byte) appended by plain Python, not by labeler."""
    if EXIFTOOL is None:
        pytest.skip("exiftool not installed")
    import struct

    import numpy as np
    import soundfile

    path = tmp_path / "other.wav"
    soundfile.write(str(path), np.zeros(800), 8000, subtype="PCM_16")
    payload = b'{"Label":"1","ContentProducer":"' + PRODUCER.encode() + b'","ProduceID":"odd"}'
    assert len(payload) % 2 == 1
    data = path.read_bytes() + b"AIGC" + struct.pack("<I", len(payload)) + payload + b"\x00"
    path.write_bytes(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])
    args = [EXIFTOOL, "-config", str(CONFIG), "-j", "-RIFF:AIGC", str(path)]
    assert json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)[0]["AIGC"] == payload.decode()


def test_formats_prints_who_sees_the_label() -> None:
    import os
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-m", "labeler", "formats"], capture_output=True, text=True, check=True, env=env).stdout
    lines = out.splitlines()
    wav = lines.index(next(line for line in lines if line.startswith("wav ")))
    assert " ".join(lines[wav + 1].split()) == "label seen by exiftool: no; exiftool+config: [RIFF] AIGC; ffprobe: no; mutagen: no"
