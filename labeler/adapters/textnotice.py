"""Judge the candidate units a text or document family offers, with ``labeler.noticerule``.

Each family decides *placement*: which pieces of its content are shown as a notice would be (a
line or paragraph near the start or end, a header or footer, a caption, a cell, a slide text box,
a subtitle cue) and offers them here in reading order. This module applies the one rule to each
and turns the best reading into ``Evidence``: a notice is PRESENT; an English-only notice or an
attempt lacking an element is PRESENT with an error (``invalid``); otherwise ABSENT, naming the
closest miss so the user learns why ("'不是AI生成' at the start is negated").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import Evidence, Presence
from ..noticerule import AI_PATTERN, GENERATION_PATTERN, Reading, best, normalise, read_unit, sentences
from ..problems import Problem, error

#: The first and last this many visible characters of a text are "the start" and "the end".
WINDOW = 100


@dataclass(frozen=True)
class Candidate:
    """One unit a family shows as a notice would be shown."""

    text: str
    where: str
    detail: dict[str, Any] = field(default_factory=dict)


def reading_problems(reading: Reading, where: str) -> tuple[Problem, ...]:
    """The findings a non-notice reading carries (empty for a notice)."""
    if reading.kind == "english-only":
        return (
            error(
                "notice.english-only",
                f"the notice {reading.text!r} ({where}) is English only; GB 45438 needs Chinese 'AI生成'/'人工智能生成' wording",
            ),
        )
    if reading.kind == "attempt":
        return (error("notice.missing-element", f"the notice {reading.text!r} ({where}) lacks the {' and the '.join(reading.missing)}"),)
    return ()


def judge(candidates: Iterable[Candidate], nothing: str) -> Evidence:
    """Evidence from the best candidate; ``nothing`` says where was looked when none is a notice."""
    readings: list[tuple[Reading, Candidate]] = []
    for candidate in candidates:
        if candidate.text.strip():
            readings.append((read_unit(candidate.text), candidate))
    chosen = best([r for r, _ in readings])
    if chosen is not None:
        reading, candidate = next((r, c) for r, c in readings if r is chosen)
        problems = reading_problems(reading, candidate.where)
        label = "notice" if reading.is_notice else f"{reading.reason}:"
        return Evidence(
            Presence.PRESENT,
            f"{label} {reading.text!r} ({candidate.where})",
            reading.text,
            candidate.where,
            problems,
            dict(candidate.detail),
        )
    near = next(((r, c) for r, c in readings if _both_elements(r.text)), None)
    if near is not None:
        reading, candidate = near
        nothing += f"; {reading.text[:60]!r} ({candidate.where}) is not a notice: {reading.reason}"
    return Evidence.absent(nothing)


def _both_elements(text: str) -> bool:
    folded = normalise(text)
    return AI_PATTERN.search(folded) is not None and GENERATION_PATTERN.search(folded) is not None


def edge_lines(lines: list[str], window: int = WINDOW) -> list[Candidate]:
    """Lines (or blocks) of a text that start within its first ``window`` visible characters or end
    within its last ``window``, plus the first and last sentence of the whole text."""
    shown = [" ".join(line.split()) for line in lines]
    shown = [line for line in shown if line]
    total = sum(len(line) + 1 for line in shown)
    found: list[Candidate] = []
    offset = 0
    for index, line in enumerate(shown):
        if offset < window:
            found.append(Candidate(line, "start", {"line": index + 1}))
        elif offset + len(line) > total - window:
            found.append(Candidate(line, "end", {"line": index + 1}))
        offset += len(line) + 1
    if shown:
        first, last = sentences(shown[0]), sentences(shown[-1])
        found += [Candidate(first[0], "first sentence", {"line": 1})] if len(first) > 1 else []
        found += [Candidate(last[-1], "last sentence", {"line": len(shown)})] if len(last) > 1 else []
    return found
