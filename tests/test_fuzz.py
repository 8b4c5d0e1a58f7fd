"""Fuzzing: mutate every fixture format and run verify and label on the result.

Properties: no uncaught exception (no "internal error"), no hang (an alarm per case), no output
for a failed label, and nothing claimed compliant that the format's reference reader cannot open.
CI runs a bounded number of cases; a long run on demand:

    LABELER_FUZZ_RANDOM=1 LABELER_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py -p no:cacheprovider

Every failing input is saved to ``fuzz-crashes/`` (git-ignored); keep it as a regression fixture in
``fixtures/regressions/`` named after what it broke (``png-zero-length-itxt.png``), where
``test_regression_fixtures`` runs it forever after.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labeler import LabelOptions, label_file, verify_file
from labeler.sidecar import is_sidecar

from .conftest import FIXTURES, PRODUCER, ROOT

SEEDS = sorted(p for folder in ("samples", "cases") for p in (FIXTURES / folder).rglob("*") if p.is_file() and not is_sidecar(p) and p.stat().st_size < 2_000_000)
REGRESSIONS = sorted(p for p in (FIXTURES / "regressions").glob("*") if p.is_file() and p.name != "README.md")
CASE_SECONDS = 60
CRASHES = ROOT / "fuzz-crashes"


@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    def hung(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def opens_in_reference_reader(path: Path, media: str) -> bool:
    """An independent reader accepts the file (used to check "compliant" claims)."""
    try:
        if media == "image":
            from PIL import Image

            with Image.open(path) as image:
                image.load()
        elif media == "audio":
            import mutagen

            return mutagen.File(path) is not None
        elif media == "document":
            data = path.read_bytes()
            if data.startswith(b"PK"):
                return zipfile.ZipFile(io.BytesIO(data)).testzip() is None
            import pymupdf

            with pymupdf.open(path) as document:
                return document.page_count > 0
        elif media == "video" and shutil.which("ffprobe"):
            return subprocess.run(["ffprobe", "-v", "error", str(path)], capture_output=True, timeout=60).returncode == 0
        return True
    except Exception:  # noqa: BLE001 - any failure means "the reference reader refuses it"
        return False


def mutate(data: bytes, draw: st.DrawFn) -> bytes:
    if not data:
        return draw(st.binary(max_size=64))
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "zero", "duplicate", "overwrite-head"]))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
        return data
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=256)) + data[at:]
    if kind == "zero":
        length = draw(st.integers(1, 512))
        return data[:at] + bytes(min(length, len(data) - at)) + data[at + length :]
    if kind == "duplicate":
        length = draw(st.integers(1, 4096))
        return data[:at] + data[at : at + length] * 2 + data[at + length :]
    return draw(st.binary(min_size=1, max_size=64)) + data[min(64, len(data)) :]


def check(path: Path, workdir: Path) -> None:
    try:
        with alarm(CASE_SECONDS):
            verdict = verify_file(path)
        assert not (verdict.error or "").startswith("internal error"), verdict.error
        if verdict.status == "compliant":
            assert opens_in_reference_reader(path, verdict.media), f"claims compliance for a file its reference reader rejects ({verdict.media})"
        out = workdir / "out" / path.name
        with alarm(CASE_SECONDS):
            result = label_file(path, out, LabelOptions(producer=PRODUCER))
        assert "internal error" not in (result.error or ""), result.error
        if result.ok:
            assert out.exists()
        else:
            assert not out.exists(), "a failed label must leave no output"
    except BaseException:
        CRASHES.mkdir(exist_ok=True)
        data = path.read_bytes()
        shutil.copyfile(path, CRASHES / f"{hashlib.sha256(data).hexdigest()[:12]}-{path.name}")
        raise


# CI replays the same derandomized cases (a red run is a real regression, not luck); long runs on
# demand explore new ones with LABELER_FUZZ_RANDOM=1.
@settings(max_examples=int(os.environ.get("LABELER_FUZZ_EXAMPLES", "120")), deadline=None, database=None,
          derandomize=not os.environ.get("LABELER_FUZZ_RANDOM"), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_fixtures(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(SEEDS), label="seed")
    mutated = mutate(seed.read_bytes(), data.draw)
    name = seed.name if data.draw(st.booleans(), label="keep name") else "renamed" + data.draw(st.sampled_from([".txt", ".jpg", ".mp3", ".pdf", ".bin", ".md"]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(mutated)
        check(path, Path(folder))


@pytest.mark.parametrize("case", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_regression_fixtures(case: Path, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_fuzz_has_seeds_for_every_family() -> None:
    from labeler.registry import ADAPTERS
    from labeler.registry import sniff

    covered = {sniff(p).adapter.name for p in SEEDS if sniff(p)}
    assert {a.name for a in ADAPTERS} <= covered
    assert REGRESSIONS, "fixtures/regressions/ holds the crashes found so far"
