"""No status asserts what was not established: implicit label absent + explicit check undecided.

The image is drawn by Pillow (an independent tool) with an ordinary caption and no label; OCR is
switched off, so the explicit check cannot decide. Before this status existed such a file read
``missing-implicit``, which says a notice is present.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from labeler.detect import ocr
from labeler.model import Evidence
from labeler.policy import STATUS_CHECKS, Policy, Waiver
from labeler.report import RunInfo, checks_of, render
from labeler.verify import STATUSES, ExplicitResult, ImplicitResult, decide, gate_failures, verify_file

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "report.schema.json"
STATUS = "missing-implicit-unverified"


@pytest.fixture
def unchecked_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(ocr, "available", lambda: False)
    image = Image.new("RGB", (320, 240), (30, 90, 160))
    ImageDraw.Draw(image).text((10, 200), "Summer sale 2026", fill=(255, 255, 255))
    path = tmp_path / "poster.png"
    image.save(path)
    return path


def test_decision_table_never_claims_an_unchecked_notice() -> None:
    undecided = ExplicitResult(Evidence.unknown("OCR backend not installed"))
    assert decide(ImplicitResult(False), undecided) == STATUS
    assert STATUS in STATUSES and set(STATUS_CHECKS) <= set(STATUSES)


def test_unchecked_image_without_label_fails_the_gate(unchecked_image: Path) -> None:
    verdict = verify_file(unchecked_image)
    assert verdict.status == STATUS, verdict.to_dict()
    assert verdict.explicit is not None and verdict.explicit.present is None
    assert not verdict.implicit.present and not verdict.passed and verdict.classification == "none"
    assert gate_failures([verdict]) == [verdict]
    assert gate_failures([verdict], fail_on=frozenset({STATUS})) == [verdict]
    assert gate_failures([verdict], fail_on=frozenset({"missing-implicit"})) == []  # no longer mistaken for it


def test_one_waiver_is_not_enough(unchecked_image: Path, tmp_path: Path) -> None:
    def passes(*rules: str) -> bool:
        policy = Policy().with_waivers([Waiver(rule, "test") for rule in rules], root=tmp_path)
        return verify_file(unchecked_image, policy).passed

    assert not passes("implicit.missing") and not passes("explicit.unverified")
    assert passes("implicit.missing", "explicit.unverified") and passes("implicit.missing", "explicit.missing")
    assert STATUS in Policy(required=frozenset()).passing_for(unchecked_image)
    assert STATUS not in Policy(required=frozenset({"implicit"})).passing_for(unchecked_image)
    assert STATUS not in Policy(required=frozenset({"explicit"})).passing_for(unchecked_image)


def test_every_report_format_shows_the_status(unchecked_image: Path) -> None:
    import jsonschema

    verdict = verify_file(unchecked_image)
    run = RunInfo(root=unchecked_image.parent, gate_failed=True)
    document = json.loads(render("json", [verdict], run))
    jsonschema.validate(document, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert document["files"][0]["status"] == STATUS and document["summary"][STATUS] == 1
    assert [(o.check.name, o.result, o.findings[0].rule) for o in checks_of(verdict)] == [
        ("explicit", "fail", "explicit.unverified"),
        ("implicit", "fail", "implicit.missing"),
    ]
    for fmt in ("junit", "sarif", "html", "markdown"):
        text = render(fmt, [verdict], run)
        assert STATUS in text, fmt
    sarif = json.loads(render("sarif", [verdict], run))
    assert {r["properties"]["status"] for r in sarif["runs"][0]["results"]} == {STATUS}
