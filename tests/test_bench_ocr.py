"""The OCR benchmark runs end to end on two images per set (it cannot rot) and its sets are what it says."""

from __future__ import annotations

import importlib.util

import pytest

from .conftest import ROOT

pytest.importorskip("rapidocr_onnxruntime", reason="OCR backend (extra 'ocr') not installed")


@pytest.mark.slow
def test_quick_run_reads_every_notice_and_no_plain_image() -> None:
    spec = importlib.util.spec_from_file_location("bench_ocr", ROOT / "scripts" / "bench_ocr.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = {r["case"]: r for r in bench.run(quick=True)}
    assert set(rows) == {"ocr per image, notice 1024x768", "ocr per image, plain 1024x768", "ocr verify --jobs 1"}
    assert rows["ocr per image, notice 1024x768"]["note"].startswith("2/2 present")
    assert rows["ocr per image, plain 1024x768"]["note"].startswith("0/2 present")
    assert '"notice:compliant": 2' in rows["ocr verify --jobs 1"]["note"]
    assert '"plain:missing-explicit": 2' in rows["ocr verify --jobs 1"]["note"]
    assert all(r["seconds"] > 0 for r in rows.values())
