"""Findings: a stable rule id plus a short human sentence.

Errors make a file ``invalid``; warnings are reported but never fail a check on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

#: Every finding id labeler reports; a waiver must name one of them (or a pseudo-rule of
#: ``policy.CHECK_RULES``). ``tests/test_rules.py`` keeps the list in step with the code.
RULES = frozenset({
    "c2pa.credential-expired", "c2pa.credential-invalid", "c2pa.credential-revoked", "c2pa.credential-untrusted",
    "c2pa.invalid", "c2pa.missing", "c2pa.timestamp", "c2pa.unreadable", "crosscheck.c2pa-tc260", "crosscheck.source-type",
    "explicit.missing", "explicit.unverified", "file.error", "file.unsupported",
    "implicit.comment-field", "implicit.conflict", "implicit.duplicate", "implicit.jpeg-app-blob", "implicit.missing", "implicit.no-aigc-key",
    "implicit.sidecar", "implicit.sidecar-not-in-file",
    "label.bad-value", "label.base64", "label.duplicate-key", "label.forbidden-char", "label.invalid-utf8", "label.key-case",
    "label.key-order", "label.missing-key", "label.misspelt-key", "label.non-string", "label.not-json", "label.not-object", "label.quote-char",
    "label.too-deep", "label.too-large", "label.unknown-key", "label.whitespace", "label.xml-entities",
    "notice.borderline-size", "notice.clip-too-short", "notice.english-only", "notice.late", "notice.missing-element",
    "notice.not-both-ends", "notice.placement", "notice.receipt-mismatch", "notice.receipt-unreadable", "notice.small", "notice.too-short", "notice.too-small",
    "provider.bad-service", "provider.bad-uscc", "provider.malformed-code", "provider.not-a-code", "provider.role-mismatch",
    "watermark.mismatch", "watermark.without-label",
    "xmp.hostile", "xmp.jpeg-header", "xmp.malformed", "xmp.namespace", "xmp.too-large",
})  # fmt: skip


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
