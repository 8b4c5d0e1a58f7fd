"""Golden files for every report format, from a fixed fixture set.

The set: fixtures/cases/text as they are, plus fixtures/samples/text labelled with a fixed
--produce-id, verified under a labeler.toml with one waiver and one ignore pattern. Paths are
relative (the run happens in a temp folder) and the version is normalised, so the goldens only
change when a report changes. Regenerate after an intended change with:

    LABELER_REGEN_GOLDEN=1 python -m pytest tests/test_report_golden.py
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from labeler._version import __version__
from labeler.cli import main

from .conftest import FIXTURES, PRODUCER

GOLDEN = Path(__file__).resolve().parent / "golden"
SARIF_SCHEMA = Path(__file__).resolve().parent / "sarif-schema-2.1.0.json"
REPORT_SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "report.schema.json"
FILES = {"json": "report.json", "junit": "report.junit.xml", "sarif": "report.sarif", "html": "report.html", "markdown": "report.md"}
CONFIG = """\
ignore = ["cases/binary-named.txt"]

[[waiver]]
rule = "label.forbidden-char"
reason = "legacy asset <approved> by legal & brand"
paths = ["cases/label-chinese-producer.md"]
"""


def normalise(text: str) -> str:
    for old, new in (
        (f'"version": "{__version__}"', '"version": "VERSION"'),
        (f'"semanticVersion": "{__version__}"', '"semanticVersion": "VERSION"'),
        (f"labeler {__version__},", "labeler VERSION,"),
    ):
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("golden")
    shutil.copytree(FIXTURES / "cases" / "text", root / "cases")
    (root / "labeler.toml").write_text(CONFIG, encoding="utf-8")
    cwd = Path.cwd()
    os.chdir(root)
    try:
        assert (
            main(
                [
                    "label",
                    str(FIXTURES / "samples" / "text"),
                    "--out",
                    "labelled",
                    "--producer",
                    PRODUCER,
                    "--produce-id",
                    "golden-{stem}",
                    "--no-progress",
                    "--jobs",
                    "1",
                ]
            )
            == 0
        )
        args = ["verify", "cases", "labelled", "--no-progress", "--jobs", "1", "--format", "text", "--output", "out/report.txt"]
        for fmt, name in FILES.items():
            args += ["--report", f"{fmt}=out/{name}"]
        assert main(args) == 1  # the cases include failures
        return {fmt: normalise((root / "out" / name).read_text(encoding="utf-8")) for fmt, name in FILES.items()}
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("fmt", list(FILES))
def test_report_matches_golden(reports: dict[str, str], fmt: str) -> None:
    golden = GOLDEN / FILES[fmt]
    if os.environ.get("LABELER_REGEN_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(reports[fmt], encoding="utf-8")
    assert golden.is_file(), f"{golden} missing: run LABELER_REGEN_GOLDEN=1 python -m pytest {__file__}"
    assert reports[fmt] == golden.read_text(encoding="utf-8"), f"{fmt} report changed; if intended, regenerate with LABELER_REGEN_GOLDEN=1"


def test_json_report_validates_against_its_schema(reports: dict[str, str]) -> None:
    import jsonschema

    document = json.loads(reports["json"])
    jsonschema.validate(document, json.loads(REPORT_SCHEMA.read_text(encoding="utf-8")))
    assert document["policy"]["waivers"][0]["rule"] == "label.forbidden-char"
    assert any(s["path"] == "cases/binary-named.txt" for s in document["skipped"])
    waived = next(f for f in document["files"] if f["path"] == "cases/label-chinese-producer.md")
    assert waived["status"] == "compliant" and waived["waivers"][0]["reason"].startswith("legacy asset")


def test_sarif_validates_against_the_official_schema(reports: dict[str, str]) -> None:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert len(schema["definitions"]) > 40  # the real schema, not a toy
    log = json.loads(reports["sarif"])
    jsonschema.Draft4Validator(schema).validate(log)
    broken = json.loads(reports["sarif"])
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert list(jsonschema.Draft4Validator(schema).iter_errors(broken)), "the schema must reject a bad level"
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["LBL000", "LBL001", "LBL002", "LBL003"]
    assert all(r["help"]["text"] and "GB 45438" in r["properties"]["clause"] for r in rules if r["id"] in ("LBL001", "LBL002"))
    for result in run["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and uri.split("/")[0] in ("cases", "labelled")
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    prints = [r["partialFingerprints"]["labelerFinding/v1"] for r in run["results"]]
    assert len(prints) == len(set(prints)), "fingerprints must identify one alert each"


def test_junit_structure(reports: dict[str, str]) -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(reports["junit"].encode())
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) == int(root.get("tests"))
    assert int(suite.get("failures")) == len([c for c in cases if c.find("failure") is not None])
    names = {c.get("name") for c in cases}
    assert "cases/empty.txt [explicit]" in names and "cases/empty.txt [implicit]" in names
    failure = next(c for c in cases if c.get("name") == "cases/english-only-notice.txt [explicit]").find("failure")
    assert failure.get("type") == "notice.english-only" and "GB 45438" in failure.text
    passed = next(c for c in cases if c.get("name") == "labelled/post-plain.md [implicit]")
    assert list(passed) == []


def test_junit_reads_in_an_independent_parser(reports: dict[str, str], tmp_path: Path) -> None:
    junitparser = pytest.importorskip("junitparser")  # the parser many CI integrations use
    path = tmp_path / "labeler.xml"
    path.write_text(reports["junit"], encoding="utf-8")
    (suite,) = list(junitparser.JUnitXml.fromfile(str(path)))
    failures = [c for c in suite for r in c.result if isinstance(r, junitparser.Failure)]
    skipped = [c for c in suite for r in c.result if isinstance(r, junitparser.Skipped)]
    assert suite.tests == len(list(suite)) and suite.failures == len(failures) and suite.skipped == len(skipped)
    assert {c.classname for c in failures} <= {"labeler.explicit", "labeler.implicit", "labeler.checkable"}
    assert all(r.message and r.type for c in failures for r in c.result)
