from __future__ import annotations

import pytest

from labeler import LabelFormatError, Notice
from labeler.notice import is_compliant_text, is_english_only_notice, require_compliant_text, text_problems


@pytest.mark.parametrize(
    "text",
    ["AI生成", "人工智能生成", "本内容由人工智能生成", "由AI合成", "豆包AI生成", "ＡＩ生成", "ai生成", "AIGC生成", "AI-generated / AI生成"],
)
def test_compliant(text: str) -> None:
    assert is_compliant_text(text)
    assert require_compliant_text(text) == text


@pytest.mark.parametrize("text", ["XX生成", "XXAI", "AI-generated", "", "人工生成", "campaign 生成", "email生成", "SAID合成"])
def test_refused_with_the_rule(text: str) -> None:
    assert not is_compliant_text(text)
    with pytest.raises(LabelFormatError, match="AI element"):
        require_compliant_text(text)


def test_problems_name_the_missing_element() -> None:
    (problem,) = text_problems("XX生成")
    assert problem.rule == "notice.missing-element" and "AI element" in problem.message
    (problem,) = text_problems("XXAI")
    assert "generation element" in problem.message


def test_english_only() -> None:
    assert is_english_only_notice("AI-generated image")
    assert not is_english_only_notice("AI-generated / AI生成")


def test_notice_defaults_per_media() -> None:
    assert Notice().text_for("text") == "本内容由人工智能生成"
    assert Notice().text_for("image") == "AI生成"
    assert Notice(text="由AI合成").text_for("image") == "由AI合成"
    with pytest.raises(LabelFormatError):
        Notice(text="生成").validated()
    with pytest.raises(LabelFormatError, match="single line"):
        Notice(text="AI生成\nx").validated()
