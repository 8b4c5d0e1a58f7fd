"""Progress off a terminal (CI logs, a redirected stderr): one line per file with count, rate and ETA."""

from __future__ import annotations

import re

import pytest

from labeler.progress import Progress


def test_plain_lines_carry_count_rate_and_eta(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(3, "labelling")
    progress.advance("a.png")
    progress.advance("b\x1b[2J.png")  # a hostile name is escaped, never sent to the terminal raw
    progress.close()
    lines = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"\[1/3\] a\.png \(\d+(\.\d)? files/s, ETA \d+:\d\d:\d\d\)", lines[0]), lines[0]
    assert lines[1].startswith("[2/3] b") and "\x1b" not in lines[1] and "ETA" in lines[1]
    assert lines[2].startswith("labelling stopped: 2 of 3 files in ")


def test_disabled_progress_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(2, "verifying", enabled=False)
    progress.advance("a.png")
    progress.close()
    assert capsys.readouterr().err == ""
