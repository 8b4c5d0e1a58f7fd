"""MP3: the label is an ID3v2 ``TXXX`` frame with description ``AIGC`` (the tag's version is kept:
an ID3v2.3 tag keeps its own frames, such as TYER/TDAT, and gets no 2.4-only frame).

Implicit labelling edits only the ID3v2 tag (mutagen), so the MPEG frames are untouched. The notice
re-encodes once with LAME at the source's sample rate, channels and bitrate mode (CBR: the lowest
standard bitrate not below the source's; VBR: the ``-V`` level from the LAME header, else the one
whose typical rate is not below the average; ABR: the same target); the source's
ID3v2 and ID3v1 tags are then copied over byte for byte (cover art included).
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

from ... import clone, ffmpeg
from ...containers import id3
from ...deviations import holds_label
from ...errors import InputError, reason
from ...facts import C2pa, Format, Signature
from ...label import Label
from ...model import Backend, Evidence, Found, WriteOptions
from ...notice import Notice
from ..base import Adapter
from . import common
from .common import Rewrite
from .explicit import CuePlan, detect, edge_windows
from .stream import decode_blocks, encode_blocks, read_mono

#: LAME -V level -> typical average bitrate (kbps) for 44.1 kHz stereo.
VBR_LEVELS = {0: 245, 1: 225, 2: 190, 3: 175, 4: 165, 5: 130, 6: 115, 7: 100, 8: 85, 9: 65}
CBR_RATES = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 192, 224, 256, 320)
ID3V1_SIZE = 128


def _is_mpeg_frame(head: bytes) -> bool:
    # sync (11 bits), layer III, a bitrate index that is neither free (0) nor bad (15), a valid rate
    return len(head) >= 4 and head[0] == 0xFF and (head[1] & 0xE6) == 0xE2 and 0 < head[2] >> 4 < 15 and (head[2] >> 2) & 3 != 3


def cbr_rate(kbps: int) -> int:
    """The lowest LAME CBR step not below ``kbps`` (the nearest could be lower: a quality drop)."""
    return next((r for r in CBR_RATES if r >= kbps), CBR_RATES[-1])


def _encoder_args(path: Path) -> tuple[int, int, list[str]]:
    from mutagen.mp3 import MP3, BitrateMode, MPEGInfo

    info = common.mutagen_info(path, MP3, MPEGInfo, "MP3")
    kbps = max(8, round(info.bitrate / 1000))
    if info.bitrate_mode == BitrateMode.VBR:
        match = re.search(r"-V\s*(\d)", info.encoder_settings or "")
        # the LAME header's own level, else the highest -V (smallest files) whose typical rate is not below the source's
        level = int(match.group(1)) if match else max((v for v, typical in VBR_LEVELS.items() if typical >= kbps), default=0)
        rate = ["-q:a", str(level)]
    elif info.bitrate_mode == BitrateMode.ABR:
        rate = ["-abr", "1", "-b:a", f"{kbps}k"]
    else:
        rate = ["-b:a", f"{cbr_rate(kbps)}k"]
    args = ["-c:a", "libmp3lame", *rate, "-id3v2_version", "0", "-write_id3v1", "0", "-map_metadata", "-1", "-f", "mp3"]
    return info.sample_rate, info.channels, args


def _label_comments(tags: Any) -> list[Any]:
    """COMM frames that are a label and nothing else (some tools write ``{"AIGC":{...}}`` there)."""
    return [f for f in tags.getall("COMM") if f.text and holds_label(str(f.text[0]), whole=True)]


class Mp3Adapter(Adapter):
    name = "mp3"
    media = "audio"
    formats = (
        Format(
            "MP3", ("mp3",), "audio/mpeg", (Signature(0, b"ID3"), Signature(0, b"\xff", check=_is_mpeg_frame)), C2pa.EMBEDDED, "mutagen"
        ),
    )
    carrier = "id3:TXXX:AIGC"
    seen_by = {
        "exiftool": "[ID3v2_3/ID3v2_4] UserDefinedText (AIGC)",
        "exiftool+config": "[ID3v2_3/ID3v2_4] UserDefinedText (AIGC)",
        "ffprobe": "tag AIGC",
        "mutagen": "TXXX:AIGC",
    }
    description = "MP3 (CBR/VBR, ID3v2.3/2.4); label in ID3v2 TXXX:AIGC; notice re-encoded once with LAME"

    def score(self, name: str, head: bytes) -> int:
        tag = id3.tag_size(head)
        after = head[tag : tag + 4]
        # "ID3" alone also starts ID3-tagged FLAC/AAC; then the bytes after the tag decide
        magic = _is_mpeg_frame(head) or (tag > 0 and (_is_mpeg_frame(after) or (len(after) < 4 and self.extension_score(name) > 0)))
        return common.score(self.extension_score(name), magic, head)

    def format_of(self, name: str, head: bytes) -> str:
        return "mp3"

    def read_labels(self, path: Path) -> list[Found]:
        from mutagen.id3 import ID3, ID3NoHeaderError

        common.require_content(path)
        try:
            tags = ID3(path)
        except ID3NoHeaderError:
            return []
        except Exception as exc:
            raise InputError(
                f"the ID3v2 tag is corrupt ({reason(exc)}); repair it with a tag editor or strip it (`ffmpeg -i IN -map_metadata -1 -c copy OUT`)",
                path,
            ) from exc
        return [Found.of("id3:TXXX:AIGC", text) for text in id3.label_texts(tags)] + [
            Found.of("id3:COMM", str(f.text[0])) for f in _label_comments(tags)
        ]

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        from mutagen.mp3 import MP3

        common.mutagen_load(src, MP3, "MP3")  # refuse files without MPEG audio frames
        text = label.require_writable().to_json()
        block = clone.block_size(src, dst)
        if block is not None and not _has_v1(src):
            _write_tag_clone_audio(src, dst, text, block)
            return
        cloned = clone.clone_or_copy(src, dst)  # where the file system clones, only the edited tag gets new blocks
        tags = _tags(dst, src)
        version = id3.version(tags)
        id3.set_label(tags, text, also_remove=_label_comments(tags))  # a label in a comment moves to TXXX: one label per file
        tags.save(dst, v2_version=version, v1=1, padding=id3.keep_padding)
        with open(dst, "rb") as handle:
            head = id3.tag_size(handle.read(id3.HEADER))
            v1 = handle.seek(0, 2) >= ID3V1_SIZE + head and handle.seek(-ID3V1_SIZE, 2) >= 0 and handle.read(3) == b"TAG"
        clone.record_edit(src, dst, cloned, head=head, tail=ID3V1_SIZE if v1 else 0)

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        self.rewrite_audio(src, dst, CuePlan.of(notice).rewrite())

    def rewrite_audio(self, src: Path, dst: Path, change: Rewrite) -> None:
        """``src`` with its decoded audio changed by ``change`` (the notice, the watermark), written back as the notice is."""
        ffmpeg.for_encoder("libmp3lame")  # fail before decoding when no ffmpeg can encode MP3
        rate, channels, args = _encoder_args(src)
        encoded = dst.with_name(dst.name + ".mpeg")
        try:
            encode_blocks(change.apply(decode_blocks(src, rate, channels), rate, channels), encoded, rate, channels, args, "libmp3lame")
            _assemble(src, encoded, dst)
        finally:
            encoded.unlink(missing_ok=True)

    def detect_explicit(self, path: Path) -> Evidence:
        from mutagen.mp3 import MP3, MPEGInfo

        if not ffmpeg.available():
            return Evidence.unknown(f"ffmpeg is not installed, so the audible notice cannot be checked; {ffmpeg.INSTALL_HINT}")
        duration = common.mutagen_info(path, MP3, MPEGInfo, "MP3").length
        return detect(edge_windows(duration, lambda start, length: read_mono(path, start, length)), duration)

    def backends(self) -> list[Backend]:
        return [common.ffmpeg_backend("decode/encode for the audible notice"), *common.spoken_backends()]


def _tags(where: Path | io.BytesIO, src: Path) -> Any:
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        return ID3(where, translate=False)
    except ID3NoHeaderError:
        return ID3()
    except Exception as exc:
        raise InputError(
            f"the ID3v2 tag is corrupt ({reason(exc)}); strip it first (`ffmpeg -i IN -map_metadata -1 -c copy OUT`)", src
        ) from exc


def _has_v1(path: Path) -> bool:
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if size < ID3V1_SIZE:
            return False
        handle.seek(size - ID3V1_SIZE)
        return handle.read(3) == b"TAG"


def _write_tag_clone_audio(src: Path, dst: Path, text: str, block: int) -> None:
    """Where the file system clones (and no ID3v1 tag at the end needs updating): the ID3v2 tag is
    edited in memory with padding that keeps the audio at its offset modulo ``block``, and the audio
    is cloned behind it, so a tag that outgrows its padding still moves no audio byte."""
    seen = clone.identity(src)
    with open(src, "rb") as handle:
        size = id3.tag_size(handle.read(id3.HEADER))
        handle.seek(0)
        head = handle.read(size)
        total = handle.seek(0, 2)
    buffer = io.BytesIO(head)
    tags = _tags(buffer, src)
    version = id3.version(tags)
    id3.set_label(tags, text, also_remove=_label_comments(tags))

    def aligned(info: Any) -> int:
        padding: int = info.padding  # what is left of the old tag's size (negative: it must grow)
        return padding if padding >= 0 else padding % block  # growth by whole blocks

    tags.save(buffer, v2_version=version, v1=0, padding=aligned)
    clone.write_pieces(src, dst, [buffer.getvalue(), clone.Range(size, total - size)], block=block, expect=seen)


def _assemble(src: Path, encoded: Path, dst: Path) -> None:
    """dst = the source's ID3v2 tag + the new MPEG stream + the source's ID3v1 tag, byte for byte."""
    with open(src, "rb") as handle:
        head = handle.read(10)
        size = id3.tag_size(head)
        handle.seek(0)
        v2 = handle.read(size)
        handle.seek(0, 2)
        end = handle.tell()
        v1 = b""
        if end >= ID3V1_SIZE + size:
            handle.seek(end - ID3V1_SIZE)
            tail = handle.read(ID3V1_SIZE)
            v1 = tail if tail[:3] == b"TAG" else b""
    with open(dst, "wb") as out, open(encoded, "rb") as body:
        out.write(v2)
        shutil.copyfileobj(body, out, 1 << 20)
        out.write(v1)
