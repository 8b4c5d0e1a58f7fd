"""Every script in ``scripts/`` teaches its use: ``--help`` prints its usage and exits 0 at once,
without running a benchmark or regenerating a file; an unknown option is a usage error (exit 2)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = sorted(p for p in (ROOT / "scripts").glob("*.py") if '__name__ == "__main__"' in p.read_text(encoding="utf-8"))


def _run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_the_scripts_are_found() -> None:
    assert {p.name for p in COMMANDS} >= {"bench.py", "bench_image.py", "fuzz_campaign.py", "make_fixtures.py", "generate_formats.py"}


@pytest.mark.parametrize("script", COMMANDS, ids=lambda p: p.name)
def test_help_teaches_and_changes_nothing(script: Path) -> None:
    before = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT).stdout
    done = _run(script, "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage:"), done.stderr[-500:]
    assert subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT).stdout == before
    wrong = _run(script, "--no-such-option")
    assert wrong.returncode == 2 and "error:" in wrong.stderr
