"""``labeler.report/1``: the machine-readable contract, documented by docs/report.schema.json.

Additive keys keep the schema id: ``passed``/``waivers`` per file; ``policy``, ``gate`` and
``skipped`` per run; ``path_bytes`` beside a path that is not valid UTF-8 (``labeler.names``: the
path itself shows those bytes as ``\\xNN``, ``path_bytes`` holds the exact name in base64).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._version import __version__
from ..names import json_safe, with_exact_bytes
from ..verify import SCHEMA, Verdict, summary_counts
from . import RunInfo


def document(verdicts: Sequence[Verdict], run: RunInfo | None = None) -> dict[str, Any]:
    run = run or RunInfo()
    safe: dict[str, Any] = json_safe(
        {
            "schema": SCHEMA,
            "tool": {"name": "labeler", "version": __version__},
            "policy": run.policy.as_dict(),
            "files": [with_exact_bytes(v.to_dict(), "path") for v in verdicts],
            "skipped": [with_exact_bytes({"path": path, "reason": reason}, "path") for path, reason in run.skipped],
            "summary": summary_counts(list(verdicts)),
            "gate": {"failed": run.gate_failed, "fail_on": sorted(run.fail_on) if run.fail_on is not None else None},
        }
    )
    return safe


def render(verdicts: Sequence[Verdict], run: RunInfo) -> str:
    return json.dumps(document(verdicts, run), ensure_ascii=False, indent=2) + "\n"
