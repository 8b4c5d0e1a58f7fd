"""Video-family fixtures: tiny clean clips per container (samples/video) and odd, third-party and
broken files (cases/video). Generated with ffmpeg (bitexact flags, one encoder thread, fixed
sources), so the bytes are deterministic for a given ffmpeg build. Clips are 320x240 (or smaller),
1-2 s, low bitrate: the whole set stays far below 1.5 MB.
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeler import ffmpeg

GOOD = (
    '{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"video-5c1e","ReservedCode1":"",'
    '"ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
)
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-threads", "1"]
H264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "34", "-g", "25", "-pix_fmt", "yuv420p", "-x264-params", "threads=1"]
AAC = ["-c:a", "aac", "-b:a", "24k", "-ac", "1"]


def picture(size: str = "320x240", seconds: float = 2.0, rate: int = 25, pattern: str = "testsrc2") -> list[str]:
    return ["-f", "lavfi", "-i", f"{pattern}=size={size}:rate={rate}:duration={seconds}"]


def tone(seconds: float = 2.0, freq: int = 440, rate: int = 22050) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate={rate}:duration={seconds}"]


def run(args: list[str]) -> None:
    subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def make(path: Path, inputs: list[str], codecs: list[str], extra: list[str] = ()) -> Path:  # type: ignore[assignment]
    path.parent.mkdir(parents=True, exist_ok=True)
    run([*inputs, *codecs, *BITEXACT, *extra, str(path)])
    return path


def chapters(path: Path) -> Path:
    path.write_text(
        ";FFMETADATA1\ntitle=chapters demo\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Two\n"
    )
    return path


def subtitles(path: Path) -> Path:
    path.write_text("1\n00:00:00,000 --> 00:00:01,500\nhello\n", encoding="utf-8")
    return path


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", len(payload) + 8, kind) + payload


def samples(root: Path, scratch: Path) -> None:
    out = root / "samples" / "video"
    meta, srt = chapters(scratch / "chapters.txt"), subtitles(scratch / "sub.srt")
    make(out / "mp4-h264-aac-faststart.mp4", picture() + tone(), H264 + AAC, ["-movflags", "+faststart"])
    make(out / "mov-h264-aac.mov", picture(pattern="smptehdbars") + tone(freq=660), H264 + AAC)
    make(out / "m4v-h264.m4v", picture("240x180", 2.0, 15), H264, ["-f", "ipod"])
    make(
        out / "mkv-h264-aac-subtitle-chapters.mkv",
        picture() + tone() + ["-i", str(srt), "-i", str(meta)],
        H264 + AAC + ["-c:s", "srt", "-map", "0:v", "-map", "1:a", "-map", "2:s", "-map_metadata", "3", "-map_chapters", "3"],
    )
    make(
        out / "webm-vp9-opus.webm",
        picture() + tone(rate=48000),
        ["-c:v", "libvpx-vp9", "-b:v", "150k", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", "-b:a", "24k"],
    )
    make(out / "avi-mpeg4-mp3.avi", picture() + tone(), ["-c:v", "mpeg4", "-q:v", "8", "-c:a", "libmp3lame", "-b:a", "32k"])
    make(out / "flv-h264-aac.flv", picture() + tone(), H264 + AAC)


def cases(root: Path, scratch: Path) -> None:
    out = root / "cases" / "video"
    base = make(scratch / "base.mp4", picture() + tone(), H264 + AAC)
    make(out / "mp4-moov-at-end.mp4", picture(seconds=1.5) + tone(1.5), H264 + AAC)
    make(out / "mp4-rotated-90.mp4", ["-i", str(base)], ["-c", "copy", "-metadata:s:v:0", "rotate=90"])
    make(out / "mp4-fragmented.mp4", picture(seconds=1.5), H264, ["-movflags", "+frag_keyframe+empty_moov+default_base_moof"])
    make(out / "mp4-hevc-10bit-hdr.mp4", picture(seconds=1.5), ["-c:v", "libx265", "-preset", "ultrafast", "-crf", "34", "-pix_fmt", "yuv420p10le", "-x265-params", "log-level=error:pools=1:frame-threads=1",
         "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc", "-tag:v", "hvc1"])  # fmt: skip
    odd = ["-vf", "scale=321:241"]  # lavfi sources round odd sizes down; the scaler does not
    make(
        out / "mp4-odd-size-yuv444.mp4",
        picture(seconds=1.5),
        odd + ["-c:v", "libx264", "-preset", "veryfast", "-crf", "34", "-pix_fmt", "yuv444p", "-x264-params", "threads=1"],
    )
    make(
        out / "webm-vp9-odd-size.webm",
        picture(seconds=1.5),
        odd + ["-c:v", "libvpx-vp9", "-b:v", "120k", "-deadline", "realtime", "-cpu-used", "8"],
    )
    make(out / "mp4-anamorphic-sar-4-3.mp4", picture("240x240", 1.5), H264, ["-aspect", "4:3"])
    make(
        out / "mp4-vfr.mp4",
        picture(seconds=2.0, rate=30) + tone(),
        H264 + AAC + ["-vf", "select='not(mod(n\\,3))+lt(t\\,0.5)'", "-fps_mode", "vfr"],
    )
    make(out / "mp4-short-1s.mp4", picture(seconds=1.0) + tone(1.0), H264 + AAC)
    make(out / "mp4-av1.mp4", picture(seconds=1.0), ["-c:v", "libsvtav1", "-preset", "12", "-crf", "50", "-pix_fmt", "yuv420p"])
    make(out / "mp4-audio-only.mp4", tone(), AAC, ["-f", "mp4"])
    make(out / "mkv-third-party-aigc-tag.mkv", ["-i", str(base)], ["-c", "copy", "-metadata", f"AIGC={GOOD}"])
    make(out / "avi-third-party-aigc-info.avi", picture(seconds=1.0), ["-c:v", "mpeg4", "-q:v", "10"])
    _with_avi_label(out / "avi-third-party-aigc-info.avi")
    make(
        out / "mp4-ffmpeg-mdta-aigc.mp4", ["-i", str(base)], ["-c", "copy", "-metadata", f"AIGC={GOOD}", "-movflags", "+use_metadata_tags"]
    )
    _freeform(base, out / "mp4-freeform-itunes-aigc.mp4")
    _xmp_uuid(base, out / "mp4-xmp-uuid-after-mdat.mp4")
    # real-world kinds that a notice used to damage (issue 14): RGB VP9, an MP4 chapter track,
    # ExifTool-style XMP (dc:title) in a top-level uuid box
    make(
        out / "webm-vp9-gbrp.webm",
        picture(seconds=1.0),
        ["-c:v", "libvpx-vp9", "-pix_fmt", "gbrp", "-b:v", "150k", "-deadline", "realtime", "-cpu-used", "8"],
    )
    make(
        out / "mp4-chapters.mp4",
        ["-i", str(base), "-i", str(chapters(scratch / "chapters.txt"))],
        ["-map", "0", "-map_chapters", "1", "-c", "copy"],
    )
    _xmp_uuid(
        base,
        out / "mp4-xmp-dc-title.mp4",
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour</rdf:li></rdf:Alt></dc:title></rdf:Description>',
    )
    data = base.read_bytes()
    (out / "01-empty.mp4").write_bytes(b"")
    (out / "02-truncated.mp4").write_bytes(data[: len(data) * 2 // 3])
    moov = data.find(b"moov")
    (out / "03-corrupt-moov.mp4").write_bytes(data[: moov + 4] + b"\xff" * 64 + data[moov + 68 :])
    (out / "04-garbage-named.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 4)


def _with_avi_label(path: Path) -> None:
    from labeler.adapters.video import riff

    tmp = path.with_suffix(".tmp")
    riff.write_info(path, tmp, {b"AIGC": GOOD.encode()})
    tmp.replace(path)


def _freeform(src: Path, dst: Path) -> None:
    from mutagen.mp4 import MP4, MP4FreeForm

    dst.write_bytes(src.read_bytes())
    tags = MP4(dst)
    tags["----:com.apple.iTunes:AIGC"] = [MP4FreeForm(GOOD.encode())]
    tags.save()


def _xmp_uuid(src: Path, dst: Path, description: str = "") -> None:
    description = description or (
        '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
        f"<TC260:AIGC>{GOOD.replace(chr(34), '&quot;')}</TC260:AIGC></rdf:Description>"
    )
    packet = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{description}</rdf:RDF></x:xmpmeta>'

    dst.write_bytes(src.read_bytes() + box(b"uuid", XMP_UUID + packet.encode()))


def generate(root: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        samples(root, Path(scratch))
        cases(root, Path(scratch))


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    generate(Path(__file__).resolve().parent.parent / "fixtures")
