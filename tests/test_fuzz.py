"""Fuzzing: mutate every fixture format and run verify AND label on the result (and verify the output).

Properties (``scripts/fuzz_campaign.py`` classifies them): no internal error, no hang past the
per-case limit, no output for a failed label, and nothing called compliant (input or label's
output) that the format's independent reader rejects. CI replays a derandomised subset; the
10,000-cases-per-family campaign is marked ``nightly`` and deselected by default:

    pytest -m nightly tests/test_fuzz.py                     # 10,000 per family (hours)
    LABELER_FUZZ_CASES=500 pytest -m nightly tests/test_fuzz.py
    nice -n 15 python scripts/fuzz_campaign.py --family document  # the same, with running counts in JSON

Every failing input is saved to ``fuzz-crashes/`` (git-ignored); keep it as a regression fixture in
``fixtures/regressions/`` named after what it broke (``png-zero-length-itxt.png``), where
``test_regression_fixtures`` runs it forever after.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import fuzz_campaign

SEEDS = fuzz_campaign.seeds()
REGRESSIONS = sorted(p for p in (FIXTURES / "regressions").glob("*") if p.is_file() and p.name != "README.md")


class DrawChooser:
    """The campaign's mutations, drawn from Hypothesis (so failures shrink and replay)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def choice(self, options: Sequence[str]) -> str:
        return self.draw(st.sampled_from(list(options)))

    def binary(self, low: int, high: int) -> bytes:
        return self.draw(st.binary(min_size=low, max_size=high))


def check(path: Path, workdir: Path) -> None:
    try:
        fuzz_campaign.check(path, workdir)
    except fuzz_campaign.Finding as finding:
        fuzz_campaign.save_crash(path.read_bytes(), path.name)
        pytest.fail(f"{finding.outcome}: {finding}")


# CI replays the same derandomized cases (a red run is a real regression, not luck); long runs on
# demand explore new ones with LABELER_FUZZ_RANDOM=1. Slow: 120 cases of verify + label + verify.
@pytest.mark.slow
@settings(
    max_examples=int(os.environ.get("LABELER_FUZZ_EXAMPLES", "120")),
    deadline=None,
    database=None,
    derandomize=not os.environ.get("LABELER_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_mutated_fixtures(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(SEEDS), label="seed")
    mutated = fuzz_campaign.mutate(seed.read_bytes(), DrawChooser(data.draw))
    name = seed.name if data.draw(st.booleans(), label="keep name") else "renamed" + data.draw(st.sampled_from(fuzz_campaign.RENAMES))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(mutated)
        check(path, Path(folder))


@pytest.mark.parametrize("case", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_regression_fixtures(case: Path, tmp_path: Path) -> None:
    check(case, tmp_path)


def test_fuzz_has_seeds_for_every_family() -> None:
    from labeler.registry import ADAPTERS, sniff

    covered = {sniff(p).adapter.name for p in SEEDS if sniff(p)}
    assert {a.name for a in ADAPTERS} <= covered
    assert REGRESSIONS, "fixtures/regressions/ holds the crashes found so far"


@pytest.mark.nightly
@pytest.mark.parametrize("family", fuzz_campaign.FAMILIES)
def test_nightly_campaign(family: str) -> None:
    """10,000 mutated inputs of one family (``LABELER_FUZZ_CASES`` to change): no finding of any kind."""
    result = fuzz_campaign.campaign(family, int(os.environ.get("LABELER_FUZZ_CASES", "10000")))
    assert all(result[k] == 0 for k in fuzz_campaign.OUTCOMES if k != "ok"), result
