"""OCR detection of third-party notices (rapidocr-onnxruntime, extra ``ocr``): the rules on what it
reads, and (slow) recall / false-positive rates on a generated mixed set."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from labeler import verify_file
from labeler.adapters.image import jpeg
from labeler.detect.ocr import normalise_text
from labeler.model import Presence
from labeler.registry import sniff

from .conftest import FIXTURES

pytest.importorskip("rapidocr_onnxruntime", reason="OCR backend (extra 'ocr') not installed")

LABELLED_XMP = jpeg.xmp_packet((FIXTURES / "cases/image/jpeg-xmp-tc260.jpg").read_bytes())
NOTICES = ["AI生成", "豆包AI生成", "本内容由人工智能生成", "由AI合成", "人工智能合成", "千问AI生成", "即梦AI生成", "内容由AI生成"]
ORDINARY = [
    "春季新品发布会",
    "Spring Sale 50% OFF",
    "联系电话 400-123-4567",
    "AI Conference 2025",
    "欢迎光临",
    "生日快乐",
    "限时优惠 立即购买",
    "北京欢迎你",
    "New Arrivals",
    "人工智能大会",
]
CORNERS = ["top-left", "top-right", "bottom-left", "bottom-right", "bottom", "top", "left", "right"]


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    import pymupdf

    return ImageFont.truetype(io.BytesIO(pymupdf.Font(name).buffer), size)


def background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Photo-like: smooth colour field, random blobs, sensor noise, slight blur."""
    width, height = size
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.zeros((height, width, 3), np.float32)
    for channel in range(3):
        a, b, c = (rng.uniform(-1, 1) for _ in range(3))
        base[..., channel] = 128 + 90 * np.sin(a * x / width * 3 + b * y / height * 3 + c * 6)
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 9)):
        cx, cy, r = rng.randrange(width), rng.randrange(height), rng.randint(10, max(12, width // 5))
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.5)))
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(2, 8), (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + noise, 0, 255).astype(np.uint8))


def draw_text(image: Image.Image, text: str, ratio: float, position: str, rng: random.Random, style: str) -> tuple[int, int, int, int]:
    """A third-party-style notice (not labeler's renderer): returns its box."""
    width, height = image.size
    target = ratio * min(width, height)
    cjk = _font("cjk", 100)
    _, top, _, bottom = cjk.getbbox(text)
    font = _font("cjk", max(6, round(100 * target / (bottom - top))))
    latin = _font(rng.choice(["helv", "hebo", "tiro"]), font.size) if rng.random() < 0.4 else None
    stroke = max(1, font.size // 12) if style in ("stroke", "bold") else 0
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    pad = round(font.size * rng.uniform(0.15, 0.4))
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    margin = round(min(width, height) * rng.uniform(0.01, 0.04))
    vertical, horizontal = (
        (position.split("-") + [""])[:2] if "-" in position else ((position, "") if position in ("top", "bottom") else ("", position))
    )
    x = margin if horizontal == "left" else width - w - margin if horizontal == "right" else (width - w) // 2
    y = margin if vertical == "top" else height - h - margin if vertical == "bottom" else (height - h) // 2
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    fill: tuple[int, ...] = (255, 255, 255, 255)
    if style == "box":
        draw.rounded_rectangle([x, y, x + w, y + h], radius=pad, fill=(0, 0, 0, rng.randint(110, 200)))
    elif style == "light-box":
        draw.rectangle([x, y, x + w, y + h], fill=(255, 255, 255, 220))
        fill = (rng.randint(0, 60), rng.randint(0, 60), rng.randint(0, 60), 255)
    elif style == "colour":
        draw.rectangle([x, y, x + w, y + h], fill=(20, 20, 40, 170))
        fill = rng.choice([(255, 220, 0, 255), (120, 255, 255, 255), (255, 180, 200, 255)])
    if latin is not None and text.startswith("AI"):
        draw.text((x + pad - left, y + pad - top), text, font=font, fill=fill, stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    else:
        draw.text((x + pad - left, y + pad - top), text, font=font, fill=fill, stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    if style == "bold":
        draw.text((x + pad - left + 1, y + pad - top), text, font=font, fill=fill)
    image.paste(Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB"))
    return x, y, x + w, y + h


def jpeg_file(path: Path, image: Image.Image, quality: int, labelled: bool = True) -> Path:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    data = buffer.getvalue()
    path.write_bytes(jpeg.with_xmp(data, LABELLED_XMP) if labelled else data)
    return path


def test_normalisation_fixes_common_misreads() -> None:
    assert normalise_text("Al生成") == "AI生成"
    assert normalise_text("ＡＩ生成") == "AI生成"
    assert normalise_text("A1合成") == "AI合成"
    assert normalise_text("Alice") == "Alice"


@pytest.mark.parametrize(
    ("text", "ratio", "position", "status", "rule"),
    [
        ("豆包AI生成", 0.07, "bottom-right", "compliant", None),
        ("ＡＩ生成", 0.07, "top-left", "compliant", None),
        ("AI生成", 0.03, "bottom-right", "invalid", "notice.too-small"),
        ("AI生成", 0.08, "centre", "invalid", "notice.placement"),
        ("AI-generated", 0.07, "bottom-right", "invalid", "notice.english-only"),
    ],
)
def test_ocr_applies_the_rules(text: str, ratio: float, position: str, status: str, rule: str | None, tmp_path: Path) -> None:
    rng = random.Random(7)
    image = background(rng, (1024, 768))
    draw_text(image, text, ratio, "centre" if position == "centre" else position, rng, "box")
    verdict = verify_file(jpeg_file(tmp_path / "t.jpg", image, 85))
    assert verdict.status == status, verdict.to_dict()["explicit"]
    evidence = verdict.explicit.evidence
    assert evidence.state is Presence.PRESENT and evidence.detail["method"] == "ocr"
    if rule:
        assert rule in [p.rule for p in evidence.problems]
    else:
        assert abs(evidence.detail["height_ratio"] - ratio) < 0.015


def test_photo_without_text_is_absent(tmp_path: Path) -> None:
    path = jpeg_file(tmp_path / "p.jpg", background(random.Random(3), (800, 600)), 85)
    evidence = sniff(path).adapter.detect_explicit(path)
    assert evidence.state is Presence.ABSENT and verify_file(path).status == "missing-explicit"


@pytest.mark.slow
def test_recall_and_false_positive_rate_on_a_mixed_set(tmp_path: Path) -> None:
    """60 third-party notices and 60 unlabelled images (30 photo-like, 30 with ordinary text)."""
    rng = random.Random(2025)
    sizes = [(1024, 768), (768, 1024), (800, 800), (1280, 720), (640, 480)]
    styles = ["stroke", "box", "light-box", "colour", "bold"]
    found = 0
    misses = []
    for index in range(60):
        image = background(rng, rng.choice(sizes))
        text, position, style = rng.choice(NOTICES), CORNERS[index % len(CORNERS)], styles[index % len(styles)]
        ratio = rng.uniform(0.05, 0.10)
        draw_text(image, text, ratio, position, rng, style)
        path = jpeg_file(tmp_path / f"pos-{index}.jpg", image, rng.randint(70, 95))
        evidence = sniff(path).adapter.detect_explicit(path)
        ok = evidence.state is Presence.PRESENT and not any(p.is_error for p in evidence.problems)
        found += ok
        if not ok:
            misses.append((text, position, style, round(ratio, 3), evidence.summary))
    false_positives = []
    for index in range(60):
        image = background(rng, rng.choice(sizes))
        if index % 2:
            text = rng.choice(ORDINARY)
            draw_text(image, text, rng.uniform(0.04, 0.12), rng.choice(CORNERS + ["centre"]), rng, rng.choice(styles))
        path = jpeg_file(tmp_path / f"neg-{index}.jpg", image, rng.randint(70, 95))
        evidence = sniff(path).adapter.detect_explicit(path)
        if evidence.state is Presence.PRESENT:
            false_positives.append(evidence.summary)
    recall, fp_rate = found / 60, len(false_positives) / 60
    print(
        f"OCR recall {recall:.1%} ({found}/60), false positives {fp_rate:.1%} ({len(false_positives)}/60); misses: {misses}; fps: {false_positives}"
    )
    assert recall >= 0.95, misses
    assert fp_rate <= 0.02, false_positives


def test_label_skips_a_third_party_notice_and_no_ocr_check_adds_ours(tmp_path: Path) -> None:
    from labeler import LabelOptions, label_file

    from .conftest import PRODUCER

    rng = random.Random(11)
    image = background(rng, (1024, 768))
    draw_text(image, "豆包AI生成", 0.07, "bottom-right", rng, "box")
    src = jpeg_file(tmp_path / "doubao.jpg", image, 90, labelled=False)
    checked = label_file(src, tmp_path / "checked.jpg", LabelOptions(producer=PRODUCER))
    assert checked.ok and any(a.startswith("explicit notice already present") for a in checked.actions), checked.actions
    fast = label_file(src, tmp_path / "fast.jpg", LabelOptions(producer=PRODUCER, ocr_check=False))
    assert fast.ok and any(a.startswith("add explicit notice") for a in fast.actions), fast.actions
    assert fast.verdict.status == "compliant" and fast.verdict.explicit.evidence.detail["method"] == "receipt"
