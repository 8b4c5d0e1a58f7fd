"""CSV evidence export: a header row, then one row per checked file (RFC 4180, UTF-8, CRLF).

Columns: path, sha256 of the file's bytes, status, passed, classification, the seven Annex E label
fields, the notice text, where and how the notice was measured, the implicit carrier, the tool
version and the time of the run (UTC, ISO 8601). Skipped files are not rows: they were not checked.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return as a
formula (CSV injection), and file names and label values come from untrusted files. As OWASP
advises, such a cell is prefixed with a single quote and every cell is quoted, so the text shows
as text. The exact, unprefixed path is in the JSON report (``labeler.report/1``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from .._version import __version__
from ..label import KEY_NAMES
from ..model import Evidence
from ..names import unicode_text
from ..verify import Verdict
from . import RunInfo

HEADER = (
    "path",
    "sha256",
    "status",
    "passed",
    "classification",
    *KEY_NAMES,
    "notice_text",
    "notice_where",
    "notice_measured",
    "implicit_carrier",
    "tool_version",
    "checked_at",
)
#: Leading characters a spreadsheet evaluates (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 1 << 20


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of the file's bytes, or ``""`` when it cannot be read (unknown, not a digest)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def checked_at(run: RunInfo) -> str:
    """The run's time: ``run.extra["checked_at"]`` (so every report of a bundle agrees), else now."""
    return str(run.extra.get("checked_at") or datetime.now(timezone.utc).isoformat(timespec="seconds"))


def neutralise(cell: str) -> str:
    """``cell`` as spreadsheet text: a formula-starting cell gets a leading ``'``; other text is unchanged."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _measured(evidence: Evidence | None) -> str:
    # How the notice was found: the adapter's summary plus its measurements (box, ratio, times...).
    if evidence is None:
        return ""
    detail = evidence.detail
    return evidence.summary + (" " + json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else "")


def row(verdict: Verdict, when: str) -> list[str]:
    label = verdict.implicit.label.as_dict() if verdict.implicit.label else {}
    evidence = verdict.explicit.evidence if verdict.explicit else None
    values: list[Any] = [
        os.fspath(verdict.path),
        file_sha256(verdict.path),
        verdict.status,
        "yes" if verdict.passed else "no",
        verdict.classification or "",
        *(label.get(key, "") for key in KEY_NAMES),
        (evidence.text if evidence else None) or "",
        (evidence.where if evidence else None) or "",
        _measured(evidence),
        verdict.implicit.carrier or "",
        __version__,
        when,
    ]
    return [neutralise(unicode_text(str(v))) for v in values]


def render(verdicts: Sequence[Verdict], run: RunInfo) -> str:
    when = checked_at(run)
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(row(v, when) for v in verdicts)
    return out.getvalue()


__all__ = ["FORMULA_START", "HEADER", "checked_at", "file_sha256", "neutralise", "render", "row"]
