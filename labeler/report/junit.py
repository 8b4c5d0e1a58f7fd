"""JUnit XML: one testsuite per run, one testcase per file and check.

The dialect GitLab, Jenkins (JUnit plugin) and Azure DevOps (PublishTestResults, JUnit) all read:
``testsuites > testsuite > testcase`` with ``failure`` (message + type + text) and ``skipped``.
A waived check is ``skipped`` with the waiver's reason; warnings go to ``system-out``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from ..names import unicode_text
from ..verify import Verdict
from . import RunInfo, checks_of, display_path

#: Characters XML 1.0 cannot carry (control characters from hostile file names or labels).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: str) -> str:
    return _NOT_XML.sub("\ufffd", unicode_text(text))  # bytes that are not UTF-8 as \xNN, not lost


def render(verdicts: Sequence[Verdict], run: RunInfo) -> str:
    suite = ET.Element("testsuite", name=f"labeler verify ({run.policy.name})")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="policy", value=run.policy.name)
    for waiver in run.policy.waivers:
        ET.SubElement(
            props,
            "property",
            name=f"waiver:{_x(waiver.rule)}",
            value=_x(waiver.reason + (f" (paths: {', '.join(waiver.paths)})" if waiver.paths else "")),
        )
    tests = failures = skipped = 0
    for verdict in verdicts:
        path = _x(display_path(verdict.path, run.root))
        for outcome in checks_of(verdict):
            tests += 1
            case = ET.SubElement(
                suite, "testcase", classname=f"labeler.{outcome.check.name}", name=f"{path} [{outcome.check.name}]", file=path, time="0"
            )
            errors = [f for f in outcome.findings if f.is_error]
            if outcome.result == "fail":
                failures += 1
                first = errors[0]
                failure = ET.SubElement(case, "failure", message=_x(f"{first.rule}: {first.message}"), type=_x(first.rule))
                failure.text = _x(
                    "\n".join(f"{f.rule}: {f.message}" for f in errors) + f"\nstatus: {verdict.status}\nrule: {outcome.check.clause}"
                )
            elif outcome.result == "waived":
                skipped += 1
                reasons = "; ".join(f"{w.rule}: {w.reason}" for w in verdict.waivers) or "not required by the policy"
                ET.SubElement(case, "skipped", message=_x(f"{errors[0].rule} accepted ({reasons})"))
            warnings = [f for f in outcome.findings if not f.is_error]
            if warnings:
                ET.SubElement(case, "system-out").text = _x("\n".join(f"warning {f.rule}: {f.message}" for f in warnings))
    for path, reason in run.skipped:
        tests += 1
        skipped += 1
        case = ET.SubElement(suite, "testcase", classname="labeler.ignored", name=_x(path), file=_x(path), time="0")
        ET.SubElement(case, "skipped", message=_x(reason))
    for key, value in (("tests", tests), ("failures", failures), ("errors", 0), ("skipped", skipped), ("time", 0)):
        suite.set(key, str(value))
    root = ET.Element("testsuites", name="labeler", tests=str(tests), failures=str(failures), errors="0", skipped=str(skipped), time="0")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
