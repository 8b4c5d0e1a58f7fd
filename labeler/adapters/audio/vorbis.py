"""FLAC, OGG Vorbis and Opus: the label is the Vorbis comment ``AIGC=<json>``.

Implicit labelling rewrites only the comment block/packet (mutagen); audio frames and packets are
untouched. The notice keeps FLAC lossless (libsndfile, streaming, same bit depth) and re-encodes OGG
Vorbis (the lowest ``-q`` whose nominal bitrate is not below the source's) and Opus (the measured
bitrate, clamped to libopus' range by ``codecs``) once with ffmpeg.
All comments and pictures of the source are copied to the new file.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ... import clone, ffmpeg
from ...containers import id3
from ...errors import InputError
from ...facts import C2pa, Format, Signature
from ...label import Label
from ...lazy import lazy_module
from ...model import Backend, Evidence, Found, WriteOptions
from ...notice import Notice
from ..base import Adapter
from . import codecs, common
from .common import Rewrite
from .explicit import CuePlan, detect, edge_windows, soundfile_evidence
from .stream import decode_blocks, encode_blocks, read_mono

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

DEFAULT_PADDING = 1024
BLOCK_FRAMES = 1 << 16
#: libvorbis -q level -> nominal kbps at 44.1 kHz stereo (per channel pair).
VORBIS_Q = {-1: 45, 0: 64, 1: 80, 2: 96, 3: 112, 4: 128, 5: 160, 6: 192, 7: 224, 8: 256, 9: 320, 10: 500}
OGG_CODECS = {b"\x01vorbis": "ogg", b"OpusHead": "opus"}


def _padding(info: Any) -> int:
    return info.padding if info.padding >= 0 else DEFAULT_PADDING


def _flac_metadata_end(path: Path) -> int:
    """Offset of a FLAC's first audio frame: after its metadata blocks (and an ID3v2 tag before them)."""
    with open(path, "rb") as handle:
        position = id3.tag_size(handle.read(id3.HEADER)) + 4
        while True:
            handle.seek(position)
            header = handle.read(4)
            if len(header) < 4:
                return position
            position += 4 + int.from_bytes(header[1:4], "big")
            if header[0] & 0x80:  # the last metadata block
                return position


def _labels(tags: Any, carrier: str) -> list[Found]:
    if tags is None:
        return []
    return [Found.of(carrier, value) for key, value in tags if key.upper() == "AIGC"]


def _set_label(tags: Any, text: str) -> None:
    for key in {k for k, _ in tags if k.upper() == "AIGC"}:
        del tags[key]
    tags["AIGC"] = [text]


def _copy_comments(src_tags: Any, dst_tags: Any) -> None:
    dst_tags.clear()
    dst_tags.extend(list(src_tags or []))
    if src_tags is not None:
        dst_tags.vendor = src_tags.vendor


class _VorbisCommentAdapter(Adapter):
    """Shared implicit label handling: mutagen opens, edits and saves the comment."""

    media = "audio"
    loader: Callable[[Path], Any]
    kind: str

    def _open(self, path: Path) -> Any:
        return common.mutagen_load(path, type(self).loader, self.kind)

    def read_labels(self, path: Path) -> list[Found]:
        return _labels(self._open(path).tags, self.carrier or "")

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        text = label.require_writable().to_json()
        self._open(src)
        # Where the file system clones, a FLAC's metadata is rewritten in memory and its audio cloned
        # behind it (Ogg pages may all be renumbered, so Ogg is copied).
        block = clone.block_size(src, dst) if self.kind == "FLAC" else None
        if block is not None and self._write_metadata_clone_audio(src, dst, text, block):
            return
        shutil.copyfile(src, dst)
        audio = self._open(dst)
        if audio.tags is None:
            audio.add_tags()
        _set_label(audio.tags, text)
        audio.save(padding=_padding)
        if self.kind == "FLAC":
            clone.record(dst, clone.Layout("copy", 0, dst.stat().st_size, clone.why_not(src, dst)))

    def _write_metadata_clone_audio(self, src: Path, dst: Path, text: str, block: int) -> bool:
        """The metadata blocks edited in memory, with padding that keeps the audio at its offset
        modulo ``block`` (the same size when the label fits the old padding), the audio cloned.
        False when mutagen cannot work on the metadata alone: the caller copies and edits instead."""
        seen = clone.identity(src)
        end = _flac_metadata_end(src)
        with open(src, "rb") as handle:
            buffer = io.BytesIO(handle.read(end))
            total = handle.seek(0, 2)
        try:
            audio = type(self).loader(buffer)  # type: ignore[arg-type]  # mutagen takes a file object too
        except Exception:  # noqa: BLE001 - the source itself opened: the copy path reports real damage
            return False
        if audio.tags is None:
            audio.add_tags()
        _set_label(audio.tags, text)

        def aligned(info: Any) -> int:
            padding: int = info.padding  # what the old padding leaves (negative: the metadata must grow)
            return padding if padding >= 0 else padding % block  # growth by whole blocks

        buffer.seek(0)
        audio.save(buffer, padding=aligned)
        clone.write_pieces(src, dst, [buffer.getvalue(), clone.Range(end, total - end)], block=block, expect=seen)
        return True

    def backends(self) -> list[Backend]:
        return [common.ffmpeg_backend("decode/encode for the audible notice"), *common.spoken_backends()]


def _flac(path: Path) -> Any:
    from mutagen.flac import FLAC

    return FLAC(path)


class FlacAdapter(_VorbisCommentAdapter):
    name = "flac"
    formats = (Format("FLAC", ("flac",), "audio/flac", (Signature(0, b"fLaC"),), C2pa.EMBEDDED, "mutagen"),)
    carrier = "vorbis:AIGC"
    seen_by = {"exiftool": "[Vorbis] Aigc", "exiftool+config": "[Vorbis] Aigc", "ffprobe": "tag AIGC", "mutagen": "comment AIGC"}
    description = "FLAC; label in the Vorbis comment AIGC; notice stays lossless"
    loader = staticmethod(_flac)
    kind = "FLAC"

    def score(self, name: str, head: bytes) -> int:
        return common.score(self.extension_score(name), self.signature_score(head) > 0, head)

    def format_of(self, name: str, head: bytes) -> str:
        return "flac"

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        self.rewrite_audio(src, dst, CuePlan.of(notice).rewrite())

    def rewrite_audio(self, src: Path, dst: Path, change: Rewrite) -> None:
        """``src`` with its decoded audio changed by ``change`` (the notice, the watermark), written back as the notice is."""
        import soundfile

        source = self._open(src)
        try:
            with soundfile.SoundFile(str(src)) as reader:
                subtype = reader.subtype if reader.subtype in ("PCM_S8", "PCM_16", "PCM_24") else "PCM_24"
                rate, channels = reader.samplerate, reader.channels
                blocks: Iterator[np.ndarray] = reader.blocks(BLOCK_FRAMES, dtype="float64", always_2d=True)
                with soundfile.SoundFile(str(dst), "w", rate, channels, subtype, format="FLAC") as writer:
                    for block in change.apply(blocks, rate, channels):
                        writer.write(np.clip(block, -1.0, 1.0 - 2.0**-23))
        except soundfile.LibsndfileError as exc:
            raise InputError(f"cannot decode the FLAC audio ({exc}); the file is corrupt or truncated", src) from exc
        written = self._open(dst)
        if written.tags is None:
            written.add_tags()
        _copy_comments(source.tags, written.tags)
        for picture in source.pictures:
            written.add_picture(picture)
        written.save(padding=_padding)

    def detect_explicit(self, path: Path) -> Evidence:
        return soundfile_evidence(path, "FLAC")

    def backends(self) -> list[Backend]:
        return [*common.spoken_backends()]  # libsndfile decodes and encodes FLAC; no ffmpeg needed


def _ogg(path: Path) -> Any:
    import mutagen
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis

    audio = mutagen.File(path, options=[OggVorbis, OggOpus])
    if audio is None:
        raise ValueError("no Vorbis or Opus stream in this Ogg file")
    return audio


def _ogg_codec(head: bytes) -> str | None:
    return OGG_CODECS.get(head[28:36]) or OGG_CODECS.get(head[28:35]) if head[:4] == b"OggS" else None


class OggAdapter(_VorbisCommentAdapter):
    name = "ogg"
    # the codec header after the page header decides (an OGG of another codec, e.g. Theora video, is not ours)
    formats = (Format("OGG Vorbis/Opus", ("ogg", "oga", "opus"), "audio/ogg", (Signature(0, b"OggS"),), C2pa.NONE, "mutagen"),)
    carrier = "vorbis:AIGC"
    seen_by = {"exiftool": "[Vorbis] Aigc", "exiftool+config": "[Vorbis] Aigc", "ffprobe": "tag AIGC", "mutagen": "comment AIGC"}
    description = "OGG Vorbis and Opus; label in the Vorbis comment AIGC; notice re-encoded once"
    loader = staticmethod(_ogg)
    kind = "OGG Vorbis/Opus"

    def score(self, name: str, head: bytes) -> int:
        return common.score(self.extension_score(name), _ogg_codec(head) is not None, head)

    def format_of(self, name: str, head: bytes) -> str:
        return _ogg_codec(head) or super().format_of(name, head)

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        self.rewrite_audio(src, dst, CuePlan.of(notice).rewrite())

    def rewrite_audio(self, src: Path, dst: Path, change: Rewrite) -> None:
        """``src`` with its decoded audio changed by ``change`` (the notice, the watermark), written back as the notice is."""
        source = self._open(src)
        info = source.info
        opus = type(source).__name__ == "OggOpus"
        encoder = "libopus" if opus else "libvorbis"
        ffmpeg.for_encoder(encoder)  # fail before decoding when no ffmpeg has the encoder
        channels = info.channels
        if opus:
            rate = 48000  # Opus always decodes at 48 kHz
            # Opus headers carry no bitrate: the measured one (tags and pictures included) is high,
            # never low, and the table clamps it to what libopus accepts
            measured = round(src.stat().st_size * 8 / max(info.length, 0.01))
            wanted = codecs.Source("opus", measured, 0, channels)
            args = [*codecs.encoding(wanted).args(wanted), "-f", "opus"]
        else:
            rate = info.sample_rate
            per_pair = info.bitrate / 1000 * 2 / max(channels, 1)
            quality = next((q for q, kbps in VORBIS_Q.items() if kbps >= per_pair), max(VORBIS_Q))
            args = ["-c:a", "libvorbis", "-q:a", str(quality), "-f", "ogg"]
        encode_blocks(
            change.apply(decode_blocks(src, rate, channels), rate, channels), dst, rate, channels, ["-map_metadata", "-1", *args], encoder
        )
        written = self._open(dst)
        _copy_comments(source.tags, written.tags)
        written.save(padding=_padding)

    def detect_explicit(self, path: Path) -> Evidence:
        try:  # libsndfile decodes Vorbis and Opus in-process: no ffmpeg start-up per file
            return soundfile_evidence(path, "OGG")
        except InputError:
            if not ffmpeg.available():
                raise
        duration = self._open(path).info.length
        return detect(edge_windows(duration, lambda start, length: read_mono(path, start, length)), duration)
