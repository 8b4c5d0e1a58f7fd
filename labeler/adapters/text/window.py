"""Text-notice detection shared by the text family: the first and last ~100 visible characters."""

from __future__ import annotations

from ...notice import element_span, is_compliant_text, is_english_only_notice, normalise
from ...problems import error
from ..base import Evidence, Presence

WINDOW = 100


def _span(window: str) -> str:
    """The stretch of the window holding the first AI and generation elements."""
    span = element_span(window)
    if span is None or len(normalise(window)) != len(window):
        return window
    return window[span[0]:span[1]]


def find_text_notice(visible: str) -> Evidence:
    collapsed = " ".join(visible.split())
    windows = (("start", collapsed[:WINDOW]), ("end", collapsed[-WINDOW:]))
    for where, window in windows:
        if is_compliant_text(window):
            snippet = _span(window)
            return Evidence(Presence.PRESENT, f"notice {snippet!r} within the {where} {WINDOW} visible characters", snippet, where)
    for where, window in windows:
        if is_english_only_notice(window):
            problem = error("notice.english-only", f"the notice at the {where} is English only; GB 45438 needs Chinese 'AI生成'/'人工智能生成' wording")
            return Evidence(Presence.PRESENT, f"English-only notice at the {where}", window, where, (problem,))
    return Evidence.absent(f"no notice with both elements ('AI'/'人工智能' and '生成'/'合成') in the first or last {WINDOW} visible characters")
