"""The rule catalogue (``problems.RULES``) matches the finding ids the code reports, and waivers
are checked against it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labeler.errors import LabelFormatError
from labeler.policy import CHECK_RULES, Waiver
from labeler.problems import RULES

SOURCE = Path(__file__).resolve().parent.parent / "labeler"
#: A rule id as the first argument of a finding, or on the right of ``rule = …``.
_CALL = re.compile(r'''(?:Problem|warning|error|Finding)\(\s*"([a-z0-9]+\.[a-z0-9.-]+)"''')
_ASSIGNED = re.compile(r"\brule = (.+)")
_ID = re.compile(r'"([a-z0-9]+\.[a-z0-9-]+)"')


def _ids_in_code() -> set[str]:
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(_CALL.findall(text))
        for line in _ASSIGNED.findall(text):
            found |= set(_ID.findall(line))
    return found


def test_catalogue_lists_exactly_the_ids_the_code_reports() -> None:
    in_code = _ids_in_code()
    assert in_code - RULES == set(), "add these to problems.RULES"
    assert RULES - in_code == set(), "no longer reported: remove from problems.RULES"
    assert set(CHECK_RULES) <= RULES


def test_a_misspelt_waiver_is_refused_with_a_suggestion() -> None:
    with pytest.raises(LabelFormatError, match=r"did you mean 'notice\.too-small'"):
        Waiver("notice.to-small", "legacy posters")
    with pytest.raises(LabelFormatError, match="not a rule labeler reports"):
        Waiver("nothing", "x")
    assert Waiver("notice.too-small", "legacy posters").rule == "notice.too-small"
    assert Waiver("explicit.missing", "internal drafts").rule == "explicit.missing"
