"""SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, Azure DevOps, VS Code viewers).

One rule per check (``LBL000``..``LBL003``, stable ids) with help text and the clause it
enforces; one result per file and failing (or waived, as a suppressed result) check, located at
the file relative to the repository root (``uriBaseId`` ``SRCROOT``). ``partialFingerprints``
hash the check, the path and the failing rule ids, never measurements, so a re-run updates the
same alert instead of opening a new one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from .._version import __version__
from ..names import json_safe
from ..verify import Verdict
from . import CHECKS, Outcome, RunInfo, checks_of, display_path

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://www.tc260.org.cn/"
FINGERPRINT = "labelerFinding/v1"
_RULES = sorted(CHECKS.values(), key=lambda c: c.id)
_INDEX = {c.name: i for i, c in enumerate(_RULES)}
_NAMES = {"explicit": "ExplicitNotice", "implicit": "ImplicitLabel", "c2pa": "C2paManifest", "checkable": "CheckableFile"}


def _rule(check: Any) -> dict[str, Any]:
    return {
        "id": check.id,
        "name": _NAMES[check.name],
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": f"{check.title}. Enforces {check.clause}."},
        "help": {"text": check.help, "markdown": f"**{check.title}** ({check.clause})\n\n{check.help}"},
        "defaultConfiguration": {"level": "error"},
        "properties": {"clause": check.clause, "tags": ["gb45438", "ai-content-label", check.name]},
    }


def _result(verdict: Verdict, outcome: Outcome, run: RunInfo) -> dict[str, Any]:
    path = display_path(verdict.path, run.root)
    errors = [f for f in outcome.findings if f.is_error]
    shown = errors or list(outcome.findings)
    text = "; ".join(f"{f.rule}: {f.message}" for f in shown)
    key = "|".join([outcome.check.id, path, *sorted({f.rule for f in shown})])
    result: dict[str, Any] = {
        "ruleId": outcome.check.id,
        "ruleIndex": _INDEX[outcome.check.name],
        "level": "error" if errors else "warning",
        "message": {"text": f"{path}: {text} (status {verdict.status})"},
        "locations": [
            {"physicalLocation": {"artifactLocation": {"uri": quote(os.fsencode(path), safe="/"), "uriBaseId": "SRCROOT"}}}
        ],  # exact bytes, percent-encoded
        "partialFingerprints": {FINGERPRINT: hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()},
        "properties": {"status": verdict.status, "media": verdict.media, "findings": [f.rule for f in outcome.findings]},
    }
    if outcome.result == "waived":
        reasons = "; ".join(f"{w.rule}: {w.reason}" for w in verdict.waivers) or f"not required by policy {run.policy.name}"
        result["suppressions"] = [{"kind": "external", "justification": reasons}]
    return result


def document(verdicts: Sequence[Verdict], run: RunInfo) -> dict[str, Any]:
    results = [_result(v, o, run) for v in verdicts for o in checks_of(v) if o.result != "pass" or o.findings]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "labeler",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(c) for c in _RULES],
                    }
                },
                "results": results,
                "properties": {
                    "policy": run.policy.name,
                    "waivers": [w.as_dict() for w in run.policy.waivers],
                    "skipped": [{"path": p, "reason": r} for p, r in run.skipped],
                },
            }
        ],
    }


def render(verdicts: Sequence[Verdict], run: RunInfo) -> str:
    return json.dumps(json_safe(document(verdicts, run)), ensure_ascii=False, indent=2) + "\n"
