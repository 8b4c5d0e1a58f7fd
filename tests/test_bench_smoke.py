"""The benchmark runner and the scaling benchmark run end to end on tiny inputs (they cannot rot)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT


def test_ratios_are_relative_to_the_first_labeler_row() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench

    rows = bench.with_ratios(
        [
            {"case": "c", "tool": "labeler", "seconds": 2.0},
            {"case": "c", "tool": "exiftool", "seconds": 6.0},
            {"case": "c", "tool": "labeler --jobs 2", "seconds": 1.0},
            {"case": "d", "tool": "ffmpeg", "seconds": 1.0},
        ]
    )
    assert [r["ratio"] for r in rows] == [1.0, 3.0, 0.5, None]


@pytest.mark.slow
def test_quick_scaling_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--quick", "--only", "scaling", "--json", str(tmp_path / "r.json")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    cases = {r["case"] for r in rows}
    assert {"label explicit+implicit, 6 files", "verify, 6 files", "label metadata-only, 6 files"} <= cases
    assert all(r["seconds"] > 0 and r["peak_mb"] > 0 for r in rows)
    assert "| scaling |" in result.stdout
