"""WAV: the label is a RIFF ``AIGC`` chunk (JSON, padded to even length, RIFF size updated).

Also read: a ``LIST``/``INFO`` entry ``AIGC`` and an ``id3 `` chunk with ``TXXX:AIGC``. Writing the
canonical chunk removes those variants, so the file keeps exactly one label (GB 45438 6.1 c).
The notice is written sample-exactly in the source's own PCM encoding, streaming block by block:
a one-hour WAV needs a few MB of memory, and the content samples are copied unchanged.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ...containers import id3, riff
from ...containers.copying import copy_range
from ...containers.riff import Chunk
from ...detect.rhythm import to_analysis
from ...deviations import holds_label
from ...errors import InputError, OutputError, UnsupportedError
from ...facts import C2pa, Format, Signature
from ...label import MAX_CARRIER_BYTES, Label
from ...lazy import lazy_module
from ...model import Backend, Evidence, Found, WriteOptions
from ...notice import Notice
from ..base import Adapter
from . import common
from .common import Rewrite
from .explicit import CuePlan, detect, edge_windows
from .pcm import PcmFormat, parse_fmt

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

AIGC = b"AIGC"
MAX_RIFF = 0xFFFFFFFF
MAX_META_CHUNK = MAX_CARRIER_BYTES
BLOCK_FRAMES = 1 << 16
REPAIR_HINT = "re-export it, or repair it with `ffmpeg -i IN.wav -c copy OUT.wav`"


@dataclass(frozen=True)
class Wave:
    """The top-level chunks of a RIFF/WAVE file."""

    chunks: tuple[Chunk, ...]
    file_size: int

    def first(self, chunk_id: bytes) -> Chunk | None:
        return next((c for c in self.chunks if c.id == chunk_id), None)


def _parse(handle: BinaryIO, path: Path, size: int) -> Wave:
    """A RIFF size that disagrees with the file, or a chunk running past the end, is refused instead
    of being guessed at: a guessed repair could silently drop audio."""
    head = handle.read(12)
    if len(head) < 12 or head[:4] != b"RIFF":
        raise InputError(
            "not a RIFF/WAVE file (no 'RIFF' header)" if size else "the file is empty (0 bytes); re-export or re-download it", path
        )
    _, declared, form = riff.header(head)
    if abs(declared + 8 - size) > 1:  # one byte either way: a final pad byte missing or not counted
        state = "truncated" if declared + 8 > size else "followed by unknown bytes"
        raise InputError(f"the RIFF header says {declared + 8} bytes but the file has {size} (the file is {state}); {REPAIR_HINT}", path)
    if form != b"WAVE":
        raise InputError(f"a RIFF file of type {form!r}, not WAVE", path)
    return Wave(tuple(riff.walk(handle, 12, size, what="WAV", hint=REPAIR_HINT, path=path)), size)


def _open(path: Path) -> tuple[BinaryIO, Wave]:
    handle = open(path, "rb")  # noqa: SIM115 - returned open, closed by the caller's with-block (here only on failure)
    try:
        wave = _parse(handle, path, path.stat().st_size)
    except BaseException:
        handle.close()
        raise
    return handle, wave


def _payload(handle: BinaryIO, chunk: Chunk, path: Path) -> bytes:
    return riff.read_payload(handle, chunk, MAX_META_CHUNK, path)


def _format(handle: BinaryIO, wave: Wave, path: Path) -> tuple[PcmFormat, Chunk]:
    fmt, data = wave.first(b"fmt "), wave.first(b"data")
    if fmt is None or data is None:
        raise InputError(f"the WAV has no {'fmt ' if fmt is None else 'data'!r} chunk; {REPAIR_HINT}", path)
    return parse_fmt(_payload(handle, fmt, path), path), data


def _rewritten(handle: BinaryIO, chunk: Chunk, path: Path) -> bytes | None:
    """A LIST/INFO or ID3 chunk without its AIGC label, or None when the chunk stays as it is."""
    if chunk.id == b"LIST":
        payload = _payload(handle, chunk, path)
        if payload[:4] == b"INFO" and any(_info_label(cid, data) for cid, data in riff.entries(payload)):
            return riff.RIFF.chunk(b"LIST", _without_info_label(payload))
    elif chunk.id in (b"id3 ", b"ID3 "):
        payload = _payload(handle, chunk, path)
        if id3.labels_in(payload):
            return riff.RIFF.chunk(chunk.id, id3.without_label(payload))
    return None


def _info_label(cid: bytes, data: bytes) -> bool:
    """An INFO entry holding a label: ``AIGC``, or a comment (``ICMT``) that is a label and nothing else."""
    return cid.upper() == AIGC or (cid == b"ICMT" and holds_label(data.rstrip(b"\x00").decode("utf-8", errors="replace"), whole=True))


def _without_info_label(payload: bytes) -> bytes:
    kept = [(cid, data) for cid, data in riff.entries(payload) if not _info_label(cid, data)]
    return payload[:4] + b"".join(riff.RIFF.chunk(cid, data) for cid, data in kept)


class WavAdapter(Adapter):
    name = "wav"
    media = "audio"
    formats = (Format("WAV", ("wav", "wave"), "audio/wav", (Signature(0, b"RIFF", ((8, b"WAVE"),)),), C2pa.EMBEDDED, "mutagen"),)
    carrier = "riff:AIGC"
    # ExifTool, ffprobe and mutagen skip RIFF chunks they do not know; the shipped ExifTool config names it
    seen_by = {"exiftool": None, "exiftool+config": "[RIFF] AIGC", "ffprobe": None, "mutagen": None}
    description = "WAV (PCM 8/16/24/32-bit, float); label in a RIFF AIGC chunk; notice written sample-exactly"

    def score(self, name: str, head: bytes) -> int:
        return common.score(self.extension_score(name), self.signature_score(head) > 0, head)

    def format_of(self, name: str, head: bytes) -> str:
        return "wav"

    def read_labels(self, path: Path) -> list[Found]:
        handle, wave = _open(path)
        with handle:
            found: list[Found] = []
            for chunk in wave.chunks:
                if chunk.id == AIGC:
                    found.append(Found.of("riff:AIGC", _payload(handle, chunk, path).rstrip(b"\x00")))
                elif chunk.id == b"LIST":
                    payload = _payload(handle, chunk, path)
                    if payload[:4] == b"INFO":
                        found += [
                            Found.of(f"riff:LIST/INFO:{'AIGC' if cid.upper() == AIGC else cid.decode('latin-1')}", data.rstrip(b"\x00"))
                            for cid, data in riff.entries(payload)
                            if _info_label(cid, data)
                        ]
                elif chunk.id in (b"id3 ", b"ID3 "):
                    found += [Found.of("riff:id3:TXXX:AIGC", text) for text in id3.labels_in(_payload(handle, chunk, path))]
            return found

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        label_chunk = riff.RIFF.chunk(AIGC, label.require_writable().to_json().encode("ascii"))
        handle, wave = _open(src)
        with handle, open(dst, "wb") as out:
            out.write(b"RIFF\x00\x00\x00\x00WAVE")
            placed = False
            for chunk in wave.chunks:
                replacement = _rewritten(handle, chunk, src)
                if chunk.id == AIGC:
                    if not placed:  # the first AIGC chunk is updated in place; later copies go
                        out.write(label_chunk)
                        placed = True
                elif replacement is not None:
                    out.write(replacement)
                else:
                    _copy_chunk(handle, out, chunk, wave)
            if not placed:
                out.write(label_chunk)
            _finish_riff(out, dst)

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        self.rewrite_audio(src, dst, CuePlan.of(notice).rewrite())

    def rewrite_audio(self, src: Path, dst: Path, change: Rewrite) -> None:
        """``src`` with its decoded audio changed by ``change`` (the notice, the watermark), written back as the notice is."""
        handle, wave = _open(src)
        with handle:
            fmt, data = _format(handle, wave, src)
            _require_pcm(fmt, src)
            with open(dst, "wb") as out:
                out.write(b"RIFF\x00\x00\x00\x00WAVE")
                fact_at, frames = None, 0
                for chunk in wave.chunks:
                    if chunk.id == b"data":
                        size = _write_data(out, change.apply(_blocks(handle, data, fmt), fmt.sample_rate, fmt.channels), fmt)
                        frames = size // fmt.block_align
                    else:
                        if chunk.id == b"fact" and chunk.size >= 4:
                            fact_at = out.tell() + 8
                        _copy_chunk(handle, out, chunk, wave)
                if fact_at is not None:
                    out.seek(fact_at)
                    out.write(struct.pack("<I", min(frames, MAX_RIFF)))
                    out.seek(0, io.SEEK_END)
                _finish_riff(out, dst)

    def detect_explicit(self, path: Path) -> Evidence:
        handle, wave = _open(path)
        with handle:
            fmt, data = _format(handle, wave, path)
            if fmt.dtype is None:
                return Evidence.unknown(f"WAV sample format {fmt.tag}/{fmt.bits}-bit cannot be decoded for the notice check")
            frames = data.size // fmt.block_align
            duration = frames / fmt.sample_rate

            def read(start: float, length: float) -> np.ndarray:
                first = int(start * fmt.sample_rate)
                count = max(0, min(frames - first, int(length * fmt.sample_rate)))
                handle.seek(data.data_offset + first * fmt.block_align)
                return to_analysis(fmt.decode(handle.read(count * fmt.block_align)), fmt.sample_rate)

            return detect(edge_windows(duration, read), duration)

    def backends(self) -> list[Backend]:
        return [*common.spoken_backends()]


def _copy_chunk(handle: BinaryIO, out: BinaryIO, chunk: Chunk, wave: Wave) -> None:
    """Copy a chunk as it is; a pad byte missing at the very end of the file is added."""
    available = min(chunk.end, wave.file_size) - chunk.offset
    copy_range(handle, out, chunk.offset, available)
    out.write(b"\x00" * (chunk.end - chunk.offset - available))


def _require_pcm(fmt: PcmFormat, path: Path) -> None:
    if fmt.dtype is None or fmt.block_align != fmt.channels * max(1, fmt.bits // 8):
        raise UnsupportedError(
            f"WAV sample format (tag {fmt.tag}, {fmt.bits}-bit) cannot take an audible notice; convert it to PCM or float first", path
        )


def _blocks(handle: BinaryIO, data: Chunk, fmt: PcmFormat) -> Iterator[np.ndarray]:
    remaining = data.size - data.size % fmt.block_align
    offset = data.data_offset
    while remaining > 0:
        want = min(remaining, BLOCK_FRAMES * fmt.block_align)
        handle.seek(offset)
        raw = handle.read(want)
        if len(raw) < want:
            raise InputError("the data chunk ended early (truncated file)")
        offset += want
        remaining -= want
        yield fmt.decode(raw)


def _write_data(out: BinaryIO, blocks: Iterator[np.ndarray], fmt: PcmFormat) -> int:
    header_at = out.tell()
    out.write(b"data\x00\x00\x00\x00")
    size = 0
    for block in blocks:
        raw = fmt.encode(block)
        out.write(raw)
        size += len(raw)
    if size > MAX_RIFF - 64:
        raise OutputError("the WAV with its notice would exceed 4 GiB, the RIFF limit; split the file first")
    if size & 1:
        out.write(b"\x00")
    end = out.tell()
    out.seek(header_at + 4)
    out.write(struct.pack("<I", size))
    out.seek(end)
    return size


def _finish_riff(out: BinaryIO, dst: Path) -> None:
    total = out.tell()
    if total - 8 > MAX_RIFF:
        raise OutputError("the output WAV would exceed 4 GiB, the RIFF limit", dst)
    out.seek(4)
    out.write(struct.pack("<I", total - 8))
