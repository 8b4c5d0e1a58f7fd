"""Every error names the file, the problem and the fix, and never an empty reason or a foreign limit."""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file, verify_file
from labeler.errors import reason

from .conftest import FIXTURES, PRODUCER

#: An instruction the user can follow (each message in the audit below has one).
FIX = re.compile(
    r"re-?export|re-?save|re-?mux|re-?download|repair|remove|strip|install|\bset\b|\buse\b|\bfix\b|convert|restore|"
    r"raise the|split|\bopen (and|it)|label (it|the|a)|download|export|rewrite|flatten|shorten|rename|chmod|defragment|try again",
    re.I,
)
BAD_CASES = sorted(p for p in (FIXTURES / "cases").rglob("*") if p.is_file() and not p.name.endswith(".aigc.json"))


def errors_for(path: Path) -> list[str]:
    """The error texts verify and label give for a file verify cannot check (none for other files)."""
    verdict = verify_file(path)
    if verdict.status not in ("error", "unsupported"):
        return []
    result = label_file(path, path.parent / "out" / path.name, LabelOptions(producer=PRODUCER))
    return [e for e in (verdict.error, result.error) if e]


def assert_actionable(path: Path, message: str) -> None:
    assert path.name in message, f"does not name the file: {message}"
    assert "()" not in message, f"an empty reason: {message}"
    assert FIX.search(message), f"says no fix: {message}"


def test_id3_tag_with_a_size_past_the_end_gives_a_reason(tmp_path: Path) -> None:
    """mutagen raises error(OSError()) whose text is empty: "the ID3v2 tag is corrupt ()" before."""
    path = tmp_path / "song.mp3"
    data = bytearray((FIXTURES / "samples" / "audio" / "mp3-cbr-id3v23-cover.mp3").read_bytes())
    assert data[:3] == b"ID3"
    data[6] = 0x0B  # the syncsafe tag size now claims ~23 MB: past the end of the file
    path.write_bytes(bytes(data))
    for message in errors_for(path):
        assert "ID3v2 tag is corrupt" in message
        assert "past the end" in message and "OSError" in message, message
        assert_actionable(path, message)


def test_gigapixel_png_cites_labelers_limit_not_pillows(tmp_path: Path) -> None:
    """A 2.5 Gpx PNG: the README's 89.5 MP limit (89,478,485), not Pillow's 2x (178,956,970)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    path = tmp_path / "huge.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )
    messages = errors_for(path)
    assert len(messages) == 2
    for message in messages:
        assert "50000x50000 = 2,500,000,000 pixels" in message and "89,478,485-pixel limit" in message, message
        assert "178956970" not in message.replace(",", "")
        assert_actionable(path, message)


def test_reason_is_never_empty() -> None:
    class Wrapper(Exception):
        pass

    assert reason(Wrapper(OSError())) == "a read went past the end of the data (truncated, or a size field is wrong); OSError from tests"
    assert reason(EOFError()) == "the data ends early (truncated); EOFError"
    assert reason(ValueError("bad value 7")) == "bad value 7"
    assert reason(Wrapper(ValueError("inner says why"))) == "inner says why"


@pytest.mark.slow  # every odd-input fixture through verify, the unreadable ones through label too
@pytest.mark.parametrize("case", BAD_CASES, ids=[p.name for p in BAD_CASES])
def test_every_bad_input_error_is_actionable(case: Path, tmp_path: Path) -> None:
    path = tmp_path / case.name
    shutil.copyfile(case, path)
    for message in errors_for(path):
        assert_actionable(path, message)


def test_a_damaged_jpeg_xl_names_the_problem_without_the_decoders_build_advice(tmp_path: Path) -> None:
    """libjxl's error text goes on to tell its developers to rebuild it in debug mode and read
    stderr; a labeler user gets the reason and what to do (fuzzing found the raw text)."""
    pytest.importorskip("pillow_jxl")
    damaged = tmp_path / "cut.jxl"
    damaged.write_bytes((FIXTURES / "samples/image/jxl-still.jxl").read_bytes()[:2000])
    result = label_file(damaged, tmp_path / "out" / damaged.name, LabelOptions(producer=PRODUCER))
    assert not result.ok and result.error is not None
    assert "cut.jxl: the image cannot be decoded" in result.error and "re-export the file" in result.error
    assert "Please build" not in result.error and "stderr" not in result.error
