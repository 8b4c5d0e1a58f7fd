"""Smoke test of the audio benchmark: quick mode returns comparable rows for every case."""

from __future__ import annotations

import importlib.util

import pytest

from labeler import ffmpeg

from .conftest import ROOT

KEYS = {"case", "tool", "files", "bytes", "seconds", "peak_mb", "note"}


@pytest.mark.skipif(not ffmpeg.available(), reason="needs ffmpeg")
def test_quick_bench_rows() -> None:
    spec = importlib.util.spec_from_file_location("bench_audio", ROOT / "scripts" / "bench_audio.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.run(quick=True)
    assert rows and all(set(row) == KEYS for row in rows)
    cases = {row["case"] for row in rows}
    assert {"mp3-implicit-5", "mp3-10s-notice"} <= cases and any(c.startswith("detect-wav") for c in cases)
    for row in rows:
        assert row["seconds"] > 0 and row["peak_mb"] > 0, row
        if row["case"].startswith("mp3-implicit"):
            assert "5/5 outputs carry the label" in row["note"], row
