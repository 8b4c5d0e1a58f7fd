"""Smoke test of the image benchmark: quick mode returns comparable rows and every tool's outputs
carry the label."""

from __future__ import annotations

import importlib.util

import pytest

from .conftest import ROOT

KEYS = {"case", "tool", "files", "bytes", "seconds", "peak_mb", "note"}


@pytest.mark.slow  # ~12 child processes (~30 s on a loaded 2-core machine)
def test_quick_bench_rows() -> None:
    spec = importlib.util.spec_from_file_location("bench_image", ROOT / "scripts" / "bench_image.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.run(quick=True)
    assert rows and all(set(row) == KEYS for row in rows)
    cases = {row["case"] for row in rows}
    assert {"jpeg-implicit-10", "jpeg-2mp-notice", "jpeg-2mp-one-file", "verify-20"} <= cases
    for row in rows:
        if row["files"] and "carry the label" in row["note"]:
            assert f"{row['files']}/{row['files']} carry the label" in row["note"], row
    verify = next(row for row in rows if row["tool"] == "labeler verify --jobs 2")
    assert "20/20 compliant" in verify["note"]
