"""``labeler.report/1``: the machine-readable contract, documented by docs/report.schema.json.

Additive keys keep the schema id: ``passed``/``waivers`` per file; ``policy``, ``gate`` and
``skipped`` per run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._version import __version__
from ..verify import SCHEMA, Verdict, summary_counts
from . import RunInfo


def document(verdicts: Sequence[Verdict], run: RunInfo | None = None) -> dict[str, Any]:
    run = run or RunInfo()
    return {
        "schema": SCHEMA,
        "tool": {"name": "labeler", "version": __version__},
        "policy": run.policy.as_dict(),
        "files": [v.to_dict() for v in verdicts],
        "skipped": [{"path": path, "reason": reason} for path, reason in run.skipped],
        "summary": summary_counts(list(verdicts)),
        "gate": {"failed": run.gate_failed, "fail_on": sorted(run.fail_on) if run.fail_on is not None else None},
    }


def render(verdicts: Sequence[Verdict], run: RunInfo) -> str:
    return json.dumps(document(verdicts, run), ensure_ascii=False, indent=2) + "\n"
