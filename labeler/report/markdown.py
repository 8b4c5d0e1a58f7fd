"""A short Markdown summary for CI job summaries (GitHub ``$GITHUB_STEP_SUMMARY``, GitLab, Azure)."""

from __future__ import annotations

from collections.abc import Sequence

from ..names import display
from ..verify import STATUSES, Verdict, summary_counts
from . import RunInfo, checks_of, display_path

MAX_ROWS = 50  # a job summary is a glance; the full list is in the other reports


def _cell(text: str) -> str:
    """Table-cell safe: no pipes, no newlines, no HTML (job summaries render HTML), no control
    characters or bytes that are not UTF-8 (``labeler.names.display``)."""
    text = display(text)
    for old, new in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("|", "\\|"),
        ("\n", " "),
        ("`", "'"),
        ("*", "\\*"),
        ("_", "\\_"),
        ("[", "\\["),
    ):
        text = text.replace(old, new)
    return text


def render(verdicts: Sequence[Verdict], run: RunInfo) -> str:
    counts = summary_counts(list(verdicts))
    failing = [v for v in verdicts if not v.passed]
    verdict_line = "failed" if run.gate_failed else "passed"
    lines = [
        f"## labeler: GB 45438 label check {verdict_line}",
        "",
        f"{counts['total']} files checked under policy `{run.policy.name}`; "
        f"{sum(1 for v in verdicts if v.passed)} pass, {len(failing)} do not" + (f", {len(run.skipped)} skipped." if run.skipped else "."),
        "",
    ]
    lines += ["| status | files |", "|---|---:|"] + [f"| {s} | {counts[s]} |" for s in STATUSES if counts[s]] + [""]
    if failing:
        lines += ["| file | status | first problem |", "|---|---|---|"]
        for v in failing[:MAX_ROWS]:
            failed = [f for o in checks_of(v) if o.failed for f in o.findings if f.is_error]
            first = f"{failed[0].rule}: {failed[0].message}" if failed else v.status
            lines.append(f"| {_cell(display_path(v.path, run.root))} | {v.status} | {_cell(first)} |")
        if len(failing) > MAX_ROWS:
            lines.append(f"| … {len(failing) - MAX_ROWS} more | | |")
        lines.append("")
    if run.policy.waivers:
        lines += (
            ["Waivers in force:", ""]
            + [
                f"- {_cell(w.rule)}: {_cell(w.reason)}" + (f" (paths: {_cell(', '.join(w.paths))})" if w.paths else "")
                for w in run.policy.waivers
            ]
            + [""]
        )
    return "\n".join(lines)
