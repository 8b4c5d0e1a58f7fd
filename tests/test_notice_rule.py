"""One notice rule for every text-bearing family (``labeler.noticerule``): a short statement holding
both elements close together, not negated, placed as a notice. Inputs are written by the test,
python-docx and reportlab; labeler only adds the metadata label for the end-to-end verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from labeler import LabelFormatError, Notice
from labeler.labelling import label_file
from labeler.model import Presence
from labeler.noticerule import read_unit
from labeler.registry import sniff
from labeler.roles import LabelOptions
from labeler.verify import verify_file

from .conftest import PRODUCER

BODY = "近年来，生成式人工智能技术发展迅速，但本店的每一张海报都由设计师手工绘制。"
LONG_BODY = "据统计，2025年已有超过一半的网络图片由AI生成，监管部门要求各平台加强标识管理并定期公布抽查结果。"
NOTICES = [
    "本内容由人工智能生成",
    "AI生成",
    "由AI合成",
    "豆包AI生成",
    "本文由AI生成，仅供参考",
    "ＡＩ生成",
    "本内容由人工智能技术辅助生成",
    "AI-generated / AI生成",
]
NEGATED = [
    "不是AI生成",
    "非人工智能合成",
    "本图非AI生成，由设计师手工绘制",
    "这张海报不是AI生成的",
    "本店海报由设计师手工绘制，拒绝AI生成",
    "本文未使用AI生成",
]
LOOKALIKES = ["生成式AI", "AI合成器", "AI生成的内容需要标识", "如何用AI生成图片？", BODY, LONG_BODY]
FILLER = "这是一段普通的正文，讲述本店的历史与海报设计的经验。" * 6


@pytest.mark.parametrize("text", NOTICES)
def test_true_notices_are_notices(text: str) -> None:
    assert read_unit(text).kind == "notice", read_unit(text)


@pytest.mark.parametrize("text", NEGATED + LOOKALIKES)
def test_negations_lookalikes_and_body_text_are_not(text: str) -> None:
    reading = read_unit(text)
    assert reading.kind == "none", reading
    assert reading.reason


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("模型合成", "AI element"),
        ("由大模型生成", "AI element"),
        ("即梦AI", "generation element"),
        ("可灵AI", "generation element"),
        ("AI创作", "generation element"),
    ],
)
def test_attempts_lacking_an_element(text: str, missing: str) -> None:
    reading = read_unit(text)
    assert reading.kind == "attempt" and missing in reading.missing[0]


@pytest.mark.parametrize("text", ["一键生成", "AI助手", "图片合成", "生成式AI技术的发展"])
def test_ordinary_short_text_is_not_an_attempt(text: str) -> None:
    assert read_unit(text).kind == "none"


def test_labelling_refuses_a_notice_text_the_verifier_would_reject() -> None:
    for text in ("不是AI生成", "AI生成" + "的说明文字" * 8):
        with pytest.raises(LabelFormatError, match="refused"):
            Notice(text=text).validated()


def _detect(path: Path):  # type: ignore[no-untyped-def]
    sniffed = sniff(path)
    assert sniffed is not None
    return sniffed.adapter.detect_explicit(path)


# --- text, Markdown, HTML, subtitles --------------------------------------------------------------

TEXT_CASES = {
    # name: (file name, content, expected state)
    "txt-notice-first-line": ("a.txt", f"本文由AI生成，仅供参考\n{FILLER}\n", Presence.PRESENT),
    "txt-notice-last-line": ("a.txt", f"{FILLER}\n豆包AI生成\n", Presence.PRESENT),
    "txt-notice-first-sentence": ("a.txt", f"本内容由人工智能生成。{FILLER}\n", Presence.PRESENT),
    "txt-body-sentence": ("a.txt", f"{BODY}\n{FILLER}\n", Presence.ABSENT),
    "txt-long-body-first": ("a.txt", f"{LONG_BODY}{FILLER}\n", Presence.ABSENT),
    "txt-negated-first-line": ("a.txt", f"本图不是AI生成\n{FILLER}\n", Presence.ABSENT),
    "txt-notice-in-the-middle-of-a-long-text": ("a.txt", f"{FILLER}\n{FILLER}\nAI生成\n{FILLER}\n{FILLER}\n", Presence.ABSENT),
    "md-notice-paragraph": ("a.md", f"# 标题\n\n由AI合成\n\n{FILLER}\n", Presence.PRESENT),
    "md-soft-wrapped-body": (
        "a.md",
        f"# 标题\n\n据统计，2025年已有超过一半的网络图片\n由AI生成，监管部门要求加强管理。\n\n{FILLER}\n",
        Presence.ABSENT,
    ),
    "md-negated": ("a.md", f"> 非人工智能合成\n\n{FILLER}\n", Presence.ABSENT),
    "html-notice-paragraph": ("a.html", f"<html><body><p>本内容由<b>人工智能</b>生成</p><p>{FILLER}</p></body></html>", Presence.PRESENT),
    "html-notice-footer": (
        "a.html",
        f"<html><body><p>{FILLER}</p><p>{FILLER}</p><footer><small>本页面由AI生成</small></footer><p>{FILLER}</p></body></html>",
        Presence.PRESENT,
    ),
    "html-figcaption-mid-page": (
        "a.html",
        f"<html><body><p>{FILLER}</p><figure><img src=x.png><figcaption>此图由AI生成</figcaption></figure><p>{FILLER}</p></body></html>",
        Presence.PRESENT,
    ),
    "html-body-sentence": ("a.html", f"<html><body><p>{BODY}</p><p>{FILLER}</p></body></html>", Presence.ABSENT),
    "html-negated": ("a.html", f"<html><body><h1>本店海报非AI生成</h1><p>{FILLER}</p></body></html>", Presence.ABSENT),
    "srt-notice-cue": (
        "a.srt",
        "1\n00:00:00,000 --> 00:00:03,000\n本视频由AI生成\n\n2\n00:00:03,000 --> 00:00:06,000\n大家好\n",
        Presence.PRESENT,
    ),
    "srt-negated-cue": (
        "a.srt",
        "1\n00:00:00,000 --> 00:00:03,000\n这段视频不是AI合成的\n\n2\n00:00:03,000 --> 00:00:06,000\n大家好\n",
        Presence.ABSENT,
    ),
}


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_text_families(case: str, tmp_path: Path) -> None:
    name, content, expected = TEXT_CASES[case]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    evidence = _detect(path)
    assert evidence.state is expected, evidence
    assert not any(p.is_error for p in evidence.problems)


def test_absent_evidence_says_why_a_near_miss_is_not_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"本图不是AI生成\n{FILLER}\n", encoding="utf-8")
    assert "negated" in _detect(path).summary


# --- DOCX (python-docx) ---------------------------------------------------------------------------


def _docx(path: Path, paragraphs: list[tuple[str, str | None]], footer: str | None = None) -> Path:
    import docx

    document = docx.Document()
    for text, style in paragraphs:
        document.add_paragraph(text, style=style)
    if footer is not None:
        document.sections[0].footer.paragraphs[0].text = footer
    document.save(str(path))
    return path


DOCX_CASES = {
    "notice-first": ([("本文由AI生成，仅供参考", None)] + [(FILLER, None)] * 8, None, Presence.PRESENT),
    "notice-in-footer": ([(FILLER, None)] * 12, "本内容由人工智能生成", Presence.PRESENT),
    "notice-as-caption": ([(FILLER, None)] * 6 + [("图1：AI合成", "Caption")] + [(FILLER, None)] * 6, None, Presence.PRESENT),
    "body-sentence-first": ([(BODY, None)] + [(FILLER, None)] * 8, None, Presence.ABSENT),
    "body-paragraph-first": ([(LONG_BODY + FILLER, None)] + [(FILLER, None)] * 8, None, Presence.ABSENT),
    "negated-first": ([("本手册非人工智能合成", None)] + [(FILLER, None)] * 8, None, Presence.ABSENT),
    "notice-mid-document": ([(FILLER, None)] * 6 + [("AI生成", None)] + [(FILLER, None)] * 6, None, Presence.ABSENT),
}


@pytest.mark.parametrize("case", sorted(DOCX_CASES))
def test_docx(case: str, tmp_path: Path) -> None:
    paragraphs, footer, expected = DOCX_CASES[case]
    evidence = _detect(_docx(tmp_path / "a.docx", paragraphs, footer))
    assert evidence.state is expected, evidence


# --- PDF (reportlab) ------------------------------------------------------------------------------


def _pdf(path: Path, paragraphs: list[str], tmp_path: Path) -> Path:
    import pymupdf
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    font = tmp_path / "cjk.ttf"
    font.write_bytes(pymupdf.Font("cjk").buffer)
    pdfmetrics.registerFont(TTFont("CJK", str(font)))
    style = ParagraphStyle("body", fontName="CJK", fontSize=11, leading=16, wordWrap="CJK")
    story = []
    for text in paragraphs:
        story += [Paragraph(text, style), Spacer(1, 10)]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


PDF_CASES = {
    "notice-first": (["本文由AI生成，仅供参考", FILLER, FILLER], Presence.PRESENT),
    "notice-last": ([FILLER, FILLER, "豆包AI生成"], Presence.PRESENT),
    "body-sentence": ([BODY, FILLER, FILLER], Presence.ABSENT),
    "body-paragraph-wrapping": ([FILLER + LONG_BODY + FILLER, FILLER], Presence.ABSENT),
    "negated": (["本海报不是AI生成", FILLER], Presence.ABSENT),
}


@pytest.mark.parametrize("case", sorted(PDF_CASES))
def test_pdf(case: str, tmp_path: Path) -> None:
    paragraphs, expected = PDF_CASES[case]
    evidence = _detect(_pdf(tmp_path / "a.pdf", paragraphs, tmp_path))
    assert evidence.state is expected, evidence


# --- the verdict: body text with a metadata label is not compliant --------------------------------


def _implicit_only(src: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out" / src.name
    out.parent.mkdir()
    result = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    return out


def test_pdf_with_label_and_body_text_is_missing_explicit(tmp_path: Path) -> None:
    out = _implicit_only(_pdf(tmp_path / "poster.pdf", [BODY, FILLER], tmp_path), tmp_path)
    assert verify_file(out).status == "missing-explicit"


def test_docx_with_label_and_body_text_is_missing_explicit(tmp_path: Path) -> None:
    out = _implicit_only(_docx(tmp_path / "poster.docx", [(BODY, None), (FILLER, None)]), tmp_path)
    assert verify_file(out).status == "missing-explicit"


def test_docx_with_label_and_a_true_notice_is_compliant(tmp_path: Path) -> None:
    out = _implicit_only(_docx(tmp_path / "memo.docx", [("本文由AI生成，仅供参考", None), (FILLER, None)]), tmp_path)
    assert verify_file(out).status == "compliant"


# --- an attempt lacking an element is invalid, not missing (item 6) -------------------------------


def test_text_attempt_is_missing_element(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"可灵AI\n{FILLER}\n", encoding="utf-8")
    evidence = _detect(path)
    assert evidence.state is Presence.PRESENT and [p.rule for p in evidence.problems] == ["notice.missing-element"], evidence


def test_docx_footer_attempt_is_missing_element_and_a_true_notice_wins(tmp_path: Path) -> None:
    evidence = _detect(_docx(tmp_path / "a.docx", [(FILLER, None)] * 3, footer="模型合成"))
    assert evidence.state is Presence.PRESENT and "notice.missing-element" in [p.rule for p in evidence.problems], evidence
    evidence = _detect(_docx(tmp_path / "b.docx", [("即梦AI", None), ("AI生成", None), (FILLER, None)]))
    assert evidence.state is Presence.PRESENT and not evidence.problems, evidence


def test_labelled_text_with_an_attempt_is_invalid(tmp_path: Path) -> None:
    src = tmp_path / "post.md"
    src.write_text(f"即梦AI\n\n{FILLER}\n", encoding="utf-8")
    verdict = verify_file(_implicit_only(src, tmp_path))
    assert verdict.status == "invalid" and "notice.missing-element" in [p.rule for p in verdict.problems()]
