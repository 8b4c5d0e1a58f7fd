"""Icons and favicons: a legible notice would hide them, so labelling refuses with the smallest size
that takes one (rule: the smallest legal notice may cover at most 10 % of the picture)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file
from labeler.render.banner import MAX_COVER, plan_banner

from .conftest import PRODUCER, sha256
from .image_tools import identify, needs_imagemagick, run

pytestmark = needs_imagemagick


def icon(tmp: Path, name: str, size: str) -> Path:
    path = tmp / name
    run("convert", "-size", size, "-seed", "3", "plasma:fractal", str(path))
    return path


@pytest.mark.parametrize(("name", "size"), [("icon.png", "60x40"), ("favicon.gif", "30x20"), ("icon.jpg", "64x48")])
def test_tiny_image_is_refused_with_the_smallest_size(name: str, size: str, tmp_path: Path) -> None:
    src = icon(tmp_path, name, size)
    before = sha256(src)
    out = tmp_path / "out" / name
    result = label_file(src, out, LabelOptions(producer=PRODUCER, ocr_check=False))
    assert not result.ok
    assert size in result.error and "too small" in result.error, result.error
    assert not out.exists() and sha256(src) == before
    need = re.search(r"takes it is (\d+)x(\d+) px", result.error)
    assert need, result.error
    width, height = int(need[1]), int(need[2])
    w, h = map(int, size.split("x"))
    assert abs(width / height - w / h) < 0.05, "the suggestion keeps the picture's shape"
    # the suggestion is true: an image of that size labels and verifies, one pixel less does not
    bigger = icon(tmp_path, "big-" + name, f"{width}x{height}")
    ok = label_file(bigger, tmp_path / "out" / bigger.name, LabelOptions(producer=PRODUCER, ocr_check=False))
    assert ok.ok and ok.verdict.status == "compliant", ok.error
    assert identify(ok.output)[0].split()[:2] == [str(width), str(height)]
    step_down = (min(width, height) - 1) / min(w, h)  # the next smaller picture of the same shape
    with pytest.raises(ValueError, match="too small"):
        plan_banner("AI生成", (int(w * step_down), int(h * step_down)))


def test_tiny_image_can_still_take_the_implicit_label(tmp_path: Path) -> None:
    src = icon(tmp_path, "icon.png", "60x40")
    result = label_file(src, tmp_path / "o.png", LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok and result.verdict.implicit.present, result.error


@pytest.mark.parametrize("frame", [(64, 64), (120, 40), (320, 240), (1920, 1080)])
def test_notice_on_accepted_sizes_covers_at_most_the_limit_at_5_percent(frame: tuple[int, int]) -> None:
    x0, y0, x1, y1 = plan_banner("AI生成", frame, height_ratio=0.05).box
    assert (x1 - x0) * (y1 - y0) <= MAX_COVER * frame[0] * frame[1]
