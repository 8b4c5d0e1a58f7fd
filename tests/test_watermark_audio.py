"""The audio watermark (labeler/watermark/audio.py): inputs made by sox, espeak-ng and ffmpeg
(scripts/watermark_audio_clips.py), transforms by real ffmpeg (MP3 128k, AAC 96k, 16 kHz mono, a
cut), payloads checked with payload.decode; containers checked with ffprobe and mutagen."""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from labeler.errors import InputError, UnsupportedError
from labeler.label import Label
from labeler.watermark import audio, audio_dsp, medium
from labeler.watermark.payload import CODE_BITS, decode, encode, payload_for

from .conftest import PRODUCER, ROOT

TOOLS = ("sox", "espeak-ng", "ffmpeg", "ffprobe")
pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in TOOLS), reason="needs sox, espeak-ng, ffmpeg and ffprobe")


def _clips() -> Any:
    spec = importlib.util.spec_from_file_location("watermark_audio_clips", ROOT / "scripts" / "watermark_audio_clips.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CLIPS = _clips()
PAYLOAD = payload_for(Label(content_producer=PRODUCER, produce_id="wm-audio-1"), None)
CODE = encode(PAYLOAD)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def probe(path: Path) -> dict[str, Any]:
    fields = "stream=codec_name,sample_rate,channels,sample_fmt,bits_per_raw_sample,bit_rate:format=bit_rate,duration"
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", fields, "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    return {**data["streams"][0], "format_bit_rate": int(data["format"].get("bit_rate", 0)), "duration": float(data["format"]["duration"])}


def recovered(path: Path) -> bool:
    soft = audio.extract_file(path)
    found = decode(soft) if soft is not None else None
    return found is not None and found.payload == PAYLOAD


def clip(tmp: Path, kind: str, seconds: float, seed: int = 7) -> Path:
    out = tmp / f"{kind}-{seed}.wav"
    CLIPS.make(kind, random.Random(seed), tmp, out, seconds)
    return out


def test_registered_for_audio() -> None:
    assert medium("audio") is audio
    assert audio.minimum_seconds() == audio.minimum_seconds(CODE_BITS) > 10


def test_array_round_trip_and_shape(tmp_path: Path) -> None:
    x, rate = soundfile.read(str(clip(tmp_path, "sox-noise", 24)), dtype="float32", always_2d=True)
    y = audio.embed(x, rate, CODE)
    assert y.shape == x.shape and y.dtype == np.float32 and np.abs(y).max() <= 1.0
    assert 0 < np.abs(y - x).max() < 0.5  # something was added, and not a replacement
    soft = audio.extract(y, rate)
    assert soft is not None and soft.shape == (CODE_BITS,)
    found = decode(soft)
    assert found is not None and found.payload == PAYLOAD
    assert audio.extract(x, rate) is None or decode(audio.extract(x, rate)) is None  # type: ignore[arg-type]
    mono = audio.embed(x[:, 0], rate, CODE)  # a 1-D array stays 1-D
    assert mono.shape == x[:, :1].shape[:1]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ffmpeg-music", "speech-music", "sox-noise", "sox-melody", "speech"])
def test_recovered_after_mp3_aac_and_16k(tmp_path: Path, kind: str) -> None:
    source = clip(tmp_path, kind, 40)
    marked = tmp_path / "marked.wav"
    audio.embed_file(source, marked, CODE)
    assert recovered(marked)
    for name, options in {
        "128k.mp3": ["-c:a", "libmp3lame", "-b:a", "128k"],
        "96k.m4a": ["-c:a", "aac", "-b:a", "96k"],
        "16k.wav": ["-ar", "16000", "-ac", "1"],
    }.items():
        moved = tmp_path / name
        ffmpeg("-i", str(marked), *options, str(moved))
        assert recovered(moved), f"{kind}: payload lost after {name}"


@pytest.mark.slow
def test_recovered_from_a_cut_excerpt(tmp_path: Path) -> None:
    marked = tmp_path / "marked.wav"
    audio.embed_file(clip(tmp_path, "ffmpeg-music", 60), marked, CODE)
    excerpt = tmp_path / "excerpt.mp3"
    ffmpeg("-ss", "13.37", "-i", str(marked), "-t", "24", "-c:a", "libmp3lame", "-b:a", "128k", str(excerpt))
    assert recovered(excerpt)


def test_silence_reads_zero_whatever_its_residue() -> None:
    """Tiles at the floor carry no mark: digital silence and a codec's or 16-bit rounding's residue in it
    read the same (scaled up, that residue used to decide the bits of silence-heavy clips)."""
    rate = audio_dsp.RATE
    t = np.arange(8 * rate) / rate
    x = np.where((t % 4) < 0.5, 0.3 * np.sin(2 * np.pi * 1234 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)), 0.0)
    residue = x + np.where(x == 0, np.random.default_rng(1).choice([-1.0, 0.0, 1.0], len(x)) / 32768, 0.0)
    clean = audio_dsp.features(audio_dsp.band_stft(x))
    noisy = audio_dsp.features(audio_dsp.band_stft(residue))
    centre = (np.arange(len(clean)) * audio_dsp.HOP + audio_dsp.FRAME // 2) / rate % 4
    silent = (centre > 0.6) & (centre < 3.9)  # frames (and their smoothing) clear of the bursts
    assert silent.mean() > 0.7
    assert not clean[silent].any() and not noisy[silent].any()
    assert np.mean(np.abs(clean - noisy) > 0.05) < 0.001


def test_speech_read_off_the_frame_grid(tmp_path: Path) -> None:
    """A cut at any sample: speech reads the same between the detector's sub-frame shifts."""
    x, rate = soundfile.read(str(clip(tmp_path, "speech", 24)), dtype="float32", always_2d=True)
    y = audio.embed(x, rate, CODE)
    for skip in (61, 87):  # 22 and 32 samples at 16 kHz: off the 64-sample grid of the shifts
        soft = audio.extract(y[skip:], rate)
        found = decode(soft) if soft is not None else None
        assert found is not None and found.payload == PAYLOAD, skip


@pytest.mark.slow
def test_no_payload_in_unmarked_clips(tmp_path: Path) -> None:
    clips = CLIPS.generate(tmp_path, 3, 16, (21.0, 30.0))
    for source, kind, what in clips:
        soft = audio.extract_file(source)
        assert soft is None or decode(soft) is None, f"false detection in {kind}: {what}"
        mp3 = source.with_suffix(".mp3")
        ffmpeg("-i", str(source), "-c:a", "libmp3lame", "-b:a", "128k", str(mp3))
        soft = audio.extract_file(mp3)
        assert soft is None or decode(soft) is None, f"false detection in the MP3 of {kind}: {what}"


def test_wrong_code_does_not_decode_as_the_label(tmp_path: Path) -> None:
    x, rate = soundfile.read(str(clip(tmp_path, "ffmpeg-music", 24)), dtype="float32", always_2d=True)
    other = encode(payload_for(Label(content_producer=PRODUCER, produce_id="someone-else"), None))
    soft = audio.extract(audio.embed(x, rate, other), rate)
    assert soft is not None
    found = decode(soft)
    assert found is not None and found.payload != PAYLOAD


# --- files: containers, codecs and tags are kept ------------------------------------------------------

TAGS = ["-metadata", "title=Watermark test", "-metadata", "artist=sox & ffmpeg"]
#: name -> (suffix, ffmpeg encode options, lossless)
FORMATS: dict[str, tuple[str, list[str], bool]] = {
    "wav-s24": (".wav", ["-c:a", "pcm_s24le"], True),
    "wav-s16-mono": (".wav", ["-c:a", "pcm_s16le", "-ac", "1"], True),
    "flac-s16": (".flac", ["-c:a", "flac", "-sample_fmt", "s16"], True),
    "flac-s24-48k": (".flac", ["-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", "24", "-ar", "48000"], True),
    "aiff-s16": (".aiff", ["-c:a", "pcm_s16be", "-write_id3v2", "1"], True),
    "mp3-cbr-192k": (".mp3", ["-c:a", "libmp3lame", "-b:a", "192k", "-id3v2_version", "3"], False),
    "mp3-vbr": (".mp3", ["-c:a", "libmp3lame", "-q:a", "2"], False),
    "m4a-aac-160k": (".m4a", ["-c:a", "aac", "-b:a", "160k"], False),
    "m4a-alac": (".m4a", ["-c:a", "alac", "-sample_fmt", "s16p"], True),
    "ogg-vorbis": (".ogg", ["-c:a", "libvorbis", "-q:a", "5"], False),
    "opus-96k": (".opus", ["-c:a", "libopus", "-b:a", "96k"], False),
}


def _cover(tmp: Path) -> Path:
    cover = tmp / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", str(cover))
    return cover


def _with_cover(path: Path, cover: Path) -> None:
    """Cover art through mutagen (an independent writer from the ffmpeg that encoded the audio)."""
    import mutagen
    from mutagen.flac import Picture
    from mutagen.id3 import APIC
    from mutagen.mp4 import MP4Cover

    data = cover.read_bytes()
    handle = mutagen.File(path)
    if path.suffix == ".mp3":
        handle.tags.add(APIC(encoding=3, mime="image/png", type=3, desc="cover", data=data))
    elif path.suffix == ".m4a":
        handle.tags["covr"] = [MP4Cover(data, imageformat=MP4Cover.FORMAT_PNG)]
    elif path.suffix == ".flac":
        picture = Picture()
        picture.type, picture.mime, picture.data = 3, "image/png", data
        handle.add_picture(picture)
    else:
        return
    handle.save()


def _tags(path: Path) -> dict[str, str]:
    """Title and artist as ffprobe reads them (format tags: ID3, LIST/INFO, iTunes; audio stream tags: Vorbis comments)."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "format_tags:stream_tags", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(result.stdout)
    tags = {**data.get("format", {}).get("tags", {})}
    for stream in data.get("streams", []):
        tags.update(stream.get("tags", {}))
    return {key.lower(): value for key, value in tags.items() if key.lower() in ("title", "artist")}


def _pictures(path: Path) -> list[bytes]:
    import mutagen

    handle = mutagen.File(path)
    if path.suffix == ".mp3":
        return [frame.data for frame in handle.tags.getall("APIC")]
    if path.suffix == ".m4a":
        return [bytes(c) for c in handle.tags.get("covr", [])]
    if path.suffix == ".flac":
        return [p.data for p in handle.pictures]
    return []


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_file_keeps_codec_depth_rate_and_tags(tmp_path: Path, name: str) -> None:
    suffix, options, lossless = FORMATS[name]
    source = tmp_path / f"in {name}{suffix}"
    ffmpeg("-i", str(clip(tmp_path, "ffmpeg-music", 26, seed=3)), *options, *TAGS, str(source))
    cover = _cover(tmp_path)
    _with_cover(source, cover)
    target = tmp_path / f"out {name}{suffix}"
    audio.embed_file(source, target, CODE)
    before, after = probe(source), probe(target)
    for key in ("codec_name", "sample_rate", "channels", "sample_fmt", "bits_per_raw_sample"):
        assert after.get(key) == before.get(key), (name, key, before, after)
    assert abs(after["duration"] - before["duration"]) < 0.1
    if not lossless and name != "mp3-vbr":
        wanted = int(before.get("bit_rate") or before["format_bit_rate"])
        got = int(after.get("bit_rate") or after["format_bit_rate"])
        assert got >= 0.95 * wanted, (name, wanted, got)  # measured rates wobble a little; the encoder was asked for >= source
    assert _tags(target) == _tags(source) == {"title": "Watermark test", "artist": "sox & ffmpeg"}
    assert _pictures(target) == _pictures(source)
    if suffix in (".mp3", ".m4a", ".flac"):
        assert _pictures(target) == [cover.read_bytes()]
    assert recovered(target)


def test_short_clip_refused_with_the_minimum(tmp_path: Path) -> None:
    source = clip(tmp_path, "sox-noise", 8)
    target = tmp_path / "out.wav"
    with pytest.raises(InputError, match=rf"8\.0 s long; the watermark needs at least {audio.minimum_seconds()} s"):
        audio.embed_file(source, target, CODE)
    assert not target.exists()
    x, rate = soundfile.read(str(source), always_2d=True)
    with pytest.raises(InputError, match="at least"):
        audio.embed(x, rate, CODE)


def test_low_sample_rate_refused(tmp_path: Path) -> None:
    source = tmp_path / "6k.wav"
    subprocess.run(["sox", "-R", "-n", "-r", "6000", "-c", "1", str(source), "synth", "30", "pinknoise"], check=True)
    with pytest.raises(InputError, match="6000 Hz cannot carry the watermark"):
        audio.embed_file(source, tmp_path / "out.wav", CODE)


def test_not_an_audio_file(tmp_path: Path) -> None:
    image = tmp_path / "picture.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=blue:s=32x32", "-frames:v", "1", str(image))
    with pytest.raises(UnsupportedError, match="audio watermark"):
        audio.embed_file(image, tmp_path / "out.png", CODE)


def test_garbage_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x10" + bytes(range(256)) * 40)
    with pytest.raises(InputError):
        audio.extract_file(bad)


def test_hostile_file_names_never_reach_a_shell(tmp_path: Path) -> None:
    folder = tmp_path / "-dir; $(touch pwned) 'x'"
    folder.mkdir()
    source = folder / "-i a;b`id`.flac"
    ffmpeg("-i", str(clip(tmp_path, "sox-noise", 22)), "-c:a", "flac", str(source))
    target = folder / "out [1] | rm.flac"
    audio.embed_file(source, target, CODE)
    assert recovered(target)
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


@pytest.mark.slow
def test_label_and_verify_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """labeler label --watermark on an MP3, then verify after the tags are stripped and the audio
    re-encoded to AAC 96k: the metadata label is gone, the watermark still names the payload."""
    from labeler.cli import main

    source = tmp_path / "talk.mp3"
    ffmpeg("-i", str(clip(tmp_path, "speech-music", 30)), "-c:a", "libmp3lame", "-b:a", "128k", str(source))
    base = ["--no-config", "--no-progress", "-j", "1"]
    label = ["label", *base, "--producer", PRODUCER, "--produce-id", "talk-1", "--no-explicit", "--watermark"]
    assert main([*label, "--out", str(tmp_path / "out"), str(source)]) == 0
    labelled = tmp_path / "out" / "talk.mp3"
    expected = payload_for(Label(content_producer=PRODUCER, produce_id="talk-1"), None).hex()

    def mark(path: Path) -> dict[str, Any]:
        capsys.readouterr()
        main(["verify", *base, "--format", "json", str(path)])
        [entry] = json.loads(capsys.readouterr().out)["files"]
        return dict(entry["signals"]["watermark"])

    assert mark(labelled) | {"confidence": 1} == {"present": True, "payload": expected, "matches_label": True, "confidence": 1}
    stripped = tmp_path / "stripped.m4a"
    ffmpeg("-i", str(labelled), "-map_metadata", "-1", "-c:a", "aac", "-b:a", "96k", str(stripped))
    found = mark(stripped)
    assert found["present"] is True and found["payload"] == expected and found["matches_label"] is None
