"""The per-file status of a check, one closed set every layer shares (``verify`` decides it).

``Status`` is a ``str`` enum: its members compare, hash and serialise (JSON, CSV, JUnit) as their
value, so reports keep the exact strings of ``labeler.report/1`` while code names a member
instead of repeating a string literal.
"""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    COMPLIANT = "compliant"  # both labels present and valid
    MISSING_EXPLICIT = "missing-explicit"  # implicit label fine, no explicit notice
    MISSING_IMPLICIT = "missing-implicit"  # explicit notice fine, no implicit label
    UNLABELLED = "unlabelled"  # neither
    INVALID = "invalid"  # a label is present but breaks a rule
    UNVERIFIED = "unverified"  # implicit label fine, explicit check impossible (backend missing)
    MISSING_IMPLICIT_UNVERIFIED = "missing-implicit-unverified"  # no implicit label, notice undecided
    UNSUPPORTED = "unsupported"  # no adapter handles this content
    ERROR = "error"  # unreadable, truncated, permission denied ...

    # Python < 3.12 formats a mixed-in enum as its name in some paths; reports need the value.
    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class Outcome(str, Enum):
    """What ``label`` did with one file (``LabelResult.status``); a ``str`` enum like ``Status``."""

    LABELLED = "labelled"  # an output was written and verified
    UNCHANGED = "unchanged"  # the file already carried what was asked; the output is a copy
    DRY_RUN = "dry-run"  # planned only (--dry-run)
    FAILED = "failed"  # nothing was written; ``error`` says why

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


#: Outcomes whose output exists and is complete (the journal's "done", a published object).
PUBLISHED: frozenset[Outcome] = frozenset({Outcome.LABELLED, Outcome.UNCHANGED})

#: Every status, in report order (summary counts, filters, ``--fail-on`` choices).
STATUSES: tuple[Status, ...] = tuple(Status)
PASSING: frozenset[Status] = frozenset({Status.COMPLIANT})
#: Statuses the gate ignores unless asked (``--fail-on unsupported`` or ``any``): a stray data.json
#: in an asset folder is reported and counted, as ruff reports a file it does not lint.
REPORTED_ONLY: frozenset[Status] = frozenset({Status.UNSUPPORTED})
#: Statuses of a file that could not be checked at all (``inspect`` exits 1 on them).
UNCHECKABLE: frozenset[Status] = frozenset({Status.ERROR, Status.UNSUPPORTED})

__all__ = ["PASSING", "REPORTED_ONLY", "STATUSES", "UNCHECKABLE", "Status"]
