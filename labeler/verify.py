"""verify(path) -> Verdict. Every pass/fail rule lives here and only here.

Adapters report what they see (``Found`` labels, explicit ``Evidence``); this module turns that
into one status per file:

    compliant         both labels present and valid
    missing-explicit  implicit label fine, no explicit notice
    missing-implicit  explicit notice fine, no implicit label
    unlabelled        neither
    invalid           a label is present but breaks a rule
    unverified        implicit label fine, explicit check impossible (backend missing)
    missing-implicit-unverified
                      no implicit label, explicit check impossible: the absence of the implicit
                      label is established (a breach whatever the notice), the notice is not, so
                      neither ``missing-implicit`` (says a notice is there) nor ``unlabelled``
                      (says none is) would be true
    unsupported       no adapter handles this content
    error             unreadable, truncated, permission denied ...

The statuses are the ``labeler.status.Status`` enum (str-valued: reports show the same strings).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .c2pa import SignalOptions, Signals, read_signals
from .errors import LabelerError
from .label import LABEL_VALUES, Label, label_findings
from .model import Evidence, Found, Presence
from .policy import Policy, Waiver, get_policy
from .problems import Problem, error, warning
from .registry import claimed_by_extension, read_head, sniff, unsniffable_reason
from .sidecar import read_sidecar
from .source import Source
from .status import PASSING, REPORTED_ONLY, STATUSES, Status
from .watermark.signal import read_watermark

SCHEMA = "labeler.report/1"

#: (implicit state, explicit state) -> status, where a state is "ok", "bad", "absent" or "unknown".
_STATUS = {
    ("ok", "ok"): Status.COMPLIANT,
    ("ok", "absent"): Status.MISSING_EXPLICIT,
    ("ok", "unknown"): Status.UNVERIFIED,
    ("absent", "ok"): Status.MISSING_IMPLICIT,
    ("absent", "absent"): Status.UNLABELLED,
    ("absent", "unknown"): Status.MISSING_IMPLICIT_UNVERIFIED,
}


@dataclass(frozen=True)
class ImplicitResult:
    present: bool
    carrier: str | None = None
    label: Label | None = None
    problems: tuple[Problem, ...] = ()
    found: tuple[Found, ...] = ()

    @property
    def state(self) -> str:
        if not self.present:
            return "absent"
        return "bad" if self.label is None or any(p.is_error for p in self.problems) else "ok"


@dataclass(frozen=True)
class ExplicitResult:
    evidence: Evidence

    @property
    def present(self) -> bool | None:
        return {Presence.PRESENT: True, Presence.ABSENT: False}.get(self.evidence.state)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.evidence.problems

    @property
    def state(self) -> str:
        if self.evidence.state is Presence.PRESENT:
            return "bad" if any(p.is_error for p in self.problems) else "ok"
        return "absent" if self.evidence.state is Presence.ABSENT else "unknown"


@dataclass(frozen=True)
class Verdict:
    """The per-file result every report renders."""

    path: Path
    status: Status
    media: str = "unknown"
    format: str | None = None
    implicit: ImplicitResult = field(default_factory=lambda: ImplicitResult(False))
    explicit: ExplicitResult | None = None
    error: str | None = None
    passing: frozenset[Status] = PASSING  # statuses that pass for this file under its policy and waivers
    waivers: tuple[Waiver, ...] = ()  # waivers that cover this file
    signals: Signals | None = None  # C2PA and IPTC beside the TC260 label (spec §6), with cross-checks

    @property
    def passed(self) -> bool:
        return self.status in self.passing

    @property
    def classification(self) -> str:
        """Measures Art. 6: the TC260 label decides; without one, any trace (an explicit notice, a
        C2PA or IPTC AI source type) means suspected."""
        return self._classified()[0]

    @property
    def classification_source(self) -> str | None:
        """The signal that decided ``classification``: ``tc260``, ``explicit-notice``, ``c2pa``,
        ``c2pa-ingredient``, ``iptc``, or None for ``none``."""
        return self._classified()[1]

    def _classified(self) -> tuple[str, str | None]:
        if self.implicit.label is not None and self.implicit.label.label in LABEL_VALUES:
            return LABEL_VALUES[self.implicit.label.label], "tc260"
        if self.explicit is not None and self.explicit.present:
            return "suspected-ai", "explicit-notice"
        declared = self.signals.ai_declared_by if self.signals else None
        return ("suspected-ai", declared) if declared else ("none", None)

    def problems(self) -> list[Problem]:
        return (
            list(self.implicit.problems)
            + list(self.explicit.problems if self.explicit else ())
            + list(self.signals.problems if self.signals else ())
        )

    def to_dict(self) -> dict[str, Any]:
        def split(problems: tuple[Problem, ...]) -> dict[str, list[str]]:
            return {"problems": [str(p) for p in problems if p.is_error], "warnings": [str(p) for p in problems if not p.is_error]}

        implicit = self.implicit
        explicit = self.explicit
        return {
            "path": os.fspath(self.path),
            "media": self.media,
            "format": self.format,
            "status": self.status,
            "implicit": {
                "present": implicit.present,
                "carrier": implicit.carrier,
                "carriers": [f.carrier for f in implicit.found],
                "label": implicit.label.as_dict() if implicit.label else None,
                "raw": implicit.found[0].raw if implicit.found else None,
                **split(implicit.problems),
            },
            "explicit": {
                "present": explicit.present if explicit else None,
                "evidence": explicit.evidence.summary if explicit else None,
                "text": explicit.evidence.text if explicit else None,
                "where": explicit.evidence.where if explicit else None,
                "detail": explicit.evidence.detail if explicit else {},
                **split(explicit.problems if explicit else ()),
            },
            "classification": self.classification,
            "classification_source": self.classification_source,
            "error": self.error,
            "signals": self.signals.to_dict() if self.signals else None,
            "passed": self.passed,
            "waivers": [{"rule": w.rule, "reason": w.reason} for w in self.waivers],
        }


def judge_implicit(found: list[Found]) -> ImplicitResult:
    if not found:
        return ImplicitResult(False)
    first = found[0]
    problems: list[Problem] = [p for f in found for p in f.problems]
    labels = [f.label for f in found]
    if len(found) > 1:
        carriers = ", ".join(f.carrier for f in found)
        if len({None if lab is None else lab.to_json() for lab in labels}) > 1:
            detail = "; ".join(f"{f.carrier} says {f.raw[:120]}" for f in found)
            problems.append(error("implicit.conflict", f"{len(found)} implicit labels disagree: {detail}"))
        else:
            problems.append(
                warning(
                    "implicit.duplicate", f"the same label is stored in {len(found)} carriers ({carriers}); GB 45438 6.1 c) expects one"
                )
            )
    if first.label is not None:
        problems.extend(label_findings(first.label))
    return ImplicitResult(True, first.carrier, first.label, tuple(dict.fromkeys(problems)), tuple(found))


def decide(implicit: ImplicitResult, explicit: ExplicitResult) -> Status:
    if "bad" in (implicit.state, explicit.state):
        return Status.INVALID
    return _STATUS[(implicit.state, explicit.state)]


def verify_file(
    path: str | os.PathLike[str], policy: Policy | str | None = None, *, signals: SignalOptions | None = None, check_explicit: bool = True
) -> Verdict:
    """Check one file. Never raises for bad input: problems become the ``error`` status.

    ``policy`` (a ``Policy`` or a profile name, default ``gb45438``) adjusts findings and which
    statuses pass; the status itself is always decided here. ``check_explicit=False`` skips the
    explicit-notice detection (reported as not checked, so at best ``unverified``).
    """
    source = Source.of(path)  # a Source from label_file shares what it already read and parsed
    path = Path(path)
    policy = get_policy(policy)
    verdict = _verify(path, source, policy, signals or SignalOptions(), check_explicit)
    return replace(verdict, passing=policy.passing_for(path), waivers=policy.waivers_for(path))


def _verify(path: Path, source: Source, policy: Policy, signal_options: SignalOptions, check_explicit: bool = True) -> Verdict:
    """Every read goes through ``source``: the file is read and parsed once for all the checks."""
    try:
        if not path.is_file():
            what = "does not exist" if not path.exists() else "is not a regular file"
            return Verdict(path, Status.ERROR, error=f"{path} {what}")
        sniffed = sniff(source)
        if sniffed is None:
            status = Status.ERROR if claimed_by_extension(path.name) else Status.UNSUPPORTED
            return Verdict(path, status, error=unsniffable_reason(path.name, read_head(source)))
        adapter = sniffed.adapter
        found = adapter.read_labels(source)
        found = found + read_sidecar(path, None if adapter.carrier is None else bool(found))
        implicit = judge_implicit(found)
        implicit = replace(implicit, problems=policy.adjust(implicit.problems + tuple(policy.extra_implicit(implicit.label)), path))
        evidence = adapter.detect_explicit(source) if check_explicit else Evidence.unknown("explicit notice not checked")
        extra = policy.extra_explicit(adapter.media, evidence.state is Presence.PRESENT, evidence.detail)
        explicit = ExplicitResult(replace(evidence, problems=policy.adjust(evidence.problems + tuple(extra), path)))
        signals = read_signals(source, implicit.label, signal_options)
        mark, mark_problems = read_watermark(source, adapter.media, implicit.label, signal_options.watermark)
        signals = replace(signals, watermark=mark, problems=policy.adjust(signals.problems + tuple(mark_problems), path))
        status = decide(implicit, explicit)
        if status in (Status.COMPLIANT, Status.UNVERIFIED) and any(p.is_error for p in signals.problems):
            status = Status.INVALID  # --require c2pa: a missing or broken manifest fails an otherwise good file
        return Verdict(path, status, adapter.media, sniffed.format, implicit, explicit, signals=signals)
    except LabelerError as exc:
        return Verdict(path, Status.ERROR, error=exc.for_file(path))
    except PermissionError:
        return Verdict(path, Status.ERROR, error=f"{path}: permission denied; make the file readable (chmod u+r)")
    except OSError as exc:
        return Verdict(path, Status.ERROR, error=f"{path}: cannot read ({exc.strerror or exc})")
    except MemoryError:
        return Verdict(
            path,
            Status.ERROR,
            error=f"{path.name}: ran out of memory while checking (raise --max-memory, or check for a decompression bomb)",
        )
    except Exception as exc:  # noqa: BLE001 - one bad file must never stop a batch
        return Verdict(
            path, Status.ERROR, error=f"internal error while checking {path.name}: {type(exc).__name__}: {exc} (please report this)"
        )


def summary_counts(verdicts: list[Verdict]) -> dict[str, int]:
    summary: dict[str, int] = {"total": len(verdicts)}
    for status in STATUSES:
        summary[status.value] = sum(1 for v in verdicts if v.status == status)
    return summary


def gate_failures(verdicts: list[Verdict], policy: Policy | str | None = None, fail_on: frozenset[Status] | None = None) -> list[Verdict]:
    """The files that fail the gate: not passing under their policy and having one of the ``fail_on``
    statuses (default: every status but ``unsupported``). ``report-only`` never fails."""
    if get_policy(policy).never_fail:
        return []
    return [v for v in verdicts if not v.passed and (v.status in fail_on if fail_on is not None else v.status not in REPORTED_ONLY)]


__all__ = [
    "PASSING",
    "REPORTED_ONLY",
    "SCHEMA",
    "STATUSES",
    "ExplicitResult",
    "ImplicitResult",
    "Status",
    "Verdict",
    "decide",
    "gate_failures",
    "judge_implicit",
    "summary_counts",
    "verify_file",
]
