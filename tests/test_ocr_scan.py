"""Notice-directed OCR (``labeler.detect.scan``): the coarse scale derived from the rule, refinement
of the lines that can count only, the same verdicts as a full read, and a matching receipt skips OCR."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from labeler.detect import scan
from labeler.detect.geometry import TextHit, judge_hits
from labeler.model import Presence


def test_the_coarse_scale_puts_the_smallest_compliant_glyph_at_coarse_px() -> None:
    stage = scan.coarse(960, 720)
    assert stage.regions == ((0, 0, 960, 720),)
    assert stage.scale * 0.05 * 720 == pytest.approx(scan.COARSE_PX)
    assert scan.coarse(720, 960).scale == stage.scale


@pytest.mark.parametrize(
    ("text", "counts"),
    [("豆包AI生成", True), ("元宝", False), ("人工智能", True), ("合成", True), ("AI-generated", True), ("Ａl生成", True),
     ("限时优惠 立即购买", False), ("CAMPAIGN 2025", False), ("New Arrivals", False)],
)  # fmt: skip
def test_only_lines_with_a_notice_element_are_refined(text: str, counts: bool) -> None:
    assert scan.could_count(text) is counts


def test_overlapping_windows_merge_into_one() -> None:
    assert sorted(scan.merged([(0, 0, 10, 10), (50, 50, 60, 60), (5, 5, 20, 20), (18, 18, 30, 30)])) == [(0, 0, 30, 30), (50, 50, 60, 60)]
    assert scan.merged([(0, 0, 10, 10), (10, 0, 20, 10)]) == [(0, 0, 10, 10), (10, 0, 20, 10)]  # touching is not overlapping


# --- with the OCR engine ------------------------------------------------------------------------------

ocr_only = pytest.mark.skipif(not scan.ocr.available(), reason="OCR backend (extra 'ocr') not installed")


def _picture(text: str | None, ratio: float, position: str, seed: int = 5, size: tuple[int, int] = (1024, 768)) -> Any:
    from .test_image_ocr import background, draw_text

    rng = random.Random(seed)
    image = background(rng, size)
    if text:
        draw_text(image, text, ratio, position, rng, "box")
    return image


def _verdict(hits: list[TextHit], frame: tuple[int, int]) -> tuple[str, list[str]]:
    evidence = judge_hits(hits, frame, "ocr")
    return evidence.state.value, sorted(p.rule for p in evidence.problems if p.is_error)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    detect = scan.detect

    def counted(engine: Any, bgr: Any, stage: scan.Stage) -> list[Any]:
        calls.append(stage.name)
        return detect(engine, bgr, stage)

    monkeypatch.setattr(scan, "detect", counted)
    return calls


@ocr_only
@pytest.mark.parametrize(
    ("position", "ratio"),
    [(p, r) for p in ("top-left", "top", "top-right", "left", "right", "bottom-left", "bottom", "bottom-right") for r in (0.05, 0.1)],
)
def test_notices_at_every_position_and_allowed_size_are_read(position: str, ratio: float, monkeypatch: pytest.MonkeyPatch) -> None:
    image = _picture("本内容由AI生成", ratio, position, seed=int(ratio * 100) + len(position))
    calls = _counting(monkeypatch)
    hits = scan.read_notice_lines(image)
    assert _verdict(hits, image.size) == ("present", []), [h.text for h in hits]
    assert calls == ["coarse", "refine"]  # the notice line is measured in a refined box


@ocr_only
@pytest.mark.parametrize(
    ("text", "ratio", "position", "expected"),
    [
        ("AI生成", 0.03, "bottom-right", ("present", ["notice.too-small"])),
        ("AI生成", 0.08, "centre", ("present", ["notice.placement"])),
        ("限时优惠 立即购买", 0.06, "top-left", ("absent", [])),
        (None, 0.0, "", ("absent", [])),
    ],
)
def test_other_verdicts_are_those_of_the_full_frame_read(
    text: str | None, ratio: float, position: str, expected: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The verdict is the one a full read gives; lines without a notice element are not refined."""
    from labeler.detect import ocr

    image = _picture(text, ratio, position)
    assert _verdict(ocr.read_lines(image), image.size) == expected
    calls = _counting(monkeypatch)
    assert _verdict(scan.read_notice_lines(image), image.size) == expected
    assert calls == (["coarse", "refine"] if text and scan.could_count(text) else ["coarse"])


@ocr_only
def test_a_matching_receipt_skips_ocr_and_a_broken_one_does_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image, ImageDraw

    from labeler import LabelOptions, label_file, verify_file

    from .conftest import PRODUCER

    src = tmp_path / "in.jpg"
    _picture(None, 0.0, "").save(src, quality=90)
    assert label_file(src, tmp_path / "out.jpg", LabelOptions(producer=PRODUCER, ocr_check=False)).ok
    reads: list[int] = []
    monkeypatch.setattr(scan, "read_notice_lines", lambda image: reads.append(1) or [])
    verdict = verify_file(tmp_path / "out.jpg")
    assert verdict.status == "compliant" and verdict.explicit.evidence.detail["method"] == "receipt" and reads == []
    painted = Image.open(tmp_path / "out.jpg")
    ImageDraw.Draw(painted).rectangle([0, 0, painted.width, painted.height], fill=(90, 120, 60))
    painted.save(tmp_path / "painted.jpg", quality=90, exif=painted.info.get("exif", b""))
    from labeler.adapters.image import jpeg

    data = (tmp_path / "painted.jpg").read_bytes()
    packet = jpeg.xmp_packet((tmp_path / "out.jpg").read_bytes())
    assert packet is not None
    (tmp_path / "painted.jpg").write_bytes(jpeg.with_xmp(data, packet))  # the receipt stays, the notice is gone
    evidence = verify_file(tmp_path / "painted.jpg").explicit.evidence
    assert reads == [1] and evidence.state is Presence.ABSENT
    assert "notice.receipt-mismatch" in [p.rule for p in evidence.problems]
