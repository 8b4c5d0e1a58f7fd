"""Audio containers: carriers, independent readers, sample-exact implicit writes, re-encoding rules,
kept tags, bad input."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from labeler import Label, LabelOptions, Notice, label_file, verify_file
from labeler.adapters.audio import M4aAdapter, WavAdapter
from labeler.containers import mp4
from labeler.errors import InputError
from labeler.registry import sniff

from .conftest import FIXTURES, PRODUCER, sha256

SAMPLES = FIXTURES / "samples" / "audio"
CASES = FIXTURES / "cases" / "audio"
FFPROBE = shutil.which("ffprobe")
FFMPEG = shutil.which("ffmpeg")
LABEL = Label(label="1", content_producer=PRODUCER, produce_id="audio-test-1")
ALL_SAMPLES = sorted(SAMPLES.iterdir())


def decode(path: Path) -> bytes:
    """Decoded samples by ffmpeg (independent of labeler's own decoders)."""
    return subprocess.run(
        [FFMPEG or "ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "f32le", "-"], capture_output=True, check=True
    ).stdout


def ffprobe_tags(path: Path) -> dict[str, str]:
    out = subprocess.run(
        [FFPROBE or "ffprobe", "-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    tags = dict(data.get("format", {}).get("tags", {}))
    for stream in data.get("streams", []):
        tags.update(stream.get("tags", {}))
    return tags


def implicit(src: Path, out: Path) -> Path:
    result = label_file(src, out, LabelOptions(producer=PRODUCER, produce_id="audio-test-1", explicit=False))
    assert result.ok, result.error
    return out


@pytest.mark.parametrize("sample", ALL_SAMPLES, ids=lambda p: p.name)
def test_implicit_never_touches_samples(sample: Path, tmp_path: Path) -> None:
    out = implicit(sample, tmp_path / sample.name)
    assert decode(out) == decode(sample)
    assert [f.label for f in sniff(out).adapter.read_labels(out)] == [LABEL]


@pytest.mark.parametrize("sample", ALL_SAMPLES, ids=lambda p: p.name)
def test_writing_twice_gives_identical_bytes(sample: Path, tmp_path: Path) -> None:
    adapter = sniff(sample).adapter
    first, second = tmp_path / ("1" + sample.suffix), tmp_path / ("2" + sample.suffix)
    adapter.write_implicit(sample, first, LABEL)
    adapter.write_implicit(first, second, LABEL)
    assert sha256(first) == sha256(second)


@pytest.mark.skipif(FFPROBE is None, reason="ffprobe not installed")
@pytest.mark.parametrize(
    "name",
    [
        "mp3-cbr-id3v23-cover.mp3",
        "mp3-vbr-id3v24.mp3",
        "flac-16bit-cover.flac",
        "ogg-vorbis.ogg",
        "opus-mono.opus",
        "m4a-aac-cover.m4a",
        "aiff-pcm16-mono-8k.aiff",
    ],
)
def test_ffprobe_sees_the_label(name: str, tmp_path: Path) -> None:
    out = implicit(SAMPLES / name, tmp_path / name)
    assert json.loads(ffprobe_tags(out)["AIGC"]) == LABEL.as_dict()


def test_mutagen_sees_the_label(tmp_path: Path) -> None:
    import mutagen
    from mutagen._riff import RiffFile

    for name, key in (
        ("mp3-vbr-id3v24.mp3", "TXXX:AIGC"),
        ("flac-16bit-cover.flac", "aigc"),
        ("ogg-vorbis.ogg", "aigc"),
        ("opus-mono.opus", "aigc"),
        ("aiff-pcm16-mono-8k.aiff", "TXXX:AIGC"),
    ):
        out = implicit(SAMPLES / name, tmp_path / name)
        tags = mutagen.File(out).tags
        value = tags[key] if key.startswith("TXXX") else next(v for k, v in tags.items() if k.lower() == key)
        text = value.text[0] if hasattr(value, "text") else value[0]
        assert json.loads(text) == LABEL.as_dict(), name
    out = implicit(SAMPLES / "wav-pcm16-mono-8k.wav", tmp_path / "w.wav")
    with open(out, "rb") as handle:
        riff = RiffFile(handle)
        chunk = riff[b"AIGC".decode()] if hasattr(riff, "__getitem__") else None
        assert chunk is not None and json.loads(chunk.read().rstrip(b"\0")) == LABEL.as_dict()


def test_mutagen_reads_the_m4a_mdta_boxes(tmp_path: Path) -> None:
    from mutagen.mp4 import MP4, Atoms

    out = implicit(SAMPLES / "m4a-aac-cover.m4a", tmp_path / "a.m4a")
    with open(out, "rb") as handle:
        atoms = Atoms(handle)
        metas = [a for a in atoms.path(b"moov", b"udta")[-1].children if a.name == b"meta"]
    assert len(metas) == 2  # the iTunes (mdir) meta with the cover, then the mdta meta with the label
    assert "covr" in MP4(out).tags and MP4(out).tags["\xa9nam"] == ["M4A clip"]


@pytest.mark.parametrize(
    "case", ["wav-list-info-aigc.wav", "wav-id3-chunk-txxx-aigc.wav", "m4a-freeform-itunes.m4a", "m4a-quicktime-meta.m4a"]
)
def test_legacy_carrier_becomes_the_canonical_one(case: str, tmp_path: Path) -> None:
    src = CASES / case
    assert len(sniff(src).adapter.read_labels(src)) == 1
    out = implicit(src, tmp_path / case)
    found = sniff(out).adapter.read_labels(out)
    assert [f.carrier for f in found] == [sniff(out).adapter.carrier]


@pytest.mark.parametrize(
    "case, carrier",
    [
        ("wav-aigc-chunk.wav", "riff:AIGC"),
        ("wav-list-info-aigc.wav", "riff:LIST/INFO:AIGC"),
        ("wav-id3-chunk-txxx-aigc.wav", "riff:id3:TXXX:AIGC"),
        ("mp3-txxx-aigc.mp3", "id3:TXXX:AIGC"),
        ("m4a-mdta-ffmpeg.m4a", "mp4:mdta:AIGC"),
        ("m4a-freeform-itunes.m4a", "mp4:----:com.apple.iTunes:AIGC"),
        ("m4a-quicktime-meta.m4a", "mp4:mdta:AIGC"),
        ("m4a-xmp-uuid.m4a", "xmp:TC260:AIGC"),
    ],
)
def test_every_carrier_variant_is_read(case: str, carrier: str) -> None:
    verdict = verify_file(CASES / case)
    assert verdict.implicit.carrier == carrier
    assert verdict.implicit.label is not None and verdict.implicit.label.produce_id == "audio-7f3a"
    assert verdict.status == "missing-explicit"


@pytest.mark.parametrize(
    "case, words",
    [
        ("01-empty.mp3", "empty"),
        ("02-empty.wav", "empty"),
        ("04-riff-size-lies.wav", "RIFF header says"),
        ("06-no-moov.m4a", "no moov"),
        ("08-id3-then-garbage.mp3", "MPEG frame"),
    ],
)
def test_bad_input_is_a_clean_error_without_output(case: str, words: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / case
    result = label_file(CASES / case, out, LabelOptions(producer=PRODUCER))
    assert not result.ok and words in (result.error or "")
    assert not out.exists() and not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True
    assert verify_file(CASES / case).status == "error"


@pytest.mark.parametrize("case", ["03-truncated-frames.mp3", "05-broken-id3-frames.mp3", "07-wav-named.mp3"])
def test_damaged_but_playable_files_are_labelled(case: str, tmp_path: Path) -> None:
    result = label_file(CASES / case, tmp_path / case, LabelOptions(producer=PRODUCER))
    assert result.ok, result.error
    assert result.verdict.status == "compliant"


def test_mp3_that_is_a_wav_is_handled_as_wav(tmp_path: Path) -> None:
    src = CASES / "07-wav-named.mp3"
    assert sniff(src).adapter.name == "wav"
    out = implicit(src, tmp_path / "x.mp3")
    assert out.read_bytes()[:4] == b"RIFF" and verify_file(out).implicit.carrier == "riff:AIGC"


def test_wav_riff_size_and_padding(tmp_path: Path) -> None:
    out = implicit(SAMPLES / "wav-pcm8-mono-11k.wav", tmp_path / "a.wav")
    data = out.read_bytes()
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8
    at = data.index(b"AIGC")
    size = struct.unpack("<I", data[at + 4 : at + 8])[0]
    assert size == len(LABEL.to_json()) and (at + 8 + size + (size & 1)) == len(data)


def _source_rate_channels(path: Path) -> tuple[str, int, int]:
    out = subprocess.run(
        [
            FFPROBE or "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=codec_name,sample_rate,channels",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    stream = json.loads(out)["streams"][0]
    return stream["codec_name"], int(stream["sample_rate"]), int(stream["channels"])


@pytest.mark.skipif(FFPROBE is None, reason="ffprobe not installed")
@pytest.mark.parametrize("sample", ALL_SAMPLES, ids=lambda p: p.name)
def test_notice_keeps_codec_rate_layout_and_tags(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / sample.name
    result = label_file(sample, out, LabelOptions(producer=PRODUCER, implicit=False))
    assert result.ok, result.error
    assert _source_rate_channels(out) == _source_rate_channels(sample)
    before = {k: v for k, v in ffprobe_tags(sample).items() if k.lower() not in ("encoder", "encoded_by")}
    after = ffprobe_tags(out)
    assert before.items() <= after.items()


def test_cover_art_survives_the_notice(tmp_path: Path) -> None:
    from mutagen.flac import FLAC
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4

    covers = {
        "mp3-cbr-id3v23-cover.mp3": lambda p: MP3(p).tags.getall("APIC")[0].data,
        "flac-16bit-cover.flac": lambda p: FLAC(p).pictures[0].data,
        "m4a-aac-cover.m4a": lambda p: bytes(MP4(p).tags["covr"][0]),
    }
    for name, cover in covers.items():
        out = tmp_path / name
        assert label_file(SAMPLES / name, out, LabelOptions(producer=PRODUCER)).ok
        assert cover(out) == cover(SAMPLES / name), name


def test_mp3_bitrate_mode_is_kept(tmp_path: Path) -> None:
    from mutagen.mp3 import MP3, BitrateMode

    for name, mode in (("mp3-cbr-id3v23-cover.mp3", BitrateMode.UNKNOWN), ("mp3-vbr-id3v24.mp3", BitrateMode.VBR)):
        out = tmp_path / name
        assert label_file(SAMPLES / name, out, LabelOptions(producer=PRODUCER)).ok
        before, after = MP3(SAMPLES / name).info, MP3(out).info
        assert (
            after.bitrate_mode in (mode, BitrateMode.CBR, BitrateMode.UNKNOWN)
            if mode != BitrateMode.VBR
            else after.bitrate_mode == BitrateMode.VBR
        )
        if mode != BitrateMode.VBR:
            assert after.bitrate == before.bitrate
        assert MP3(out).tags.version[:2] == MP3(SAMPLES / name).tags.version[:2]


@pytest.mark.parametrize(
    "name",
    ["wav-pcm24-stereo-16k.wav", "wav-float32-5.1-8k.wav", "wav-pcm8-mono-11k.wav", "flac-16bit-cover.flac", "aiff-pcm16-mono-8k.aiff"],
)
def test_lossless_prepend_keeps_every_content_sample(name: str, tmp_path: Path) -> None:
    import soundfile

    out = tmp_path / name
    assert label_file(SAMPLES / name, out, LabelOptions(producer=PRODUCER)).ok
    before, _ = soundfile.read(str(SAMPLES / name), dtype="float64", always_2d=True)
    after, _ = soundfile.read(str(out), dtype="float64", always_2d=True)
    assert np.array_equal(after[len(after) - len(before) :], before)
    assert np.abs(after).max() <= 1.0


def test_overlay_keeps_the_length(tmp_path: Path) -> None:
    import soundfile

    src = SAMPLES / "wav-pcm16-mono-8k.wav"
    out = tmp_path / "o.wav"
    result = label_file(src, out, LabelOptions(producer=PRODUCER, notice=Notice(cue_mode="overlay")))
    assert result.ok and result.verdict.status == "compliant", result.error or result.verdict.to_dict()
    assert soundfile.info(str(out)).frames == soundfile.info(str(src)).frames


def test_m4a_with_video_is_not_audio(tmp_path: Path) -> None:
    if FFMPEG is None:
        pytest.skip("ffmpeg not installed")
    video = tmp_path / "v.mp4"
    subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=64x64:d=1",
            "-f",
            "lavfi",
            "-i",
            "sine=d=1",
            "-c:v",
            "mpeg4",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
            str(video),
        ],
        check=True,
    )
    head = video.read_bytes()[:8192]
    assert M4aAdapter().score("v.mp4", head) <= 1
    with pytest.raises(Exception, match="video"):
        M4aAdapter().write_explicit(video, tmp_path / "o.mp4", Notice())


def test_moov_before_mdat_gets_its_chunk_offsets_fixed(tmp_path: Path) -> None:
    if FFMPEG is None:
        pytest.skip("ffmpeg not installed")
    src = tmp_path / "fast.m4a"
    subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(SAMPLES / "m4a-aac-cover.m4a"), "-c", "copy", "-movflags", "+faststart", str(src)], check=True
    )
    movie = mp4.load(src)
    assert [b.type for b in movie.boxes].index(b"moov") < [b.type for b in movie.boxes].index(b"mdat")
    out = implicit(src, tmp_path / "out.m4a")
    assert decode(out) == decode(src)


def test_moov_moves_to_the_end_when_stco_would_overflow(tmp_path: Path) -> None:
    src = tmp_path / "fast.m4a"
    subprocess.run(
        [FFMPEG or "ffmpeg", "-v", "error", "-i", str(SAMPLES / "m4a-aac-cover.m4a"), "-c", "copy", "-movflags", "+faststart", str(src)],
        check=True,
    )
    movie = mp4.load(src)
    stco = next(n for n in movie.moov.walk() if n.type == b"stco")
    count = struct.unpack(">I", stco.payload[4:8])[0]
    assert not mp4._shift_chunk_offsets(movie.moov, 0, 0xFFFFFFFF) and count > 0
    out = tmp_path / "o.m4a"
    original = mp4._shift_chunk_offsets
    try:
        mp4._shift_chunk_offsets = lambda moov, after, delta: False  # type: ignore[assignment]
        mp4.write_label(src, out, LABEL.to_json())
    finally:
        mp4._shift_chunk_offsets = original  # type: ignore[assignment]
    boxes = [b.type for b in mp4.load(out).boxes]
    assert boxes[-1] == b"moov" and b"free" in boxes
    assert decode(out) == decode(src)


def test_hostile_riff_chunk_sizes_are_refused(tmp_path: Path) -> None:
    data = bytearray((SAMPLES / "wav-pcm16-mono-8k.wav").read_bytes())
    at = data.index(b"data")
    data[at + 4 : at + 8] = struct.pack("<I", 0xFFFFFFF0)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match="claims"):
        WavAdapter().read_labels(bad)


def test_formats_lists_the_backends() -> None:
    from labeler.registry import adapter_named

    names = {b.name for b in adapter_named("mp3").backends()}
    assert {"ffmpeg", "espeak-ng voice"} <= names
    assert any("ffmpeg:" in b.detail for b in adapter_named("mp3").backends())


@pytest.mark.parametrize("rate, subtype, channels", [(192000, "PCM_32", 2), (96000, "PCM_24", 1), (8000, "PCM_U8", 6)])
def test_wav_rates_and_depths(rate: int, subtype: str, channels: int, tmp_path: Path) -> None:
    import soundfile

    t = np.arange(int(rate * 1.0)) / rate
    content = np.repeat((0.4 * np.sin(2 * np.pi * 330 * t))[:, None], channels, axis=1)
    src = tmp_path / "in.wav"
    soundfile.write(str(src), content, rate, subtype=subtype)
    out = tmp_path / "out.wav"
    result = label_file(src, out, LabelOptions(producer=PRODUCER))
    assert result.ok and result.verdict.status == "compliant", result.error
    before, _ = soundfile.read(str(src), dtype="int32" if subtype != "PCM_U8" else "float64", always_2d=True)
    after, _ = soundfile.read(str(out), dtype="int32" if subtype != "PCM_U8" else "float64", always_2d=True)
    assert np.array_equal(after[-len(before) :], before)


@pytest.mark.parametrize("mode", ["prepend", "overlay"])
def test_cue_never_clips_and_follows_loudness(mode: str, tmp_path: Path) -> None:
    import soundfile

    rate = 16000
    loud = np.clip(np.sin(2 * np.pi * 200 * np.arange(rate * 3) / rate) * 1.5, -1, 1)  # full-scale square-ish
    quiet = loud * 0.01
    peaks = {}
    for name, content in (("loud", loud), ("quiet", quiet)):
        src = tmp_path / f"{name}.wav"
        soundfile.write(str(src), content, rate, subtype="FLOAT")
        out = tmp_path / f"{name}-out.wav"
        result = label_file(src, out, LabelOptions(producer=PRODUCER, notice=Notice(cue_mode=mode)))
        assert result.ok and result.verdict.status == "compliant", result.error
        data, _ = soundfile.read(str(out))
        assert np.abs(data).max() <= 1.0
        peaks[name] = np.abs(data[: int(1.1 * rate)]).max()
    assert peaks["loud"] > peaks["quiet"] >= 0.09  # louder content, louder cue; never inaudible


def test_propagator_update_keeps_mp4_xmp_copy_in_line(tmp_path: Path) -> None:
    from .conftest import PROPAGATOR

    out = tmp_path / "p.m4a"
    result = label_file(CASES / "m4a-xmp-uuid.m4a", out, LabelOptions(role="propagator", propagator=PROPAGATOR, explicit=False))
    assert result.ok, result.error
    labels = {f.carrier: f.label for f in sniff(out).adapter.read_labels(out)}
    assert set(labels) == {"mp4:mdta:AIGC", "xmp:TC260:AIGC"}
    assert len(set(labels.values())) == 1 and labels["mp4:mdta:AIGC"].content_propagator == PROPAGATOR
    assert labels["mp4:mdta:AIGC"].produce_id == "audio-7f3a"  # the producer's fields are kept


def test_tiny_wav_without_final_pad_byte(tmp_path: Path) -> None:
    """101 8-bit samples (odd data size), the pad byte missing at the end of the file."""
    import soundfile

    src = tmp_path / "tiny.wav"
    soundfile.write(str(src), np.zeros(101), 8000, subtype="PCM_U8", format="WAV")
    data = src.read_bytes()
    assert data[-1:] == b"\x00" and struct.unpack("<I", data[4:8])[0] == len(data) - 8
    src.write_bytes(data[:-1])
    for explicit in (False, True):
        out = tmp_path / f"out{explicit}.wav"
        result = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=explicit))
        assert result.ok, result.error
        assert soundfile.info(str(out)).frames == 101 + (int(1.6 * 8000) if explicit else 0)


def test_isom_m4a_with_moov_at_the_end_is_audio(tmp_path: Path) -> None:
    src = tmp_path / "isom.m4a"
    subprocess.run(
        [FFMPEG or "ffmpeg", "-v", "error", "-i", str(SAMPLES / "m4a-aac-cover.m4a"), "-c", "copy", "-f", "mp4", str(src)], check=True
    )
    head = src.read_bytes()[:8192]
    assert head[8:12] != b"M4A " and b"moov" not in head
    assert sniff(src).adapter.name == "m4a"
    assert label_file(src, tmp_path / "out.m4a", LabelOptions(producer=PRODUCER)).verdict.status == "compliant"
