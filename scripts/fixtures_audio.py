"""Audio-family fixtures: short clean clips per container (samples/audio) and labelled, odd and
broken files (cases/audio). Deterministic for a given ffmpeg/libsndfile; needs ffmpeg on PATH or
imageio-ffmpeg, numpy, soundfile and mutagen.

Clips are 1.5-2 s at low sample rates so the whole set stays far below 1.5 MB.
"""

from __future__ import annotations

import argparse
import io
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeler import ffmpeg

PRODUCER = "001191110102MACQD9K64010000"
GOOD = (
    '{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"audio-7f3a","ReservedCode1":"",'
    '"ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
)
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
#: A 1x1 PNG for cover art.
COVER = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a2f1e0ba0000000049454e44ae426082"
)


def melody(rate: int, seconds: float, channels: int = 1) -> np.ndarray:
    """A soft three-note arpeggio with decays: music-like, deterministic, no tone patterns."""
    n = int(rate * seconds)
    out = np.zeros(n)
    notes = (262.0, 330.0, 392.0, 523.0, 392.0, 330.0)
    step = n // len(notes)
    for k, freq in enumerate(notes):
        t = np.arange(n - k * step) / rate
        out[k * step :] += 0.25 * np.sin(2 * np.pi * freq * t) * np.exp(-2.5 * t)
    out /= np.abs(out).max() / 0.5
    return np.repeat(out[:, None], channels, axis=1) * np.linspace(1.0, 0.7, channels)[None, :]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _wav(path: Path, rate: int, seconds: float, channels: int, subtype: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), melody(rate, seconds, channels), rate, subtype=subtype, format="WAV")


def _encode(path: Path, rate: int, seconds: float, channels: int, args: list[str]) -> None:
    """Encode the melody with ffmpeg (``-fflags +bitexact`` keeps the bytes reproducible)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = melody(rate, seconds, channels).astype("<f4").tobytes()
    ffmpeg.run(
        [
            "-v",
            "error",
            "-f",
            "f32le",
            "-ar",
            str(rate),
            "-ac",
            str(channels),
            "-i",
            "-",
            "-fflags",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            *args,
            "-y",
            str(path),
        ],
        stdin=pcm,
    )


def _float_wav_51(rate: int, seconds: float) -> bytes:
    """WAVE_FORMAT_EXTENSIBLE float 5.1 written by hand (libsndfile adds a timestamped PEAK chunk)."""
    data = melody(rate, seconds, 6).astype("<f4").tobytes()
    guid = struct.pack("<H", 3) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 6, rate, rate * 24, 24, 32, 22, 32, 0x3F) + guid
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _riff_with(chunks: list[tuple[bytes, bytes]], base: bytes) -> bytes:
    """``base`` WAV with extra chunks appended and the RIFF size fixed."""
    body = base[12:] + b"".join(cid + struct.pack("<I", len(d)) + d + (b"\x00" if len(d) & 1 else b"") for cid, d in chunks)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WAVE" + body


def _id3_bytes(frames: list[object], version: int = 4) -> bytes:
    from mutagen.id3 import ID3

    tags = ID3()
    for frame in frames:
        tags.add(frame)
    buffer = io.BytesIO()
    tags.save(buffer, v2_version=version, padding=lambda info: 0)
    return buffer.getvalue()


def _box(box_type: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", len(payload) + 8, box_type) + payload


def _append_top(path: Path, box: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(box)


def _insert_in_moov(path: Path, child: bytes) -> None:
    """Append ``child`` to the last-position moov (ffmpeg writes moov last without faststart)."""
    data = path.read_bytes()
    at = data.rfind(b"moov") - 4
    size = struct.unpack(">I", data[at : at + 4])[0]
    assert at + size == len(data), "expected moov at the end"
    path.write_bytes(data[:at] + struct.pack(">I", size + len(child)) + data[at + 4 : at + size] + child)


def generate(root: Path) -> None:
    from mutagen.id3 import APIC, TIT2, TPE1, TXXX
    from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

    samples, cases = root / "samples" / "audio", root / "cases" / "audio"
    # --- clean samples: every container and a spread of sample formats --------------------------
    _wav(samples / "wav-pcm16-mono-8k.wav", 8000, 2.0, 1, "PCM_16")
    _wav(samples / "wav-pcm24-stereo-16k.wav", 16000, 1.5, 2, "PCM_24")
    _write(samples / "wav-float32-5.1-8k.wav", _float_wav_51(8000, 1.0))
    _wav(samples / "wav-pcm8-mono-11k.wav", 11025, 1.5, 1, "PCM_U8")
    _encode(
        samples / "mp3-cbr-id3v23-cover.mp3",
        22050,
        2.0,
        2,
        ["-c:a", "libmp3lame", "-b:a", "48k", "-id3v2_version", "3", "-write_xing", "0", "-f", "mp3"],
    )
    _add_id3(
        samples / "mp3-cbr-id3v23-cover.mp3",
        [TIT2(encoding=1, text=["春天"]), TPE1(encoding=1, text=["Band"]), APIC(encoding=0, mime="image/png", type=3, desc="", data=COVER)],
        3,
    )
    _encode(samples / "mp3-vbr-id3v24.mp3", 16000, 2.0, 1, ["-c:a", "libmp3lame", "-q:a", "6", "-f", "mp3"])
    _add_id3(samples / "mp3-vbr-id3v24.mp3", [TIT2(encoding=3, text=["Vbr clip"])], 4)
    _encode(samples / "flac-16bit-cover.flac", 16000, 1.5, 2, ["-c:a", "flac", "-metadata", "title=Flac clip", "-f", "flac"])
    _add_flac_picture(samples / "flac-16bit-cover.flac")
    _encode(samples / "ogg-vorbis.ogg", 22050, 2.0, 1, ["-c:a", "libvorbis", "-q:a", "2", "-metadata", "title=Vorbis clip", "-f", "ogg"])
    _encode(samples / "opus-mono.opus", 48000, 2.0, 1, ["-c:a", "libopus", "-b:a", "24k", "-metadata", "title=Opus clip", "-f", "opus"])
    _encode(samples / "m4a-aac-cover.m4a", 22050, 2.0, 2, ["-c:a", "aac", "-b:a", "48k", "-f", "ipod"])
    tagged = MP4(samples / "m4a-aac-cover.m4a")
    tagged["\xa9nam"] = ["M4A clip"]
    tagged["covr"] = [MP4Cover(COVER, MP4Cover.FORMAT_PNG)]
    tagged.save()
    _encode(samples / "aiff-pcm16-mono-8k.aiff", 8000, 1.5, 1, ["-c:a", "pcm_s16be", "-f", "aiff"])

    # --- labelled files: every carrier the spec lists ----------------------------------------------
    base = (samples / "wav-pcm16-mono-8k.wav").read_bytes()
    _write(cases / "wav-aigc-chunk.wav", _riff_with([(b"AIGC", GOOD.encode())], base))
    info = (
        b"INFO"
        + b"INAM"
        + struct.pack("<I", 6)
        + b"Title\x00"
        + b"AIGC"
        + struct.pack("<I", len(GOOD) + 1)
        + GOOD.encode()
        + b"\x00"
        + (b"\x00" if (len(GOOD) + 1) & 1 else b"")
    )
    _write(cases / "wav-list-info-aigc.wav", _riff_with([(b"LIST", info)], base))
    _write(
        cases / "wav-id3-chunk-txxx-aigc.wav",
        _riff_with([(b"id3 ", _id3_bytes([TXXX(encoding=3, desc="AIGC", text=[GOOD]), TIT2(encoding=3, text=["kept"])]))], base),
    )
    _encode(cases / "mp3-txxx-aigc.mp3", 16000, 1.0, 1, ["-c:a", "libmp3lame", "-b:a", "32k", "-metadata", f"AIGC={GOOD}", "-f", "mp3"])
    _encode(
        cases / "m4a-mdta-ffmpeg.m4a",
        16000,
        1.0,
        1,
        ["-c:a", "aac", "-b:a", "32k", "-metadata", f"AIGC={GOOD}", "-movflags", "+use_metadata_tags", "-f", "ipod"],
    )
    _encode(cases / "m4a-freeform-itunes.m4a", 16000, 1.0, 1, ["-c:a", "aac", "-b:a", "32k", "-f", "ipod"])
    freeform = MP4(cases / "m4a-freeform-itunes.m4a")
    freeform["----:com.apple.iTunes:AIGC"] = [MP4FreeForm(GOOD.encode())]
    freeform.save()
    _encode(cases / "m4a-xmp-uuid.m4a", 16000, 1.0, 1, ["-c:a", "aac", "-b:a", "32k", "-f", "ipod"])
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
        f"<TC260:AIGC>{GOOD.replace(chr(34), '&quot;')}</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    _append_top(cases / "m4a-xmp-uuid.m4a", _box(b"uuid", XMP_UUID + xmp.encode()))
    _encode(cases / "m4a-quicktime-meta.m4a", 16000, 1.0, 1, ["-c:a", "aac", "-b:a", "32k", "-f", "mp4"])
    keys = struct.pack(">II", 0, 1) + struct.pack(">I4s", 12, b"mdta") + b"AIGC"
    item = _box(struct.pack(">I", 1), _box(b"data", struct.pack(">II", 1, 0) + GOOD.encode()))
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"mdta" + b"\x00" * 13)
    _insert_in_moov(cases / "m4a-quicktime-meta.m4a", _box(b"meta", hdlr + _box(b"keys", keys) + _box(b"ilst", item)))

    # --- broken and odd inputs ----------------------------------------------------------------------
    # real-world kinds that a notice used to damage (issue 14): lossless ALAC, an audiobook with
    # chapters, an ID3v2.3 tag with TYER/TDAT (2.3-only frames)
    _encode(cases / "m4a-alac-16bit.m4a", 16000, 1.0, 1, ["-c:a", "alac", "-sample_fmt", "s16p", "-f", "ipod"])
    with tempfile.TemporaryDirectory() as scratch:
        chapters = Path(scratch) / "chapters.ffmeta"
        chapters.write_text(
            ";FFMETADATA1\ntitle=Book\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Two\n"
        )
        _encode(
            cases / "m4b-aac-chapters.m4b",
            16000,
            2.0,
            1,
            ["-i", str(chapters), "-map", "0", "-map_metadata", "1", "-map_chapters", "1", "-c:a", "aac", "-b:a", "32k", "-f", "ipod"],
        )
    _encode(
        cases / "mp3-id3v23-tyer-tdat.mp3",
        16000,
        1.0,
        1,
        [
            "-c:a",
            "libmp3lame",
            "-b:a",
            "32k",
            "-id3v2_version",
            "3",
            "-metadata",
            "date=2021-05-06",
            "-metadata",
            "title=Dated",
            "-f",
            "mp3",
        ],
    )
    _write(cases / "01-empty.mp3", b"")
    _write(cases / "02-empty.wav", b"")
    mp3 = (samples / "mp3-vbr-id3v24.mp3").read_bytes()
    _write(cases / "03-truncated-frames.mp3", mp3[: len(mp3) * 2 // 3 + 7])
    lying = bytearray(base)
    lying[4:8] = struct.pack("<I", len(base) * 3)
    _write(cases / "04-riff-size-lies.wav", bytes(lying))
    broken = bytearray(_id3_bytes([TIT2(encoding=3, text=["ok"]), TXXX(encoding=3, desc="note", text=["x" * 40])]))
    broken[10 + 4 : 10 + 8] = struct.pack(">I", 0x0FFFFFFF)[::-1][:4]  # TIT2 frame size far past the tag
    _write(cases / "05-broken-id3-frames.mp3", bytes(broken) + mp3[_id3_size(mp3) :])
    m4a = (cases / "m4a-freeform-itunes.m4a").read_bytes()
    moov_at = m4a.rfind(b"moov") - 4
    _write(cases / "06-no-moov.m4a", m4a[:moov_at])
    _write(cases / "07-wav-named.mp3", base)
    _write(cases / "08-id3-then-garbage.mp3", _id3_bytes([TIT2(encoding=3, text=["no audio"])]) + bytes(range(256)) * 8)


def _id3_size(data: bytes) -> int:
    if data[:3] != b"ID3":
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    return 10 + size


def _add_id3(path: Path, frames: list[object], version: int) -> None:
    from mutagen.id3 import ID3, ID3NoHeaderError

    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        tags = ID3()
    tags.delall("TSSE")  # the encoder version string would make the bytes machine-specific
    for frame in frames:
        tags.add(frame)
    tags.save(path, v2_version=version, padding=lambda info: 64)


def _add_flac_picture(path: Path) -> None:
    from mutagen.flac import FLAC, Picture

    audio = FLAC(path)
    picture = Picture()
    picture.type, picture.mime, picture.width, picture.height, picture.depth, picture.data = 3, "image/png", 1, 1, 32, COVER
    audio.add_picture(picture)
    audio.save(padding=lambda info: 64)


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--tmp", action="store_true", help="generate into a new temp folder instead of fixtures/")
    target = Path(tempfile.mkdtemp()) if cli.parse_args().tmp else Path(__file__).resolve().parent.parent / "fixtures"
    generate(target)
    print(target)
    subprocess.run(["du", "-sh", str(target / "samples" / "audio"), str(target / "cases" / "audio")], check=False)
