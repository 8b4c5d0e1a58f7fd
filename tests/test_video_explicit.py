"""Video explicit notice: the overlay, what is preserved (streams, codecs, pixel format, colour,
timing, metadata), the notice window, hostile notice texts, rotation and SAR, checked with ffprobe."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from labeler import LabelOptions, Notice, label_file
from labeler.adapters.video import explicit, probe
from labeler.registry import sniff

from .conftest import FIXTURES, PRODUCER

SAMPLES = FIXTURES / "samples" / "video"
CASES = FIXTURES / "cases" / "video"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is the independent reader here")]
HOSTILE = "AI生成:'\\,%{pts}[x];drawbox"


def streams(path: Path) -> list[dict]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", "-show_chapters", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def packet_list(path: Path, selector: str) -> list[str]:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            selector,
            "-show_packets",
            "-show_data_hash",
            "md5",
            "-show_entries",
            "packet=pts,data_hash",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def frame_times(path: Path) -> list[float]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(round(float(t.strip(",")), 3) for t in out.stdout.split() if t.strip(","))


def noticed(src: Path, out: Path, notice: Notice = Notice()) -> Path:
    sniff(src).adapter.write_explicit(src, out, notice)
    return out


def detect(path: Path):
    return sniff(path).adapter.detect_explicit(path)


def test_mp4_notice_keeps_streams_codecs_audio_and_sync(tmp_path: Path) -> None:
    src = SAMPLES / "mp4-h264-aac-faststart.mp4"
    out = noticed(src, tmp_path / "o.mp4")
    before, after = streams(src), streams(out)
    assert [(s["codec_type"], s["codec_name"]) for s in after["streams"]] == [(s["codec_type"], s["codec_name"]) for s in before["streams"]]
    assert after["streams"][0]["pix_fmt"] == before["streams"][0]["pix_fmt"]
    assert after["streams"][0]["avg_frame_rate"] == before["streams"][0]["avg_frame_rate"]
    assert packet_list(out, "a:0") == packet_list(src, "a:0"), "audio is copied, packets and timestamps unchanged"
    assert frame_times(out) == frame_times(src)
    assert abs(float(after["format"]["duration"]) - float(before["format"]["duration"])) < 0.05
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "faststart layout kept"
    size_ratio = out.stat().st_size / src.stat().st_size
    assert 0.5 < size_ratio < 2.5, f"bitrate follows the source (ratio {size_ratio:.2f})"
    evidence = detect(out)
    assert evidence.state.value == "present" and evidence.detail["method"] == "receipt"
    assert evidence.detail["start_s"] == 0 and evidence.detail["height_ratio"] >= 0.05


def test_quality_stays_close_to_the_source(tmp_path: Path) -> None:
    src = SAMPLES / "mp4-h264-aac-faststart.mp4"
    out = noticed(src, tmp_path / "o.mp4", Notice(position="top-left"))
    # PSNR of the bottom half (the notice is top-left) against the source
    graph = "[0:v]crop=iw:ih/2:0:ih/2[a];[1:v]crop=iw:ih/2:0:ih/2[b];[a][b]psnr"
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-i", str(out), "-i", str(src), "-filter_complex", graph, "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    ).stderr
    average = float(log.split("average:")[1].split()[0])
    assert average > 32, log[-300:]


def test_notice_window_and_persist(tmp_path: Path) -> None:
    src = tmp_path / "long.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=6",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "30",
            str(src),
        ],
        check=True,
    )
    out = noticed(src, tmp_path / "short.mp4", Notice(duration=2.5))
    evidence = detect(out)
    assert evidence.state.value == "present" and not evidence.problems
    assert (evidence.detail["start_s"], evidence.detail["end_s"], evidence.detail["persist"]) == (0.0, 2.5, False)
    from labeler.adapters.video.detect import frames
    from labeler.detect.receipt import patch_matches
    from labeler.render.banner import plan_banner

    receipt = plan_banner("AI生成", (320, 240))
    info = probe.probe(out)
    inside = frames(out, info.video, 2.0, 0.3, receipt.box)
    after = frames(out, info.video, 3.0, 0.6, receipt.box)
    assert all(patch_matches(img, receipt)[0] for _, img in inside)
    assert not any(patch_matches(img, receipt)[0] for _, img in after)
    kept = noticed(src, tmp_path / "persist.mp4", Notice(persist=True))
    evidence = detect(kept)
    assert evidence.detail["persist"] is True and evidence.detail["end_s"] == pytest.approx(6.0, abs=0.1)


def test_duration_under_two_seconds_is_refused(tmp_path: Path) -> None:
    from labeler.errors import LabelFormatError

    with pytest.raises(LabelFormatError, match="at least 2"):
        noticed(SAMPLES / "mp4-h264-aac-faststart.mp4", tmp_path / "o.mp4", Notice(duration=1.5))


def test_short_clip_is_covered_whole_and_says_so(tmp_path: Path) -> None:
    result = label_file(CASES / "mp4-short-1s.mp4", tmp_path / "o.mp4", LabelOptions(producer=PRODUCER))
    assert result.ok, result.error
    explicit_report = result.verdict.to_dict()["explicit"]
    assert any(w.startswith("notice.clip-too-short") for w in explicit_report["warnings"]), explicit_report
    assert result.verdict.status == "compliant"


def test_hostile_notice_text_is_drawn_literally(tmp_path: Path) -> None:
    src = SAMPLES / "mp4-h264-aac-faststart.mp4"
    info = probe.probe(src)
    job = explicit.plan(Notice(text=HOSTILE), info, "video")
    args = explicit.command(src, tmp_path / "b.png", tmp_path / "o.mp4", info, job, "mp4", "mp4", [])
    assert not any("drawbox" in a or "%{pts}" in a for a in args), "the notice text never reaches the filter graph"
    result = label_file(src, tmp_path / "o.mp4", LabelOptions(producer=PRODUCER, notice=Notice(text=HOSTILE)))
    assert result.ok, result.error
    assert result.verdict.status == "compliant"
    assert result.verdict.to_dict()["explicit"]["text"] == HOSTILE
    assert len(streams(tmp_path / "o.mp4")["streams"]) == 2


@pytest.mark.parametrize(
    ("name", "codec", "pix_fmt", "display"),
    [
        ("mp4-hevc-10bit-hdr.mp4", "hevc", "yuv420p10le", (320, 240)),
        ("mp4-odd-size-yuv444.mp4", "h264", "yuv444p", (321, 241)),
        ("webm-vp9-odd-size.webm", "vp9", "yuv420p", (321, 241)),
        ("mp4-av1.mp4", "av1", "yuv420p", (320, 240)),
        ("mp4-rotated-90.mp4", "h264", "yuv420p", (240, 320)),
        ("mp4-anamorphic-sar-4-3.mp4", "h264", "yuv420p", (320, 240)),
        ("mp4-vfr.mp4", "h264", "yuv420p", (320, 240)),
        ("mp4-fragmented.mp4", "h264", "yuv420p", (320, 240)),
    ],
)
def test_odd_inputs_keep_codec_format_and_get_a_visible_notice(
    name: str, codec: str, pix_fmt: str, display: tuple[int, int], tmp_path: Path
) -> None:
    src = CASES / name
    out = noticed(src, tmp_path / name)
    video = probe.probe(out).video
    assert (video.codec, video.pix_fmt, video.display_size) == (codec, pix_fmt, display)
    if name.startswith("mp4-hevc"):
        assert video.colour.get("color_transfer") == "smpte2084" and video.colour.get("color_primaries") == "bt2020"
        assert video.codec_tag == "hvc1"
    if name == "mp4-vfr.mp4":
        assert frame_times(out) == frame_times(src), "variable frame timing kept"
    evidence = detect(out)
    assert evidence.state.value == "present" and not [p for p in evidence.problems if p.is_error], evidence
    assert tuple(evidence.detail["frame"]) == display


def test_container_metadata_and_existing_label_survive_the_reencode(tmp_path: Path) -> None:
    src = CASES / "mp4-ffmpeg-mdta-aigc.mp4"
    out = noticed(src, tmp_path / "o.mp4")
    assert [f.carrier for f in sniff(out).adapter.read_labels(out)] == ["mp4:mdta:AIGC"]
    mkv = SAMPLES / "mkv-h264-aac-subtitle-chapters.mkv"
    out = noticed(mkv, tmp_path / "o.mkv")
    info = streams(out)
    assert [c["tags"]["title"] for c in info["chapters"]] == ["One", "Two"]
    assert [s["codec_type"] for s in info["streams"]] == ["video", "audio", "subtitle"]
    assert info["format"]["tags"].get("title") == "chapters demo"
    assert packet_list(out, "s:0") == packet_list(mkv, "s:0")
    avi = CASES / "avi-third-party-aigc-info.avi"
    out = noticed(avi, tmp_path / "o.avi")
    assert [f.carrier for f in sniff(out).adapter.read_labels(out)] == ["avi:INFO:AIGC"]


def test_relabelling_a_labelled_video_changes_nothing(tmp_path: Path) -> None:
    src = SAMPLES / "webm-vp9-opus.webm"
    first = label_file(src, tmp_path / "1.webm", LabelOptions(producer=PRODUCER, notice=Notice(persist=True)))
    assert first.ok and first.verdict.status == "compliant", first.error
    second = label_file(tmp_path / "1.webm", tmp_path / "2.webm", LabelOptions(producer=PRODUCER))
    assert any("already present" in a for a in second.actions)
    assert (tmp_path / "1.webm").read_bytes() == (tmp_path / "2.webm").read_bytes()


@pytest.mark.parametrize(
    ("pix_fmt", "overlay_format"), [("yuv420p", "yuv420"), ("yuv420p10le", "yuv420p10"), ("yuv444p", "yuv444"), ("nv12", "auto")]
)
def test_the_overlay_works_in_the_source_pixel_format(pix_fmt: str, overlay_format: str) -> None:
    """No per-frame round trip through RGBA (format=auto did that for yuv420p), no 10-bit truncation."""
    from dataclasses import replace

    src = SAMPLES / "mp4-h264-aac-faststart.mp4"
    info = probe.probe(src)
    info = replace(info, streams=tuple(replace(s, pix_fmt=pix_fmt) if s is info.video else s for s in info.streams))
    job = explicit.plan(Notice(), info, "video")
    args = explicit.command(src, Path("banner.png"), Path("out.mp4"), info, job, "mp4", "mp4", [])
    assert f"format={overlay_format}" in args[args.index("-filter:0") + 1]
    assert job.at[0] % 2 == 0 and job.at[1] % 2 == 0, "even position: 4:2:0 overlays would snap an odd one"


def video_bitrate(path: Path) -> int:
    return int(streams(path)["streams"][0]["bit_rate"])


RICH = "testsrc2=size=320x240:rate=25:duration={},noise=alls=10:allf=t"


@pytest.mark.parametrize(
    ("picture", "crf", "encoder"),
    [
        pytest.param(RICH.format(3), "18", "libsvtav1", id="svt-4.7Mbps"),  # the old fixed CRF 30 gave 0.24x
        pytest.param("testsrc2=size=320x240:rate=25:duration=3", "58", "libsvtav1", id="svt-50kbps"),  # CRF 30: 2.7x
        pytest.param(RICH.format(2), "18", "libaom-av1", id="aom-4.7Mbps"),  # CRF 30: 0.25x
    ],
)
def test_av1_bitrate_follows_the_source(picture: str, crf: str, encoder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a fixed CRF: SVT-AV1 targets the source bitrate, libaom caps a constrained quality at it."""
    from labeler import ffmpeg

    available = ffmpeg.encoders()
    if not {"libsvtav1", encoder} <= available:
        pytest.skip(f"this ffmpeg lacks libsvtav1 or {encoder}")
    monkeypatch.setattr(ffmpeg, "encoders", lambda: available - ({"libsvtav1"} if encoder == "libaom-av1" else set()))
    src = tmp_path / "av1.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            picture,
            "-c:v",
            "libsvtav1",
            "-preset",
            "12",
            "-crf",
            crf,
            "-pix_fmt",
            "yuv420p",
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    result = label_file(src, tmp_path / "o.mp4", LabelOptions(producer=PRODUCER))
    assert result.ok and result.verdict.status == "compliant", result.error
    out = streams(tmp_path / "o.mp4")["streams"][0]
    assert out["codec_name"] == "av1" and encoder in out["tags"]["encoder"]
    ratio = video_bitrate(tmp_path / "o.mp4") / video_bitrate(src)
    assert 0.5 < ratio < 2.5, f"bitrate follows the source (ratio {ratio:.2f})"


def test_banner_path_with_filter_graph_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The banner PNG's path is the one thing in the filter graph; TMPDIR may hold any character."""
    import tempfile

    odd = tmp_path / "tmp a:b,c'd[e];f\\g=h%d"
    odd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(odd))
    out = noticed(SAMPLES / "mp4-h264-aac-faststart.mp4", tmp_path / "o.mp4")
    evidence = detect(out)
    assert evidence.state.value == "present" and not evidence.problems, evidence
    assert list(odd.iterdir()) == [], "the banner's scratch folder is removed"
