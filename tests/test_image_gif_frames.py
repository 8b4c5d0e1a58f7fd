"""Animated GIF notice: every frame, its duration, disposal (2 and 3), the loop count, transparency
and local palettes survive, and every displayed frame shows the notice. Inputs made by ImageMagick;
outputs read by ImageMagick (identify, -coalesce) and exiftool."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from labeler import LabelOptions, label_file
from labeler.detect.receipt import BOX_MAX, INK_MIN
from labeler.render.banner import Receipt, glyph_mask

from .conftest import PRODUCER, sha256
from .image_tools import identify, lost_tags, needs_exiftool, needs_imagemagick, run

pytestmark = [needs_imagemagick, needs_exiftool]
FRAME_FORMAT = "%T %D %W %H %X %Y\\n"  # delay, disposal, canvas size, page offset (per frame)


def layer(tmp: Path, name: str, *spec: str) -> str:
    path = tmp / f"{name}.png"
    run("convert", *spec, f"PNG32:{path}")
    return str(path)


def showcase(tmp: Path) -> Path:
    """Disposal none/previous/background, sub-rectangle frames at offsets, transparency, a
    256-colour frame with its own palette, two identical consecutive frames, loop count 3."""
    bg = layer(tmp, "bg", "-size", "200x150", "gradient:skyblue-white")
    red = layer(tmp, "red", "-size", "40x40", "xc:none", "-fill", "red", "-draw", "circle 20,20 20,2")
    blue = layer(tmp, "blue", "-size", "40x40", "xc:blue")
    plasma = layer(tmp, "plasma", "-size", "200x150", "-seed", "5", "plasma:fractal")
    out = tmp / "showcase.gif"
    run("convert", "-loop", "3",
        "-dispose", "none", "-delay", "20", "-page", "+0+0", bg,
        "-dispose", "previous", "-delay", "30", "-page", "+20+20", red,
        "-dispose", "background", "-delay", "40", "-page", "+150+100", blue,
        "-dispose", "none", "-delay", "10", "-page", "+0+0", plasma,
        "-delay", "10", "-page", "+0+0", plasma,
        "-dispose", "background", "-delay", "50", "-page", "+0+0", bg,
        "-dispose", "none", "-delay", "15", "-page", "+30+30", red,
        str(out))  # fmt: skip
    return out


def bouncing(tmp: Path) -> Path:
    """A full first frame, then small frames far from the notice corner, each cleared to the
    background after it is shown (disposal 2): the notice must be redrawn in every one."""
    bg = layer(tmp, "bgt", "-size", "160x120", "xc:none", "-fill", "green", "-draw", "rectangle 0,0 40,40")
    ball = layer(tmp, "ball", "-size", "24x24", "xc:none", "-fill", "red", "-draw", "circle 12,12 12,1")
    args = ["-loop", "0", "-dispose", "background", "-delay", "10", "-page", "+0+0", bg]
    for x in (10, 40, 70, 40):
        args += ["-delay", "10", "-page", f"+{x}+10", ball]
    out = tmp / "bouncing.gif"
    run("convert", *args, str(out))
    return out


def local_tables(path: Path) -> list[bool]:
    """For each image block, whether it has a local colour table (GIF89a block layout)."""
    data = path.read_bytes()
    pos, found = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0), []
    while data[pos] != 0x3B:
        if data[pos] == 0x21:
            pos += 2
        else:
            flags = data[pos + 9]
            found.append(bool(flags & 0x80))
            pos += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1
        while data[pos]:
            pos += 1 + data[pos]
        pos += 1
    return found


def coalesced(path: Path, tmp: Path) -> list[np.ndarray]:
    prefix = tmp / f"{path.stem}-{path.parent.name}"
    run("convert", str(path), "-coalesce", f"PNG32:{prefix}-%03d.png")
    return [np.asarray(Image.open(p).convert("RGBA")) for p in sorted(tmp.glob(f"{prefix.name}-*.png"))]


def label(src: Path, tmp: Path) -> tuple[Path, Receipt]:
    out = tmp / "out" / src.name
    result = label_file(src, out, LabelOptions(producer=PRODUCER, ocr_check=False))
    assert result.ok, result.error
    assert result.verdict.status == "compliant", result.verdict.to_dict()
    return out, Receipt.from_json(run("exiftool", "-s3", "-XMP-lbln:NoticeReceipt", str(out)).strip())


def check_frames(src: Path, out: Path, tmp: Path, receipt: Receipt, full_palette: frozenset[int] = frozenset()) -> None:
    """Coalesced frames equal outside the notice; ``full_palette`` frames (all 256 colours in use)
    may differ by the one merge of their two closest colours per notice colour: a few levels."""
    x0, y0, x1, y1 = receipt.box
    before, after = coalesced(src, tmp), coalesced(out, tmp)
    assert len(before) == len(after) == len(identify(src))
    ink = np.asarray(glyph_mask(receipt)) >= 250
    for number, (a, b) in enumerate(zip(before, after, strict=True)):
        keep = np.ones(a.shape[:2], bool)
        keep[y0:y1, x0:x1] = False
        visible = (a[..., 3] > 0) | (b[..., 3] > 0)
        if number in full_palette:
            diff = np.abs(a.astype(int) - b.astype(int)).max(axis=2)[keep & visible]
            assert diff.max() <= 16 and (diff > 0).mean() < 0.02, f"frame {number}: {diff.max()} levels on {(diff > 0).mean():.1%}"
        else:
            assert np.array_equal(a[keep & visible], b[keep & visible]), f"frame {number} changed outside the notice"
        assert np.array_equal(a[..., 3][keep], b[..., 3][keep]), f"frame {number} transparency changed"
        region = b[y0:y1, x0:x1]
        lum = region[..., :3] @ np.array([0.299, 0.587, 0.114])
        assert (region[..., 3] == 255).all(), f"frame {number}: the notice is not opaque"
        assert (lum[ink] >= INK_MIN).mean() > 0.95 and (lum[~ink] <= BOX_MAX).mean() > 0.8, f"frame {number}: no notice"
    assert lost_tags(src, out) == {}
    transparent = ["exiftool", "-a", "-s3", "-GIF:TransparentColor"]
    assert run(*transparent, str(out)) == run(*transparent, str(src))


def test_showcase_gif_keeps_frames_timing_disposal_palettes_and_transparency(tmp_path: Path) -> None:
    src = showcase(tmp_path)
    before = sha256(src)
    out, receipt = label(src, tmp_path)
    assert sha256(src) == before
    assert identify(out, FRAME_FORMAT) == identify(src, FRAME_FORMAT)
    assert identify(src, "%D\\n").count("Previous") == 1 and identify(src, "%D\\n").count("Background") == 2
    assert local_tables(out) == local_tables(src) and any(local_tables(src))
    check_frames(src, out, tmp_path, receipt, full_palette=frozenset({3, 4}))
    assert run("exiftool", "-s3", "-AnimationIterations", str(out)) == run("exiftool", "-s3", "-AnimationIterations", str(src))


def test_frames_cleared_to_background_each_get_the_notice(tmp_path: Path) -> None:
    src = bouncing(tmp_path)
    out, receipt = label(src, tmp_path)
    assert [line.split()[:2] for line in identify(out, FRAME_FORMAT)] == [line.split()[:2] for line in identify(src, FRAME_FORMAT)]
    check_frames(src, out, tmp_path, receipt)


def test_identical_frames_and_a_full_palette_survive(tmp_path: Path) -> None:
    """Runs of identical frames (Pillow's writer merged these: 31 became 22), each a 256-colour photo."""
    plasma = layer(tmp_path, "p", "-size", "120x90", "-seed", "9", "plasma:fractal")
    other = layer(tmp_path, "q", "-size", "120x90", "-seed", "10", "plasma:fractal")
    frames = [plasma if i % 6 < 3 else other for i in range(12)]
    src = tmp_path / "photo.gif"
    run("convert", "-loop", "0", "-delay", "7", *frames, str(src))
    out, receipt = label(src, tmp_path)
    assert len(identify(out)) == 12
    assert run("exiftool", "-s3", "-FrameCount", "-Duration", str(out)) == run("exiftool", "-s3", "-FrameCount", "-Duration", str(src))
    check_frames(src, out, tmp_path, receipt, full_palette=frozenset(range(12)))


def test_unknown_structure_is_copied(tmp_path: Path) -> None:
    """Comments and application extensions other than the loop count are copied byte for byte."""
    src = showcase(tmp_path)
    data = src.read_bytes()
    comment = b"\x21\xfe" + bytes([11]) + b"hello world" + b"\0"
    app = b"\x21\xff\x0bTESTAPP1.00" + b"\x03abc\0"
    at = data.index(b"\x21\xf9")
    src.write_bytes(data[:at] + comment + app + data[at:])
    out, _ = label(src, tmp_path)
    assert comment in out.read_bytes() and app in out.read_bytes()
