"""Report renderers: pure functions of the verdicts (plus the run's policy and skipped files).

    json      labeler.report/1, the machine contract (docs/report.schema.json)
    junit     one testsuite per run, one testcase per file and check
    sarif     SARIF 2.1.0 for code-scanning dashboards
    html      one self-contained page for people
    markdown  a short summary for CI job summaries
    csv       one row per file for compliance records (``evidence.py`` bundles every format)

Every renderer takes ``(verdicts, run)`` and returns text. ``checks_of`` splits a verdict into
per-check outcomes so JUnit, SARIF and HTML agree on what failed and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..policy import DEFAULT_POLICY, Policy
from ..problems import Problem, error
from ..status import UNCHECKABLE, Status
from ..verify import Verdict

FORMATS = ("json", "junit", "sarif", "html", "markdown", "csv")
#: Default file names when ``--report FORMAT`` is given without ``=PATH``.
DEFAULT_NAMES = {
    "json": "labeler-report.json",
    "junit": "labeler-junit.xml",
    "sarif": "labeler.sarif",
    "html": "labeler-report.html",
    "markdown": "labeler-summary.md",
    "csv": "labeler-report.csv",
}


@dataclass(frozen=True)
class Check:
    """One rule a report shows per file, with the clause of the standard it enforces."""

    id: str
    name: str
    title: str
    clause: str
    help: str


CHECKS: dict[str, Check] = {
    c.name: c
    for c in (
        Check(
            "LBL001",
            "explicit",
            "Explicit notice present and valid",
            "GB 45438-2025 clause 4 (explicit labels) and Measures Art. 4",
            "The file must carry a notice a person perceives: visible text containing an AI element (AI/人工智能) and a "
            "generation element (生成/合成) at the start/end of text, at an edge or corner of images and video (text height "
            ">= 5% of the shortest side; video: opening frames, >= 2 s), or an audible voice or Morse 'AI' rhythm cue in audio. "
            "Fix: `labeler label FILE --out DIR --producer CODE`.",
        ),
        Check(
            "LBL002",
            "implicit",
            "Implicit AIGC label present and valid",
            "GB 45438-2025 clause 6.1 and Annex E (implicit label in file metadata)",
            "The file's metadata must hold exactly one seven-field AIGC JSON object (Label, ContentProducer, ProduceID, "
            "ReservedCode1, ContentPropagator, PropagateID, ReservedCode2), values printable ASCII without space, '\"' or '\\'. "
            "Fix: `labeler label FILE --out DIR --producer CODE --no-explicit` to add or repair it.",
        ),
        Check(
            "LBL003",
            "c2pa",
            "C2PA manifest and IPTC source type consistent (when present or required)",
            "not GB 45438: C2PA Content Credentials and IPTC DigitalSourceType (labelling rules section 6), errors only when required",
            "When C2PA is required (--require c2pa) a signed manifest must be present and validate, and it must agree with the "
            "TC260 label. Signing must be the last write: any later edit breaks the signature.",
        ),
        Check(
            "LBL000",
            "checkable",
            "File can be checked",
            "gate rule: a file the tool cannot check fails unless ignored (.labelerignore)",
            "labeler could not read or does not support this file. Fix the file, or list it in .labelerignore if it is not "
            "an asset that needs labels.",
        ),
    )
}


@dataclass(frozen=True)
class Outcome:
    """The result of one check on one file: ``pass``, ``fail`` or ``waived`` (failed but accepted)."""

    check: Check
    result: str
    findings: tuple[Problem, ...] = ()

    @property
    def failed(self) -> bool:
        return self.result == "fail"


@dataclass(frozen=True)
class RunInfo:
    """What a report needs besides the verdicts."""

    policy: Policy = DEFAULT_POLICY
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason)
    root: Path | None = None  # report paths relative to this folder (default: the working directory; the CLI passes the repository root)
    fail_on: frozenset[str] | None = None
    gate_failed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _section_outcome(check: Check, problems: Sequence[Problem], missing: Problem | None, accepted: bool) -> Outcome:
    # Errors first, then warnings, each in the verdict's order (as the JSON report lists them).
    findings = [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]
    if missing is not None:
        return Outcome(check, "waived" if accepted else "fail", (missing, *findings))
    return Outcome(check, "fail" if any(f.is_error for f in findings) else "pass", tuple(findings))


def checks_of(verdict: Verdict) -> list[Outcome]:
    """Per-check outcomes of one verdict (``checkable`` alone when the file could not be checked),
    read from its typed problems and evidence."""
    if verdict.status in UNCHECKABLE:
        rule = "file.unsupported" if verdict.status == Status.UNSUPPORTED else "file.error"
        return [Outcome(CHECKS["checkable"], "fail", (error(rule, verdict.error or str(verdict.status)),))]
    implicit, explicit = verdict.implicit, verdict.explicit
    missing_implicit = None if implicit.present else error("implicit.missing", "no implicit AIGC label in the file's metadata")
    present = explicit.present if explicit else None
    summary = explicit.evidence.summary if explicit else None
    if present is None:
        missing_explicit: Problem | None = error(
            "explicit.unverified", f"the explicit notice could not be checked: {summary or 'no evidence'}"
        )
    elif present is False:
        missing_explicit = error("explicit.missing", f"no explicit notice found ({summary or 'not detected'})")
    else:
        missing_explicit = None
    outcomes = [
        # A missing label on a file that still passes was accepted (a waiver or the policy).
        _section_outcome(CHECKS["explicit"], explicit.problems if explicit else (), missing_explicit, verdict.passed),
        _section_outcome(CHECKS["implicit"], implicit.problems, missing_implicit, verdict.passed),
    ]
    signals = verdict.signals
    if signals is not None and (signals.c2pa is not None or any(p.is_error for p in signals.problems)):
        # Shown when a manifest is there or a C2PA/IPTC rule failed (--require c2pa makes a missing one an error).
        outcomes.append(_section_outcome(CHECKS["c2pa"], signals.problems, None, False))
    return outcomes


def display_path(path: Path | str, root: Path | None = None) -> str:
    """``path`` relative to ``root`` (default: working directory) in POSIX form, else as given."""
    path = Path(path)
    base = Path(root) if root is not None else Path.cwd()
    try:
        return path.absolute().relative_to(base.absolute()).as_posix()
    except ValueError:
        return path.as_posix()


def repository_root(start: Path | None = None) -> Path:
    """The enclosing git work tree (``.git`` folder or file), else ``start``/the working directory:
    SARIF locations must be relative to the repository for code-scanning dashboards."""
    folder = (start or Path.cwd()).resolve()
    return next((f for f in (folder, *folder.parents) if (f / ".git").exists()), folder)


Renderer = Callable[[Sequence[Verdict], RunInfo], str]


def renderer(fmt: str) -> Renderer:
    import importlib

    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    render: Renderer = importlib.import_module(f"{__name__}.{fmt}").render
    return render


def render(fmt: str, verdicts: Sequence[Verdict], run: RunInfo | None = None) -> str:
    """Render ``verdicts`` in ``fmt`` (one of ``FORMATS``)."""
    return renderer(fmt)(verdicts, run or RunInfo())


def write_reports(specs: Sequence[tuple[str, Path]], verdicts: Sequence[Verdict], run: RunInfo) -> None:
    """Write every ``--report`` file (atomically, so a CI artefact is never half written)."""
    from ..atomic import atomic_output

    for fmt, target in specs:
        text = render(fmt, verdicts, run)
        with atomic_output(Path(target)) as temp:
            temp.write_text(text, encoding="utf-8")


__all__ = [
    "CHECKS",
    "DEFAULT_NAMES",
    "FORMATS",
    "Check",
    "Outcome",
    "RunInfo",
    "checks_of",
    "display_path",
    "render",
    "renderer",
    "repository_root",
    "write_reports",
]
