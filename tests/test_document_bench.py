"""Smoke test of the document benchmark: quick mode runs in seconds and returns comparable rows."""

from __future__ import annotations

import importlib.util

import pytest

from .conftest import ROOT

KEYS = {"case", "tool", "files", "bytes", "seconds", "peak_mb", "note"}


@pytest.mark.slow  # eight child processes (~15 s on 2 idle cores)
def test_quick_bench_rows() -> None:
    spec = importlib.util.spec_from_file_location("bench_document", ROOT / "scripts" / "bench_document.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.run(quick=True)
    assert rows and all(set(row) == KEYS for row in rows)
    labeler = [row for row in rows if row["tool"] == "labeler"]
    assert {row["case"] for row in labeler} == {"pdf-implicit-10", "pdf-30-pages-notice", "ooxml-implicit-9", "ooxml-full-9"}
    for row in rows:
        if row["case"].startswith("pdf-implicit") and row["files"]:  # a peer that is not installed has files == 0
            assert row["seconds"] > 0 and f"{row['files']}/{row['files']} outputs carry the label" in row["note"], row
    assert "verified compliant" in next(row for row in labeler if "notice" in row["case"])["note"]
