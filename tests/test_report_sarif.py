"""SARIF details beyond the schema: fingerprints that survive re-runs, suppressions for waivers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from labeler.model import Evidence, Presence
from labeler.policy import Policy, Waiver
from labeler.problems import error
from labeler.report import RunInfo, render
from labeler.verify import ExplicitResult, Verdict, verify_file


def _results(verdicts: list[Verdict], run: RunInfo | None = None) -> list[dict]:
    return json.loads(render("sarif", verdicts, run or RunInfo(root=Path("/assets"))))["runs"][0]["results"]


def _too_small(ratio: float) -> Verdict:
    evidence = Evidence(
        Presence.PRESENT,
        f"notice at {ratio:.1%}",
        "AI生成",
        "bottom-right",
        (error("notice.too-small", f"notice text measures {ratio:.2%} of the shortest side"),),
        {"height_ratio": ratio},
    )
    return Verdict(Path("/assets/img/poster.png"), "invalid", "image", "png", explicit=ExplicitResult(evidence))


def test_fingerprint_ignores_measurements_but_not_path_or_rule() -> None:
    first, again = _results([_too_small(0.031)]), _results([_too_small(0.034)])
    key = "labelerFinding/v1"
    assert first[0]["message"]["text"] != again[0]["message"]["text"]
    assert first[0]["partialFingerprints"][key] == again[0]["partialFingerprints"][key]  # same alert on a re-run
    moved = replace(_too_small(0.031), path=Path("/assets/img/other.png"))
    assert _results([moved])[0]["partialFingerprints"][key] != first[0]["partialFingerprints"][key]
    assert first[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "img/poster.png", "uriBaseId": "SRCROOT"}


def test_waived_missing_label_is_a_suppressed_result(tmp_path: Path) -> None:
    target = tmp_path / "export.md"
    target.write_text(
        '---\nAIGC: {"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"p1","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}\n---\n正文。\n',
        encoding="utf-8",
    )
    waiver = Waiver("explicit.missing", "user asked for the file without the notice; logged")
    verdict = verify_file(target, Policy().with_waivers([waiver], root=tmp_path))
    assert verdict.status == "missing-explicit" and verdict.passed
    (result,) = _results([verdict], RunInfo(root=tmp_path))
    assert result["ruleId"] == "LBL001" and result["suppressions"][0]["justification"].startswith("explicit.missing: user asked")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "export.md"


def test_uri_is_percent_encoded() -> None:
    verdict = Verdict(Path("/assets/海报 final#1.png"), "unsupported", error="not a format labeler supports")
    (result,) = _results([verdict])
    assert result["ruleId"] == "LBL000"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "%E6%B5%B7%E6%8A%A5%20final%231.png"


def test_cli_locations_are_relative_to_the_repository(tmp_path: Path, monkeypatch) -> None:
    from labeler.cli import main

    (tmp_path / ".git").mkdir()  # a work tree root (what `git init` leaves)
    sub = tmp_path / "site" / "assets"
    sub.mkdir(parents=True)
    (sub / "post.txt").write_text("没有标识。\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "site")
    assert main(["verify", "assets", "--no-progress", "--jobs", "1", "--report", "sarif=out.sarif"]) == 1
    results = json.loads((tmp_path / "site" / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"site/assets/post.txt"}
