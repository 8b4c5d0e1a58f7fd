"""The detection benchmark scores what it should, and its text family runs end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import bench_detection


def test_score_counts_dangerous_passes_false_alarms_and_undecided() -> None:
    cases = [
        bench_detection.Case(name, truth, "")
        for name, truth in (("a", "compliant"), ("b", "compliant"), ("c", "missing-explicit"), ("d", "unlabelled"))
    ]
    verdicts = {
        "a": {"status": "compliant", "passed": True},
        "b": {"status": "invalid", "passed": False},
        "c": {"status": "compliant", "passed": True},
        "d": {"status": "missing-implicit-unverified", "passed": False},
    }
    result = bench_detection.score("x", cases, verdicts, 8.0)
    assert result["accuracy"] == 0.25 and result["seconds_per_file"] == 2.0
    assert [r["file"] for r in result["dangerous_passes"]] == ["c"]
    assert [r["file"] for r in result["false_alarms"]] == ["b"] and result["compliant_files"] == 2
    assert result["undecided"] == 0.25
    assert "| x | 4 | 25.0% | 1 | 1/2 (50%) | 25% | 2.00 |" in bench_detection.table([result])


@pytest.mark.slow
def test_text_family_runs_with_ground_truth(tmp_path: Path) -> None:
    (result,) = bench_detection.evaluate(["text"], tmp_path, quick=True, jobs=1)
    assert result["files"] == 15 and {r["file"] for r in result["wrong"]} <= {
        f"{s}.{e}" for s in ("body-mentions-ai", "negated") for e in ("txt", "md", "html")
    }
    assert result["false_alarms"] == []
