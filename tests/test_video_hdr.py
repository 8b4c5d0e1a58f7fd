"""Video HDR10: the mastering display (SMPTE ST 2086) and content light level survive the notice
re-encode, in the bitstream (x265, x264, SVT-AV1 parameters) and in the container (copied by ffmpeg),
with the 10-bit pixel format and colour tags; malformed side data is skipped, never fatal.

Sources are made here (tiny, 10-bit, HDR10-tagged) and outputs read back with ffprobe, and for H.264
(whose ffmpeg 5.1 decoder does not export the SEI) with ffmpeg's trace_headers bitstream parser."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file
from labeler.adapters.video import explicit, probe

from .conftest import PRODUCER

pytestmark = pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is the independent reader here")

# BT.2020 primaries (G, B, R), D65, 1000 / 0.005 cd/m², in SEI units (1/50000, 1/10000 cd/m²)
SEI = (8500, 39850, 6550, 2300, 35400, 14600, 15635, 16450, 10000000, 50)
MASTER = "G({},{})B({},{})R({},{})WP({},{})L({},{})".format(*SEI)
MASTER_VALUES = dict(zip(probe.MASTERING_KEYS, [Fraction(v, 50000) for v in SEI[:8]] + [Fraction(v, 10000) for v in SEI[8:]], strict=True))
CLL = (1000, 400)
HDR_TAGS = ["-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc"]
PICTURE = ["-f", "lavfi", "-i", "testsrc2=size=128x72:rate=25:duration=2"]
COLOUR_KEYS = ("pix_fmt", "color_primaries", "color_transfer", "color_space", "color_range")


def make(path: Path, args: list[str]) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *PICTURE, *args, "-pix_fmt", "yuv420p10le", *HDR_TAGS, str(path)], check=True, capture_output=True
    )
    return path


def ffprobe(path: Path, *args: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-select_streams", "v:0", *args, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def side_data(entries: list[dict]) -> tuple[dict, tuple | None]:
    """(mastering display values as exact fractions, (MaxCLL, MaxFALL)) from ffprobe side data."""
    mastering = next((e for e in entries if e["side_data_type"] == "Mastering display metadata"), {})
    light = next((e for e in entries if e["side_data_type"] == "Content light level metadata"), None)
    return {k: Fraction(mastering[k]) for k in probe.MASTERING_KEYS if k in mastering}, light and (
        light["max_content"],
        light["max_average"],
    )


def first_frame(path: Path) -> tuple[dict, tuple | None]:
    return side_data(ffprobe(path, "-read_intervals", "%+#1", "-show_frames")["frames"][0].get("side_data_list", []))


def stream(path: Path) -> dict:
    return ffprobe(path, "-show_streams")["streams"][0]


def labelled(src: Path, out: Path) -> Path:
    result = label_file(src, out, LabelOptions(producer=PRODUCER))  # explicit notice + implicit label
    assert result.ok and result.verdict.status == "compliant", result.error
    return out


def assert_colour_kept(src: Path, out: Path) -> None:
    before, after = stream(src), stream(out)
    assert {k: after.get(k) for k in COLOUR_KEYS} == {k: before.get(k) for k in COLOUR_KEYS}
    assert after["pix_fmt"] == "yuv420p10le" and after["color_transfer"] == "smpte2084"


VISUAL = (b"vp09", b"avc1")  # sample entries with_mdcv_clli extends


def with_mdcv_clli(src: Path, dst: Path) -> Path:
    """``src`` (moov after mdat) with mdcv + clli boxes appended to its visual sample entry, as
    HDR MP4 writers put them; the boxes only grow their ancestors, no chunk offset moves."""
    data = bytearray(src.read_bytes())
    extra = struct.pack(">I4s8H2I", 32, b"mdcv", *SEI) + struct.pack(">I4s2H", 12, b"clli", *CLL)
    chain, start, end = [], 0, len(data)
    while start < end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", *VISUAL):
            chain.append(start)
            if kind in VISUAL:
                break
            start, end = start + (16 if kind == b"stsd" else 8), start + size
        else:
            start += size
    assert data.index(b"mdat") < chain[0] and data[chain[-1] + 4 : chain[-1] + 8] in VISUAL
    size = struct.unpack(">I", data[chain[-1] : chain[-1] + 4])[0]
    data[chain[-1] + size : chain[-1] + size] = extra
    for at in chain:
        data[at : at + 4] = struct.pack(">I", struct.unpack(">I", data[at : at + 4])[0] + len(extra))
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_hevc_hdr10_sei_survives_the_notice(suffix: str, tmp_path: Path) -> None:
    params = f"log-level=error:hdr10=1:master-display={MASTER}:max-cll={CLL[0]},{CLL[1]}"
    src = make(tmp_path / f"hdr10{suffix}", ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", params])
    assert first_frame(src) == (MASTER_VALUES, CLL), "the source carries HDR10 SEI"
    out = labelled(src, tmp_path / f"out{suffix}")
    assert stream(out)["codec_name"] == "hevc"
    assert first_frame(out) == (MASTER_VALUES, CLL)
    assert_colour_kept(src, out)


def test_h264_container_hdr10_is_also_written_as_sei(tmp_path: Path) -> None:
    """The source has HDR10 only in its MP4 boxes; the output's x264 bitstream gets it as SEI too.
    (SEI-only H.264 sources cannot be read: ffmpeg 5.1's H.264 decoder does not export it.)"""
    src = with_mdcv_clli(make(tmp_path / "plain.mp4", ["-c:v", "libx264", "-preset", "ultrafast"]), tmp_path / "hdr10.mp4")
    out = labelled(src, tmp_path / "out.mp4")
    assert side_data(stream(out).get("side_data_list", [])) == (MASTER_VALUES, CLL), "the container's copy is kept"
    # ffmpeg 5.1's H.264 decoder does not export these SEI; its bitstream tracer reads them
    log = subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-i",
            str(out),
            "-map",
            "0:v",
            "-frames:v",
            "1",
            "-c",
            "copy",
            "-bsf:v",
            "trace_headers",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    names = ("display_primaries", "white_point", "mastering_luminance", "light_level")
    traced = {line.split()[-4]: int(line.split()[-1]) for line in log.splitlines() if any(n in line for n in names)}
    assert [traced[f"display_primaries_{a}[{i}]"] for i in range(3) for a in "xy"] == list(SEI[:6])
    assert (traced["white_point_x"], traced["white_point_y"]) == SEI[6:8]
    assert (traced["max_display_mastering_luminance"], traced["min_display_mastering_luminance"]) == SEI[8:]
    assert (traced["max_content_light_level"], traced["max_pic_average_light_level"]) == CLL
    assert_colour_kept(src, out)


def test_av1_hdr10_metadata_obus_survive_the_notice(tmp_path: Path) -> None:
    plain = "G(0.17,0.797)B(0.131,0.046)R(0.708,0.292)WP(0.3127,0.329)L(1000,0.005)"
    src = make(
        tmp_path / "hdr10.mkv",
        ["-c:v", "libsvtav1", "-preset", "12", "-svtav1-params", f"mastering-display={plain}:content-light={CLL[0]},{CLL[1]}"],
    )
    before = first_frame(src)
    assert before[0] and before[1] == CLL, "the source carries HDR10 metadata OBUs"
    out = labelled(src, tmp_path / "out.mkv")
    assert stream(out)["codec_name"] == "av1"
    assert first_frame(out) == before, "AV1 fixed-point values round-trip exactly"
    assert_colour_kept(src, out)


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])
def test_vp9_container_hdr10_survives_the_notice(suffix: str, tmp_path: Path) -> None:
    """VP9 has no in-band carrier: the container's copy (MP4 SmDm/CoLL, Matroska Colour) is kept by
    ffmpeg because the overlay is the stream's own filter (a -filter_complex output loses it)."""
    plain = make(tmp_path / "plain.mp4", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"])
    src = with_mdcv_clli(plain, tmp_path / "hdr10.mp4")
    if suffix == ".webm":
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), "-c", "copy", str(tmp_path / "hdr10.webm")], check=True)
        src = tmp_path / "hdr10.webm"
    assert side_data(stream(src).get("side_data_list", [])) == (MASTER_VALUES, CLL), "the source container carries HDR10"
    out = labelled(src, tmp_path / f"out{suffix}")
    assert stream(out)["codec_name"] == "vp9"
    assert side_data(stream(out).get("side_data_list", [])) == (MASTER_VALUES, CLL)
    assert_colour_kept(src, out)


def test_encoder_parameters_are_merged_not_repeated() -> None:
    hdr = probe.Hdr(tuple(MASTER_VALUES.values()), CLL)
    video = probe.Stream(0, "video", "hevc", 128, 72, "yuv420p10le", bit_rate=500_000, hdr=hdr)
    if "libx265" not in explicit.ffmpeg.encoders():
        pytest.skip("this ffmpeg has no libx265")
    encoder, args = explicit.encoder_for(video, "mp4")
    assert encoder == "libx265" and args.count("-x265-params") == 1
    assert args[args.index("-x265-params") + 1] == f"log-level=error:master-display={MASTER}:max-cll=1000,400:hdr10=1"
    assert explicit.hdr_pairs("libvpx-vp9", hdr) is None, "libvpx has no HDR parameters (the container keeps them)"
    assert explicit.hdr_pairs("libx265", None) is None


def test_conversion_to_encoder_units_is_exact() -> None:
    # Matroska stores floats: ffprobe prints reduced fractions (17/25 is 34000/50000)
    values = (
        Fraction(53, 200),
        Fraction(69, 100),
        Fraction(3, 20),
        Fraction(3, 50),
        Fraction(17, 25),
        Fraction(8, 25),
        Fraction(3127, 10000),
        Fraction(329, 1000),
        Fraction(1000),
        Fraction(1, 200),
    )
    assert explicit.sei_mastering(values) == "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)"
    av1 = (Fraction(44564, 65536),) * 8 + (Fraction(256000, 256), Fraction(82, 16384))
    assert (
        explicit.plain_mastering(av1)
        == "G(0.67999267578125,0.67999267578125)B(0.67999267578125,0.67999267578125)R(0.67999267578125,0.67999267578125)WP(0.67999267578125,0.67999267578125)L(1000.0,0.0050048828125)"
    )


def entry(**changes: object) -> dict:
    good = {"side_data_type": "Mastering display metadata", **{k: f"{v.numerator}/{v.denominator}" for k, v in MASTER_VALUES.items()}}
    return {k: v for k, v in {**good, **changes}.items() if v is not None}


LIGHT = {"side_data_type": "Content light level metadata", "max_content": 1000, "max_average": 400}


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([entry(), LIGHT], probe.Hdr(tuple(MASTER_VALUES.values()), CLL)),
        ([entry(red_x="34000/0"), LIGHT], probe.Hdr(None, CLL)),  # zero denominator
        ([entry(red_x=None)], None),  # partial: has_primaries without every value
        ([entry(max_luminance=None, min_luminance=None)], None),  # has_luminance unset
        ([entry(green_y="-1/2")], None),
        ([entry(green_y="3/2")], None),  # chromaticity above 1
        ([entry(white_point_x="1e999999999")], None),  # would compute a giant power
        ([entry(white_point_x="nan")], None),
        ([entry(white_point_x=True)], None),
        ([entry(max_luminance="0/1")], None),
        ([entry(min_luminance="2000/1")], None),  # min above max
        ([entry(max_luminance=str(10**18))], None),  # beyond the 32-bit SEI field
        ([{**LIGHT, "max_content": 70000}], None),
        ([{**LIGHT, "max_content": "1000.5"}], None),
        ([{**LIGHT, "max_content": 0, "max_average": 0}], None),  # 0,0 = unknown
        ([{**LIGHT, "max_average": None}], None),
        ("garbage", None),
        ([None, 3, "x", {}], None),
        (None, None),
        ([{"side_data_type": "Display Matrix", "rotation": -90}], None),
    ],
)
def test_malformed_hdr_side_data_is_skipped(entries: object, expected: probe.Hdr | None) -> None:
    assert probe.hdr_from_side_data(entries) == expected
