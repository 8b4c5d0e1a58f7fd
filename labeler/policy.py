"""Policy profiles and waivers: the inputs ``verify.verify_file`` decides with.

A policy never decides a status by itself. ``verify.py`` asks it three things per file:

- ``adjust(problems, ...)``: the findings under this policy (``strict`` adds and upgrades some,
  a waiver downgrades the rule it names to a warning that says why);
- ``passing_for(path)``: which statuses pass for this file (a waiver of ``explicit.missing``
  accepts a file without the visible notice, e.g. one a user asked to receive without it);
- ``never_fail``: ``report-only`` reports everything and never fails the gate.

Profiles:

    gb45438      default: both labels required, Annex E strict (the foundation's rules)
    strict       also requires a structured 27-character provider code (provider findings become
                 errors) and, for audio, the audible notice at both the start and the end
    report-only  like gb45438, but the gate never fails (exit 0)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import LabelFormatError
from .ignore import compile_patterns
from .label import Label, parse_provider_code
from .model import Measurements
from .problems import RULES, Problem, Severity, error
from .status import PASSING, Status

#: The checks each non-passing status fails, named by the pseudo-rules a waiver can name. A status
#: passes only when every check it fails is accepted: ``missing-implicit-unverified`` needs both
#: the missing implicit label and the unchecked notice accepted, never just one of them.
STATUS_CHECKS: dict[Status, frozenset[str]] = {
    Status.MISSING_EXPLICIT: frozenset({"explicit.missing"}),
    Status.UNVERIFIED: frozenset({"explicit.unverified"}),
    Status.MISSING_IMPLICIT: frozenset({"implicit.missing"}),
    Status.MISSING_IMPLICIT_UNVERIFIED: frozenset({"implicit.missing", "explicit.unverified"}),
}
#: Pseudo-rules a waiver can name to accept a missing label (they are not findings of a file), with
#: the checks they accept. Accepting a missing notice also accepts one that could not be checked;
#: ``explicit.unverified`` accepts only the latter (the notice could not be checked here).
CHECK_RULES: dict[str, frozenset[str]] = {
    "explicit.missing": frozenset({"explicit.missing", "explicit.unverified"}),
    "implicit.missing": frozenset({"implicit.missing"}),
    "explicit.unverified": frozenset({"explicit.unverified"}),
}
#: Rule ids renamed since a release: an old waiver keeps working under the new id.
RENAMED_RULES = {"notice.not-at-edge": "notice.placement"}
#: The check a policy accepts when it does not require that label.
_NOT_REQUIRED = {"explicit": "explicit.missing", "implicit": "implicit.missing"}


@dataclass(frozen=True)
class Waiver:
    """Accept one rule (a finding id such as ``notice.too-small``, or ``explicit.missing``)."""

    rule: str
    reason: str
    paths: tuple[str, ...] = ()  # gitignore-style patterns relative to the config folder; () = all files
    origin: str = ""  # where it was declared, for reports

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule", RENAMED_RULES.get(self.rule, self.rule))
        if self.rule not in RULES and self.rule not in CHECK_RULES:
            close = difflib.get_close_matches(self.rule, sorted(RULES | CHECK_RULES.keys()), n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else "use a rule id from a report, such as 'notice.too-small' or 'explicit.missing'"
            )
            raise LabelFormatError(f"waiver rule {self.rule!r} is not a rule labeler reports (a typo would waive nothing); {hint}")
        if not self.reason.strip():
            raise LabelFormatError(f'waiver for {self.rule!r} has no reason: every waiver must say why (reason = "...")')

    def covers(self, path: Path, root: Path | None) -> bool:
        if not self.paths:
            return True
        relative = _relative(path, root)
        return relative is not None and compile_patterns(self.paths).match_file(relative)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "reason": self.reason, "paths": list(self.paths), "origin": self.origin}


@dataclass(frozen=True)
class Policy:
    name: str = "gb45438"
    description: str = "both labels required, Annex E strict"
    required: frozenset[str] = frozenset({"explicit", "implicit"})
    structured_provider: bool = False
    audio_both_ends: bool = False
    never_fail: bool = False
    waivers: tuple[Waiver, ...] = ()
    root: Path | None = None  # folder waiver paths are relative to

    def with_waivers(self, waivers: Iterable[Waiver], root: Path | None = None) -> Policy:
        return replace(self, waivers=self.waivers + tuple(waivers), root=root if root is not None else self.root)

    def waivers_for(self, path: Path) -> tuple[Waiver, ...]:
        return tuple(w for w in self.waivers if w.covers(path, self.root))

    def passing_for(self, path: Path) -> frozenset[Status]:
        accepted = {check for label, rule in _NOT_REQUIRED.items() if label not in self.required for check in CHECK_RULES[rule]}
        for waiver in self.waivers_for(path):
            accepted |= CHECK_RULES.get(waiver.rule, frozenset())
        return PASSING | {status for status, checks in STATUS_CHECKS.items() if checks <= accepted}

    def extra_implicit(self, label: Label | None) -> list[Problem]:
        """Findings this policy adds to a parsed implicit label."""
        if not self.structured_provider or label is None:
            return []
        found = []
        for key, value in (("ContentProducer", label.content_producer), ("ContentPropagator", label.content_propagator)):
            if (value or key == "ContentProducer") and parse_provider_code(value) is None:
                found.append(
                    error(
                        "provider.not-a-code",
                        f"{key} {value!r} is not a structured 27-character TC260 provider code (required by the strict policy)",
                    )
                )
        return found

    def extra_explicit(self, media: str, present: bool, detail: Mapping[str, Any]) -> list[Problem]:
        """Findings this policy adds to a present explicit notice."""
        if not (self.audio_both_ends and media == "audio" and present):
            return []
        found = Measurements.of(detail).sides
        missing = [side for side in ("start", "end") if side not in found]
        if not missing:
            return []
        return [
            error(
                "notice.not-both-ends",
                f"the strict policy requires the audible notice at both the start and the end; not found at the {' and '.join(missing)}",
            )
        ]

    def adjust(self, problems: Iterable[Problem], path: Path) -> tuple[Problem, ...]:
        """Upgrade (strict) and waive findings; a waived finding stays visible as a warning."""
        waivers = {w.rule: w for w in reversed(self.waivers_for(path))}
        out = []
        for problem in problems:
            if self.structured_provider and problem.rule.startswith("provider.") and not problem.is_error:
                problem = replace(problem, severity=Severity.ERROR)
            waiver = waivers.get(problem.rule)
            if waiver is not None and problem.is_error:
                problem = Problem(problem.rule, f"{problem.message} [waived: {waiver.reason}]", Severity.WARNING)
            out.append(problem)
        return tuple(dict.fromkeys(out))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "required": sorted(self.required),
            "never_fail": self.never_fail,
            "waivers": [w.as_dict() for w in self.waivers],
        }


PROFILES: dict[str, Policy] = {
    "gb45438": Policy(),
    "strict": Policy(
        "strict", "gb45438 plus a structured provider code and audio notices at both ends", structured_provider=True, audio_both_ends=True
    ),
    "report-only": Policy("report-only", "gb45438 findings, but the gate never fails", never_fail=True),
}
DEFAULT_POLICY = PROFILES["gb45438"]


def get_policy(name: str | Policy | None) -> Policy:
    if name is None:
        return DEFAULT_POLICY
    if isinstance(name, Policy):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise LabelFormatError(f"unknown policy {name!r}; choose one of {', '.join(PROFILES)}") from None


def waivers_from(entries: object, origin: str) -> tuple[Waiver, ...]:
    """``[[waiver]]`` tables from a config file: ``rule``, ``reason`` (mandatory), optional ``paths``."""
    if not isinstance(entries, list):
        raise LabelFormatError(f"{origin}: 'waiver' must be an array of tables ([[waiver]])")
    waivers = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, Mapping):
            raise LabelFormatError(f"{origin}: waiver {number} must be a table with rule and reason")
        unknown = set(entry) - {"rule", "reason", "paths"}
        if unknown:
            raise LabelFormatError(
                f"{origin}: waiver {number} has unknown key(s) {', '.join(sorted(unknown))} (allowed: rule, reason, paths)"
            )
        paths = entry.get("paths", [])
        if isinstance(paths, str):
            paths = [paths]
        waivers.append(
            Waiver(str(entry.get("rule", "")), str(entry.get("reason", "")), tuple(map(str, paths)), f"{origin} waiver {number}")
        )
    return tuple(waivers)


def _relative(path: Path, root: Path | None) -> str | None:
    base = Path(root or Path.cwd()).resolve()
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        return None


__all__ = ["CHECK_RULES", "DEFAULT_POLICY", "PROFILES", "STATUS_CHECKS", "Policy", "Waiver", "get_policy", "waivers_from"]
