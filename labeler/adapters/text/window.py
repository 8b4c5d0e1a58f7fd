"""Text-notice detection shared by the text family: lines near the start or end (``textnotice``)."""

from __future__ import annotations

from ...model import Evidence
from ..textnotice import WINDOW, Candidate, edge_lines, judge


def find_text_notice(visible: str, extra: list[Candidate] | None = None) -> Evidence:
    """A notice line within the first or last ``WINDOW`` visible characters (or among ``extra``
    units the format places as notices: HTML captions, headers and footers)."""
    nothing = f"no notice (a short statement with both elements, 'AI'/'人工智能' and '生成'/'合成') on a line in the first or last {WINDOW} visible characters"
    return judge(edge_lines(visible.splitlines()) + (extra or []), nothing)
