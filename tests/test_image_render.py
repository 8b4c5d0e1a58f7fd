"""The notice renderer: glyph height, positions, refusals, font coverage."""

from __future__ import annotations

import numpy as np
import pytest

from labeler.errors import LabelFormatError
from labeler.render import (
    MIN_HEIGHT_RATIO,
    POSITIONS,
    Receipt,
    draw_patch,
    plan_banner,
    render_banner,
)
from labeler.render.banner import MIN_GLYPH_PX


def ink_rows(patch) -> int:
    ink = np.asarray(patch)[..., 0] > 128
    rows = np.where(ink.any(axis=1))[0]
    return int(rows[-1] - rows[0] + 1)


@pytest.mark.parametrize("frame", [(320, 240), (240, 320), (1024, 1024), (4000, 3000)])
def test_glyph_height_is_at_least_the_ratio(frame: tuple[int, int]) -> None:
    banner = render_banner("AI生成", frame)
    measured = ink_rows(banner.patch)
    assert measured >= 0.06 * min(frame) - 1  # default 6 %, measured on the drawn pixels
    assert banner.receipt.height_ratio >= MIN_HEIGHT_RATIO


def test_five_percent_is_met_on_a_1024_square() -> None:
    banner = render_banner("本内容由人工智能生成", (1024, 1024), height_ratio=0.05)
    assert banner.receipt.glyph_height >= 52  # the spec's worked example
    assert ink_rows(banner.patch) >= 51


@pytest.mark.parametrize("position", POSITIONS)
def test_positions_land_at_the_edges(position: str) -> None:
    width, height = 640, 480
    x0, y0, x1, y1 = plan_banner("AI生成", (width, height), position).box
    horizontal = {"left": x0 < width * 0.1, "right": x1 > width * 0.9}
    vertical = {"top": y0 < height * 0.1, "bottom": y1 > height * 0.9}
    for part in position.split("-"):
        assert {**horizontal, **vertical}[part], (position, (x0, y0, x1, y1))
    if position in ("top", "bottom"):
        assert abs((x0 + x1) / 2 - width / 2) <= 1
    if position in ("left", "right"):
        assert abs((y0 + y1) / 2 - height / 2) <= 1


@pytest.mark.parametrize("ratio", [0.049, 0.01, 0.0, float("nan")])
def test_too_small_ratio_is_refused(ratio: float) -> None:
    with pytest.raises(LabelFormatError, match="5%"):
        plan_banner("AI生成", (640, 480), height_ratio=ratio)


def test_unknown_position_is_refused() -> None:
    with pytest.raises(LabelFormatError, match="bottom-right"):
        plan_banner("AI生成", (640, 480), "middle")


def test_tiny_frame_is_a_clear_error() -> None:
    with pytest.raises(LabelFormatError, match="32x24"):
        plan_banner("本内容由人工智能生成", (32, 24))


def test_short_text_fits_a_small_banner_image() -> None:
    receipt = plan_banner("AI生成", (120, 40), "left")
    assert receipt.glyph_height >= MIN_GLYPH_PX


def test_characters_missing_from_the_font_fail_loudly() -> None:
    with pytest.raises(LabelFormatError, match="glyph"):
        plan_banner("AI生成\U0001f600", (640, 480))


def test_receipt_round_trips_and_redraws_identically() -> None:
    banner = render_banner("AI生成", (800, 600), "top-left", 0.08)
    again = Receipt.from_json(banner.receipt.to_json())
    assert again == banner.receipt
    assert draw_patch(again).tobytes() == banner.patch.tobytes()


@pytest.mark.parametrize(
    "bad",
    [
        '{"version":2}',
        "[]",
        '{"version":1,"text":"x"}',
        '{"version":1,"text":"x","frame":[1,1],"box":[5,5,1,1],"position":"top","font":"cjk","size":9,"glyph_height":8,"origin":[0,0]}',
    ],
)
def test_foreign_or_broken_receipts_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        Receipt.from_json(bad)
