"""Findings: a stable rule id plus a short human sentence.

Errors make a file ``invalid``; warnings are reported but never fail a check on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def warning(rule: str, message: str) -> Problem:
    return Problem(rule, message, Severity.WARNING)


def error(rule: str, message: str) -> Problem:
    return Problem(rule, message, Severity.ERROR)
