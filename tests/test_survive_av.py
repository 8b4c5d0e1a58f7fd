"""``labeler survive`` on audio, video and C2PA-signed images: real ffmpeg / ImageMagick / exiftool
transforms; the kept outputs are read back by ffprobe, ExifTool and c2pa's own reader."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from labeler.c2pa.pki import make_test_pki
from labeler.cli import main
from labeler.survive import select, survive_file

from .conftest import PRODUCER, sha256

FFPROBE = shutil.which("ffprobe")


def _label(tmp_path: Path, source: Path, *extra: str) -> Path:
    out = tmp_path / "labelled"
    code = main(["label", str(source), "--out", str(out), "--producer", PRODUCER, "--no-progress", "--jobs", "1", "--no-ocr-check", *extra])
    assert code == 0
    return out / source.name


def _probe(path: Path) -> dict:
    assert FFPROBE
    done = subprocess.run(
        [FFPROBE, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)], capture_output=True, check=True
    )
    return json.loads(done.stdout)


def _has_aigc(probe: dict) -> bool:
    tags = [probe["format"].get("tags", {}), *(s.get("tags", {}) for s in probe["streams"])]
    return any("aigc" in key.lower() for t in tags for key in t)


@pytest.mark.slow  # ~10 s: four ffmpeg transcodes, each verified (Morse cue decoding)
def test_mp3_through_audio_transforms(tmp_path: Path) -> None:
    source = tmp_path / "jingle.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=330:duration=4", "-c:a", "libmp3lame", "-b:a", "192k", str(source)],
        check=True,
    )
    labelled = _label(tmp_path, source)
    before = sha256(labelled)
    kept = tmp_path / "kept"
    result = survive_file(labelled, select(["strip", "mp3-128k", "aac-96k", "mono-16k", "wechat"]), kept)
    assert sha256(labelled) == before and not result.failed, result
    rows = {r.transform: r.cells for r in result.rows}
    assert list(rows) == ["original", "strip", "mp3-128k", "aac-96k", "mono-16k"], "wechat is for images: no row"
    assert rows["original"]["metadata"].state == "present" and rows["original"]["notice"].state == "present"
    outputs = {p.stem: p for p in (kept / "jingle.mp3").iterdir()}
    assert outputs["aac-96k"].suffix == ".m4a" and outputs["mp3-128k"].suffix == ".mp3"
    if FFPROBE:
        for name, path in outputs.items():
            assert rows[name]["metadata"].state == ("survived" if _has_aigc(_probe(path)) else "lost"), name
        mono = _probe(outputs["mono-16k"])["streams"][0]
        assert mono["channels"] == 1 and mono["sample_rate"] == "16000"
        assert _probe(outputs["aac-96k"])["streams"][0]["codec_name"] == "aac"
    assert rows["strip"]["metadata"].state == "lost"
    for name in ("strip", "mp3-128k", "aac-96k", "mono-16k"):  # the Morse cue is in the samples
        assert rows[name]["notice"].state == "survived", (name, rows[name]["notice"])


@pytest.mark.slow  # ~20 s: four video transcodes, notices read frame by frame
def test_mp4_through_video_transforms(tmp_path: Path) -> None:
    source = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3", "-f", "lavfi", "-i", "sine=duration=3"]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(source)],
        check=True,
    )
    labelled = _label(tmp_path, source)
    kept = tmp_path / "kept"
    result = survive_file(labelled, select(["strip", "h264-crf28", "720p", "fps-30"]), kept)
    assert not result.failed, result
    rows = {r.transform: r.cells for r in result.rows}
    assert list(rows) == ["original", "strip", "h264-crf28", "720p", "fps-30"]
    outputs = {p.stem: p for p in (kept / "clip.mp4").iterdir()}
    if FFPROBE:
        for name, path in outputs.items():
            assert rows[name]["metadata"].state == ("survived" if _has_aigc(_probe(path)) else "lost"), name
        video = next(s for s in _probe(outputs["fps-30"])["streams"] if s["codec_type"] == "video")
        assert video["codec_name"] == "h264" and video["r_frame_rate"] == "30/1"
        video = next(s for s in _probe(outputs["720p"])["streams"] if s["codec_type"] == "video")
        assert video["height"] == 240, "never upscaled"
    assert rows["strip"]["metadata"].state == "lost"
    from labeler.detect import ocr

    # after re-encoding labeler's receipt no longer proves the notice: OCR reads it, or the cell says why not
    wanted = {"survived"} if ocr.available() else {"survived", "undecided"}
    for name in ("strip", "h264-crf28", "720p", "fps-30"):
        assert rows[name]["notice"].state in wanted and rows[name]["notice"].reason, (name, rows[name]["notice"])


@pytest.mark.slow  # ~8 s: signing, three transforms, c2pa validation of each
def test_c2pa_manifest_breaks_on_reencode_and_goes_on_strip(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path / "pki")
    source = tmp_path / "photo.jpg"
    subprocess.run(["convert", "-size", "480x320", "-seed", "3", "plasma:fractal", str(source)], check=True)
    labelled = _label(tmp_path, source, "--c2pa-cert", str(pki.chain), "--c2pa-key", str(pki.key), "--c2pa-alg", "es256")
    kept = tmp_path / "kept"
    result = survive_file(labelled, select(["strip", "jpeg-q90", "wechat"]), kept)
    rows = {r.transform: r.cells for r in result.rows}
    assert rows["original"]["c2pa"].state == "present" and "Valid" in rows["original"]["c2pa"].reason
    assert rows["strip"]["c2pa"].state == "lost" and rows["wechat"]["c2pa"].state == "lost"
    # ImageMagick carries the JUMBF segment over but the pixels changed: the manifest no longer validates
    q90 = rows["jpeg-q90"]["c2pa"]
    assert q90.state == "lost"
    import c2pa

    try:
        with c2pa.Reader(str(kept / "photo.jpg" / "jpeg-q90.jpg")) as reader:
            report = json.loads(reader.json())
        still_there, validation = True, report.get("validation_state")
    except c2pa.C2paError:
        still_there, validation = False, None
    assert ("still embedded" in q90.reason) == still_there and validation != "Valid"
    assert "signingCredential.untrusted" not in q90.reason, "no trust list was given: not a failure"


@pytest.mark.slow  # ~6 s: the file runs into its 3 s limit
def test_a_file_over_its_time_limit_is_an_error_and_leaves_no_temp_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import tempfile

    from labeler.survive.runner import PREFIX, _alive

    source = tmp_path / "long.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x480:rate=25:duration=8", "-c:v", "libx264", "-pix_fmt", "yuv420p"]
        + [str(source)],
        check=True,
    )
    labelled = _label(tmp_path, source, "--no-explicit")
    capsys.readouterr()
    code = main(["survive", str(labelled), "--timeout", "3", "--jobs", "1", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 1 and "error:" in out and "Traceback" not in out + err, out + err
    leftovers = [f for f in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*") if not _alive(int(f.name[len(PREFIX) :].split("-", 1)[0]))]
    assert leftovers == [], "the killed worker's copy and outputs were swept"


def test_sweep_removes_only_folders_of_processes_that_are_gone(tmp_path: Path) -> None:
    import os

    from labeler.survive.runner import PREFIX, sweep_dead

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"{PREFIX}{gone.pid}-abc"
    (dead / "jpeg-q50").mkdir(parents=True)
    (dead / "source.png").write_bytes(b"copy")
    mine = tmp_path / f"{PREFIX}{os.getpid()}-xyz"
    mine.mkdir()
    other = tmp_path / "labeler-survive-notes"
    other.mkdir()
    assert sweep_dead(tmp_path) == [dead]
    assert not dead.exists() and mine.exists() and other.exists()
