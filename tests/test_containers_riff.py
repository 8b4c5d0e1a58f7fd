"""labeler.containers.riff: one chunk walker for RIFF (WAV, AVI, WebP) and IFF (AIFF).

Files are made by independent tools (sox, ffmpeg, Pillow) and read back by mutagen's own RIFF/IFF
parsers; damaged inputs (truncation, a chunk claiming more than the file holds, odd sizes without a
pad byte, hostile chunk counts) are cut from those files.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from labeler.containers import riff
from labeler.errors import InputError

SOX = shutil.which("sox")
FFMPEG = shutil.which("ffmpeg")


def sox_file(path: Path) -> Path:
    if SOX is None:
        pytest.skip("sox makes the input")
    subprocess.run([SOX, "-R", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth", "0.1", "sine", "440"], check=True)
    return path


def top(data: bytes, dialect: riff.Dialect, **options: object) -> list[riff.Chunk]:
    return riff.walk(io.BytesIO(data), 12, len(data), dialect, **options)  # type: ignore[arg-type]


def test_wav_chunks_match_mutagen(tmp_path: Path) -> None:
    from mutagen._riff import RiffFile

    data = sox_file(tmp_path / "a.wav").read_bytes()
    with open(tmp_path / "a.wav", "rb") as handle:
        theirs = [(c.id.rstrip(), c.data_offset, c.data_size) for c in RiffFile(handle).root.subchunks()]
    assert riff.header(data) == (b"RIFF", len(data) - 8, b"WAVE")
    assert [(c.id.decode().rstrip(), c.data_offset, c.size) for c in top(data, riff.RIFF)] == theirs


def test_aiff_chunks_match_mutagen(tmp_path: Path) -> None:
    from mutagen.aiff import AIFFFile

    data = sox_file(tmp_path / "a.aiff").read_bytes()
    with open(tmp_path / "a.aiff", "rb") as handle:
        theirs = [(c.id.rstrip(), c.data_offset, c.data_size) for c in AIFFFile(handle).root.subchunks()]
    assert riff.header(data, riff.IFF)[::2] == (b"FORM", b"AIFF") and riff.header(data, riff.IFF)[1] == len(data) - 8
    assert [(c.id.decode().rstrip(), c.data_offset, c.size) for c in top(data, riff.IFF)] == theirs


def test_avi_lists_have_their_form_and_children(tmp_path: Path) -> None:
    if FFMPEG is None:
        pytest.skip("ffmpeg makes the input")
    path = tmp_path / "a.avi"
    subprocess.run(
        [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=s=32x32:d=0.2", "-c:v", "mjpeg", "-metadata", "title=T", str(path)],
        check=True,
    )
    with open(path, "rb") as handle:
        whole = riff.walk(handle, 0, path.stat().st_size)[0]
        body = riff.walk(handle, whole.data_offset + 4, whole.data_end)
        forms = [c.form for c in body if c.id == b"LIST"]
        info = next(c for c in body if c.form == b"INFO")
        entries = riff.walk(handle, info.data_offset + 4, info.data_end)
    assert {b"hdrl", b"movi", b"INFO"} <= set(forms) and any(c.id == b"idx1" for c in body)
    assert [c.id for c in entries] == [b"INAM", b"ISFT"]


def test_odd_chunks_are_padded_and_a_missing_last_pad_is_tolerated() -> None:
    odd = riff.RIFF.chunk(b"abcd", b"xyz")
    assert odd == b"abcd\x03\x00\x00\x00xyz\x00" and riff.IFF.chunk(b"NAME", b"a") == b"NAME\x00\x00\x00\x01a\x00"
    body = b"WAVE" + odd + riff.RIFF.chunk(b"next", b"12")
    data = b"RIFF" + struct.pack("<I", len(body)) + body
    chunks = top(data, riff.RIFF)
    assert [(c.id, c.size, c.end) for c in chunks] == [(b"abcd", 3, 24), (b"next", 2, 34)]
    unpadded = data + riff.RIFF.chunk(b"last", b"q")[:-1]  # the final pad byte is missing
    last = top(unpadded, riff.RIFF)[-1]
    assert last.payload(unpadded) == b"q" and last.whole(unpadded, len(unpadded)) == b"last\x01\x00\x00\x00q\x00"


def test_a_chunk_claiming_more_than_the_file_holds_is_refused(tmp_path: Path) -> None:
    data = bytearray(sox_file(tmp_path / "a.wav").read_bytes())
    at = data.index(b"data")
    data[at + 4 : at + 8] = struct.pack("<I", 0x7FFFFFF0)
    with pytest.raises(
        InputError, match=r"WAV chunk b'data' at byte \d+ claims 2147483632 bytes but only \d+ remain .*truncated.*; fix it"
    ):
        top(bytes(data), riff.RIFF, what="WAV", hint="fix it")
    clipped = top(bytes(data), riff.RIFF, strict=False)[-1]  # tolerant lists clip instead
    assert clipped.id == b"data" and clipped.data_end == len(data)


def test_truncated_files_and_headers(tmp_path: Path) -> None:
    data = sox_file(tmp_path / "a.aiff").read_bytes()
    ssnd = next(c for c in top(data, riff.IFF) if c.id == b"SSND")
    with pytest.raises(InputError, match="claims"):
        top(data[: ssnd.data_offset + 10], riff.IFF)
    assert top(data[: ssnd.offset + 5], riff.IFF)[-1].id != b"SSND"  # a partial header is not a chunk
    assert riff.entries(b"INFO" + riff.RIFF.chunk(b"INAM", b"title")[:9]) == [(b"INAM", b"t")]


def test_hostile_chunk_counts_and_sizes_stop() -> None:
    many = b"WAVE" + riff.RIFF.chunk(b"JUNK", b"") * (riff.MAX_CHUNKS + 1)
    with pytest.raises(InputError, match="more than 100000"):
        top(b"RIFF" + struct.pack("<I", len(many)) + many, riff.RIFF)
    big = riff.Chunk(b"LIST", 0, 10_000_000)
    with pytest.raises(InputError, match="over the 1024 byte limit"):
        riff.read_payload(io.BytesIO(b""), big, 1024)


@pytest.mark.parametrize("mode", ["lossless", "lossy"])
def test_webp_from_pillow(tmp_path: Path, mode: str) -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (7, 5), (10, 20, 30, 128)).save(out, "WEBP", lossless=mode == "lossless", exif=b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0")
    data = out.getvalue()
    chunks = top(data, riff.RIFF)
    assert chunks[0].id == b"VP8X" and chunks[-1].id == b"EXIF" and chunks[-1].end == len(data)
