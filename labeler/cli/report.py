"""The report flags of ``labeler verify``: ``--format`` widened to every report, ``--report
FORMAT=PATH`` (repeatable) and ``--evidence DIR``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..report import DEFAULT_NAMES, FORMATS


def parse_report_spec(text: str) -> tuple[str, Path]:
    """``FORMAT=PATH`` (or ``FORMAT`` alone: a default file name in the working directory)."""
    fmt, _, target = text.partition("=")
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise argparse.ArgumentTypeError(f"{fmt!r} is not a report format; use one of {', '.join(FORMATS)} as FORMAT=PATH")
    return fmt, Path(target.strip() or DEFAULT_NAMES[fmt])


def add_report_arguments(parser: Any) -> None:
    """``--format`` gains the report formats; ``--report FORMAT=PATH`` writes several at once."""
    for action in parser._actions:  # widen the shared --format option for this command only
        if action.dest == "format":
            action.choices = ("text", *FORMATS)
            action.help = f"report on stdout (or --output): text (default), {', '.join(FORMATS)}"
    parser.add_argument(
        "--report",
        action="append",
        type=parse_report_spec,
        default=[],
        metavar="FORMAT=PATH",
        help=f"also write a report file; repeatable, e.g. --report junit=labeler.xml --report sarif=labeler.sarif ({', '.join(FORMATS)})",
    )
    parser.add_argument(
        "--evidence",
        type=Path,
        metavar="DIR",
        help="write an evidence bundle to DIR: the report in every format plus SHA256SUMS of the reports and the checked files",
    )
