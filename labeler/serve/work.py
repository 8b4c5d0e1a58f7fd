"""The per-file work the server hands to the worker pool (``labeler.pool``), so every request runs
under the same time and memory limits as a CLI batch: verify or label one uploaded file and build
its card (plain words and the preview) in the worker too, since decoding a preview of a hostile
file is as risky as checking it.

Everything here is picklable and imports no web framework (the fork server preloads this module).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..labelling import LabelResult, label_file
from ..pool import Limits, run_limited
from ..report import checks_of
from ..report.html import _adapter as adapter_of  # the report's own choice of preview maker, shared
from ..report.plain import sentence, unique
from ..roles import LabelOptions
from ..status import Outcome, Status
from ..verify import Verdict, verify_file

#: A verdict in the words a person uses (the page's headline for each file).
HEADLINES: dict[Status, str] = {
    Status.COMPLIANT: "passes",
    Status.MISSING_EXPLICIT: "missing visible notice",
    Status.MISSING_IMPLICIT: "missing implicit label",
    Status.UNLABELLED: "has neither label",
    Status.INVALID: "has a label that breaks a rule",
    Status.UNVERIFIED: "visible notice could not be checked",
    Status.MISSING_IMPLICIT_UNVERIFIED: "missing implicit label (visible notice not checked)",
    Status.UNSUPPORTED: "is not a file type labeler handles",
    Status.ERROR: "could not be read",
}


def headline(verdict: Verdict) -> str:
    return "passes" if verdict.passed else HEADLINES.get(verdict.status, str(verdict.status))


def card(verdict: Verdict, path: Path | None) -> dict[str, Any]:
    """What the page shows for one file: plain words, label fields and the preview of ``path``
    (the notice outlined, or the waveform with the cue shaded), the same visuals as the HTML report."""
    outcomes = checks_of(verdict)
    problems = unique(f for o in outcomes for f in o.findings)
    evidence = verdict.explicit.evidence if verdict.explicit else None
    detail = evidence.detail if evidence else {}
    lines = [
        {"text": text, "kind": kind}
        for text, kind in dict.fromkeys((sentence(f, detail), "fail" if f.is_error else "warn") for f in problems)
    ]
    adapter = adapter_of(verdict)
    preview = adapter.preview(path, detail) if adapter is not None and path is not None and path.is_file() else None
    label = verdict.implicit.label
    return {
        "status": str(verdict.status),
        "passed": verdict.passed,
        "headline": headline(verdict),
        "lines": lines,
        "media": verdict.media,
        "format": verdict.format,
        "fields": label.as_dict() if label else None,
        "notice": evidence.summary if evidence else None,
        "preview": preview,
        "preview_kind": "waveform, detected cue shaded" if verdict.media == "audio" else "detected notice outlined",
    }


@dataclass(frozen=True)
class Checked:
    """A worker's answer: the verdict and its card (``output`` set when a file was labelled)."""

    verdict: Verdict
    card: dict[str, Any]
    result: LabelResult | None = None


def verify_one(path: Path) -> Checked:
    verdict = verify_file(path)
    return Checked(verdict, card(verdict, path))


@dataclass(frozen=True)
class LabelJob:
    source: Path
    target: Path
    options: LabelOptions


def label_one(job: LabelJob) -> Checked:
    """Label into ``target`` (the source is a private copy of the upload and is never written),
    then show the written file's verdict."""
    result = label_file(job.source, job.target, job.options)
    verdict = result.verdict or Verdict(job.source, Status.ERROR, error=result.error or f"labelling {result.status}")
    written = job.target if result.ok and job.target.is_file() else None
    return Checked(verdict, card(verdict, written), result)


def _verify_failed(path: Path, reason: str) -> Checked:
    verdict = Verdict(path, Status.ERROR, error=reason)
    return Checked(verdict, card(verdict, None))


def _label_failed(job: LabelJob, reason: str) -> Checked:
    verdict = Verdict(job.source, Status.ERROR, error=reason)
    return Checked(verdict, card(verdict, None), LabelResult(job.source, job.target, Outcome.FAILED, error=reason))


def verify_limited(path: Path, limits: Limits) -> Checked:
    """Blocking: one file in a fresh limited worker (run it in a thread)."""
    return run_limited([path], verify_one, _verify_failed, jobs=1, limits=limits)[0]


def label_limited(job: LabelJob, limits: Limits) -> Checked:
    return run_limited([job], label_one, _label_failed, jobs=1, limits=limits)[0]
