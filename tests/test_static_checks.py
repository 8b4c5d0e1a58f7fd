"""The README's test command also holds the code to its static checks (pyproject: [tool.mypy], [tool.ruff]) and its module size limit.

Both tools come with the ``test`` extra; a finding fails here with the tool's own report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    result = _run("ruff", "check", "--no-cache", "labeler", "tests", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_changes_nothing() -> None:
    result = _run("ruff", "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # ~20-40 s from a cold cache on 2 cores
def test_mypy_strict_finds_nothing() -> None:
    result = _run("mypy", "labeler")
    assert result.returncode == 0, result.stdout + result.stderr


def test_modules_stay_small() -> None:
    """House style: a module over 500 lines holds more than one idea; split it."""
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "labeler").rglob("*.py")}
    assert sizes, "no modules found"
    assert not {name: n for name, n in sizes.items() if n >= 500}
