from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PRODUCER = "001191110102MACQD9K64010000"  # Doubao's published code (valid USCC check)
PROPAGATOR = "00119144030008867405X220001"  # Jimeng's propagation-service code


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Nightly tests run only when ``-m`` names them: a later ``-m "not slow"`` replaces the
    ``-m 'not nightly'`` of addopts, and must not start a campaign of hours."""
    if "nightly" in (config.getoption("markexpr") or ""):
        return
    nightly = [item for item in items if item.get_closest_marker("nightly")]
    if nightly:
        config.hook.pytest_deselected(items=nightly)
        items[:] = [item for item in items if not item.get_closest_marker("nightly")]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def detect(path: Path):  # type: ignore[no-untyped-def]
    """The explicit-notice evidence of the adapter that claims ``path``."""
    from labeler.registry import sniff

    sniffed = sniff(path)
    assert sniffed is not None
    return sniffed.adapter.detect_explicit(path)


def error_rules(evidence) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.rule for p in evidence.problems if p.is_error]
