"""AIFF / AIFF-C: the spec names no carrier; we use an ``ID3 `` chunk with ``TXXX:AIGC`` (L).

That is the ID3 carrier the spec fixes for MP3 and WAV, and the one mutagen, ffprobe and ExifTool
read in AIFF. The notice is written losslessly with libsndfile at the source's bit depth (blocks,
streaming); the ID3 chunk and the text chunks (NAME, AUTH, (c) , ANNO, COMT) are copied over.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...containers import id3, riff
from ...errors import InputError
from ...facts import C2pa, Format, Signature
from ...label import Label
from ...lazy import lazy_module
from ...model import Backend, Evidence, Found, WriteOptions
from ...notice import Notice
from ..base import Adapter
from . import common
from .common import Rewrite
from .explicit import CuePlan, soundfile_evidence

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

BLOCK_FRAMES = 1 << 16
TEXT_CHUNKS = (b"NAME", b"AUTH", b"(c) ", b"ANNO", b"COMT")
MAX_TEXT_CHUNK = 1 << 20


def _aiff(path: Path) -> Any:  # mutagen sets tags, add_tags and save at load: untyped, as in containers.id3
    from mutagen.aiff import AIFF

    return AIFF(path, translate=False)  # ID3 frames as stored: see containers.id3.version


def _text_chunks(path: Path) -> list[bytes]:
    """Raw text chunks (header + payload + pad) of an AIFF file; a damaged chunk is clipped to the
    FORM, never an error: mutagen has already accepted the file, these are only carried over."""
    with open(path, "rb") as handle:
        _, declared, _ = riff.header(handle.read(12), riff.IFF)
        end = min(declared + 8, path.stat().st_size)
        chunks = riff.walk(handle, 12, end, riff.IFF, what="AIFF", path=path, strict=False)
        return [
            riff.IFF.chunk(c.id, riff.read_payload(handle, c, MAX_TEXT_CHUNK, path))
            for c in chunks
            if c.id in TEXT_CHUNKS and c.size <= MAX_TEXT_CHUNK
        ]


def _append_chunks(path: Path, chunks: list[bytes]) -> None:
    if not chunks:
        return
    with open(path, "r+b") as handle:
        handle.seek(0, 2)
        handle.write(b"".join(chunks))
        total = handle.tell()
        handle.seek(4)
        handle.write(struct.pack(riff.IFF.size_format, total - 8))


class AiffAdapter(Adapter):
    name = "aiff"
    media = "audio"
    formats = (
        Format(
            "AIFF/AIFF-C",
            ("aiff", "aif", "aifc"),
            "audio/aiff",
            (Signature(0, b"FORM", ((8, b"AIFF"),)), Signature(0, b"FORM", ((8, b"AIFC"),))),
            C2pa.NONE,
            "mutagen",
        ),
    )
    carrier = "aiff:id3:TXXX:AIGC"
    seen_by = {
        "exiftool": "[ID3v2_3/ID3v2_4] UserDefinedText (AIGC)",
        "exiftool+config": "[ID3v2_3/ID3v2_4] UserDefinedText (AIGC)",
        "ffprobe": "tag AIGC",
        "mutagen": "TXXX:AIGC",
    }
    description = "AIFF/AIFF-C; label in an ID3 chunk TXXX:AIGC (no carrier is specified; ID3 as for WAV/MP3)"

    def score(self, name: str, head: bytes) -> int:
        return common.score(self.extension_score(name), self.signature_score(head) > 0, head)

    def format_of(self, name: str, head: bytes) -> str:
        return "aiff"

    def read_labels(self, path: Path) -> list[Found]:
        tags = common.mutagen_load(path, _aiff, "AIFF").tags
        if tags is None:
            return []
        return [Found.of(self.carrier, text) for text in id3.label_texts(tags)]

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        text = label.require_writable().to_json()
        common.mutagen_load(src, _aiff, "AIFF")
        shutil.copyfile(src, dst)
        audio = _aiff(dst)
        if audio.tags is None:
            audio.add_tags()
        tags = audio.tags
        version = id3.version(tags)
        id3.set_label(tags, text)
        audio.save(v2_version=version, padding=id3.keep_padding)

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        self.rewrite_audio(src, dst, CuePlan.of(notice).rewrite())

    def rewrite_audio(self, src: Path, dst: Path, change: Rewrite) -> None:
        """``src`` with its decoded audio changed by ``change`` (the notice, the watermark), written back as the notice is."""
        import soundfile

        source = common.mutagen_load(src, _aiff, "AIFF")
        try:
            with soundfile.SoundFile(str(src)) as reader:
                subtype = reader.subtype if reader.subtype in ("PCM_S8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE") else "PCM_24"
                rate, channels = reader.samplerate, reader.channels
                with soundfile.SoundFile(str(dst), "w", rate, channels, subtype, format="AIFF") as writer:
                    for block in change.apply(reader.blocks(BLOCK_FRAMES, dtype="float64", always_2d=True), rate, channels):
                        writer.write(np.clip(block, -1.0, 1.0))
        except soundfile.LibsndfileError as exc:
            raise InputError(f"cannot decode the AIFF audio ({exc}); the file is corrupt or truncated", src) from exc
        _append_chunks(dst, _text_chunks(src))
        if source.tags is not None:
            written = _aiff(dst)
            if written.tags is None:
                written.add_tags()
            version = id3.version(source.tags)
            for frame in source.tags.values():
                written.tags.add(frame)
            written.save(v2_version=version)

    def detect_explicit(self, path: Path) -> Evidence:
        return soundfile_evidence(path, "AIFF")

    def backends(self) -> list[Backend]:
        return [*common.spoken_backends()]
