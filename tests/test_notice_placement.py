"""A notice that breaks a rule is invalid (issue 13 item 6): a notice away from the edges is
``notice.placement`` whatever text sits in the corners; a visible attempt lacking an element
(``即梦AI``, ``模型合成``) is ``notice.missing-element``, not missing. Images drawn by ImageMagick
with the CJK font PyMuPDF ships, read by the OCR extra."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from labeler.labelling import label_file
from labeler.model import Presence
from labeler.roles import LabelOptions
from labeler.verify import verify_file

from .conftest import PRODUCER, detect, error_rules

pytest.importorskip("rapidocr_onnxruntime", reason="OCR backend (extra 'ocr') not installed")
pytestmark = pytest.mark.skipif(shutil.which("convert") is None, reason="ImageMagick not installed")

CAPTION = "摄影：张三 2024"


@pytest.fixture(scope="module")
def font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pymupdf

    path = tmp_path_factory.mktemp("font") / "cjk.ttf"
    path.write_bytes(pymupdf.Font("cjk").buffer)
    return path


def draw(path: Path, font: Path, texts: list[tuple[str, int, str, str]], background: str = "#3a6ea5") -> Path:
    """ImageMagick: each (text, pointsize, gravity, offset) annotated in white on a 1024x768 image."""
    args = ["convert", "-size", "1024x768", f"xc:{background}", "-font", str(font), "-fill", "white"]
    for text, size, gravity, offset in texts:
        args += ["-pointsize", str(size), "-gravity", gravity, "-annotate", offset, text]
    subprocess.run(args + [str(path)], check=True, capture_output=True)
    return path


CASES = {
    # name: (texts, expected error rule or None for a compliant notice)
    "wide-notice-centred-caption-in-corner": (
        [("本图由AI生成", 130, "center", "+0+0"), (CAPTION, 40, "southeast", "+20+20")],
        "notice.placement",
    ),
    "notice-centred-caption-in-corner": (
        [("本图由AI生成", 64, "center", "+0+0"), (CAPTION, 40, "southeast", "+20+20")],
        "notice.placement",
    ),
    "notice-left-of-centre-row": ([("AI生成", 60, "center", "-150+0"), (CAPTION, 40, "northwest", "+20+20")], "notice.placement"),
    "vendor-mark-without-generation": ([("可灵AI", 56, "southeast", "+24+24")], "notice.missing-element"),
    "machine-credit-without-ai": ([("模型合成", 56, "southeast", "+24+24")], "notice.missing-element"),
    "jimeng-mark-and-notice": ([("即梦AI", 50, "southeast", "+24+24"), ("AI生成", 50, "northwest", "+24+24")], None),
    "notice-in-corner-with-caption": ([("豆包AI生成", 56, "southeast", "+24+24"), (CAPTION, 40, "northwest", "+20+20")], None),
    "notice-across-the-bottom": ([("本图片由人工智能生成", 90, "south", "+0+20")], None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_notice_rules_on_drawn_images(case: str, font: Path, tmp_path: Path) -> None:
    texts, rule = CASES[case]
    evidence = detect(draw(tmp_path / "a.png", font, texts))
    assert evidence.state is Presence.PRESENT, evidence
    if rule is None:
        assert error_rules(evidence) == [], evidence
    else:
        assert rule in error_rules(evidence), evidence


def test_ordinary_caption_alone_is_absent(font: Path, tmp_path: Path) -> None:
    evidence = detect(draw(tmp_path / "a.png", font, [(CAPTION, 40, "southeast", "+20+20"), ("AI助手", 40, "northwest", "+20+20")]))
    assert evidence.state is Presence.ABSENT, evidence


@pytest.mark.parametrize(
    ("texts", "rule"),
    [
        ([("本图由AI生成", 64, "center", "+0+0"), (CAPTION, 40, "southeast", "+20+20")], "notice.placement"),
        ([("即梦AI", 56, "southeast", "+24+24")], "notice.missing-element"),
    ],
)
def test_labelled_image_with_a_broken_notice_is_invalid(
    texts: list[tuple[str, int, str, str]], rule: str, font: Path, tmp_path: Path
) -> None:
    src = draw(tmp_path / "src.png", font, texts)
    out = tmp_path / "out.png"
    result = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    verdict = verify_file(out)
    assert verdict.status == "invalid", verdict.to_dict()["explicit"]
    assert rule in [p.rule for p in verdict.problems()]
