"""The argument parser of every ``labeler`` command (flags only; the commands are in ``commands``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._version import __version__
from ..batch import default_jobs
from ..remote.cli import add_engine_arguments
from ..remote.storage import path_or_url
from ..serve import command as serve_command
from ..survive import command as survive_command
from .c2pa import add_sign_arguments, add_verify_arguments
from .config import add_config_arguments, subparsers
from .gate import add_gate_arguments
from .report import add_report_arguments
from .watermark import add_label_arguments as add_watermark_arguments
from .watermark import add_verify_arguments as add_watermark_check_arguments

POSITIONS = ("start", "end", "both", "top-left", "top", "top-right", "left", "right", "bottom-left", "bottom", "bottom-right")

EPILOG = """\
examples:
  labeler label assets/ --out labelled/ --producer 001191110102MACQD9K64010000
  labeler verify labelled/                       # table; exit 1 if any file fails
  labeler verify labelled/ --format json --output report.json
  labeler inspect labelled/poster.md             # every label in every carrier
  labeler formats                                # formats, carriers, optional backends
  labeler serve --open                           # a local web page: drop, check, label, download

GB 45438-2025 requires both an explicit notice (text a person sees, e.g. "AI生成") and an
implicit label (the seven-field AIGC JSON in the file's metadata) on AI-generated content.
exit codes: 0 all files pass, 1 some file fails or could not be processed, 2 usage/internal error.
"""


def _label_parser(sub: Any) -> None:
    p = sub.add_parser(
        "label",
        help="add the explicit notice and the implicit label to files",
        description="Label files: add the explicit notice and the implicit AIGC metadata, then verify the output. "
        "Inputs are never modified unless --in-place is given; outputs are written atomically.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  labeler label assets/ --out labelled/ --producer 001191110102MACQD9K64010000 --jobs 4",
    )
    p.add_argument(
        "paths",
        nargs="+",
        type=path_or_url,
        metavar="PATH",
        help="files or folders (walked recursively), or URLs (s3://bucket/prefix, gs://, az://, file://)",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--out", "-o", type=path_or_url, metavar="DIR", help="write labelled copies here (a folder or a URL), mirroring the input tree"
    )
    where.add_argument("--in-place", action="store_true", help="overwrite the inputs (atomically)")
    who = p.add_argument_group("implicit label (GB 45438 Annex E)")
    who.add_argument(
        "--role",
        choices=("producer", "propagator"),
        default="producer",
        help="producer fills Label/ContentProducer/ProduceID; propagator keeps those and fills ContentPropagator/PropagateID (default: producer)",
    )
    who.add_argument(
        "--label",
        choices=("1", "2", "3"),
        help="1 AI-generated (producer default), 2 possibly (propagator default for unlabelled files), 3 suspected",
    )
    who.add_argument("--producer", metavar="CODE", help="ContentProducer: your 27-character TC260 provider code (or an ASCII name)")
    who.add_argument(
        "--produce-id",
        metavar="ID",
        help="ProduceID value or template: {sha256:N}, {stem}, {date}, {uuid} (default {sha256:32}: stable per content)",
    )
    who.add_argument("--reserved-code1", metavar="DATA", help="ReservedCode1 (producer security data)")
    who.add_argument("--propagator", metavar="CODE", help="ContentPropagator code (propagator role)")
    who.add_argument("--propagate-id", metavar="ID", help="PropagateID value or template (default {sha256:32})")
    who.add_argument("--reserved-code2", metavar="DATA", help="ReservedCode2 (propagator security data)")
    who.add_argument(
        "--force-producer",
        action="store_true",
        help="producer role: replace a label another producer already put in the file (refused by default; the report lists what was replaced)",
    )
    who.add_argument("--source-type", metavar="URI", help="IPTC DigitalSourceType written beside the label in XMP (default from --label)")
    shown = p.add_argument_group("explicit notice")
    shown.add_argument(
        "--notice-text",
        metavar="TEXT",
        help="notice text; must contain AI/人工智能 and 生成/合成 (default per media: 本内容由人工智能生成 / AI生成)",
    )
    shown.add_argument(
        "--notice-position",
        choices=POSITIONS,
        metavar="POS",
        help="text: start|end|both (default start); image/video: corners and edges, default bottom-right",
    )
    shown.add_argument(
        "--notice-duration",
        type=float,
        metavar="SECONDS",
        help="video: show the notice from the first frame for this long (default 3, at least 2; clamped to shorter clips)",
    )
    shown.add_argument("--persist", action="store_true", default=None, help="video: keep the notice on every frame of the whole video")
    shown.add_argument(
        "--no-ocr-check",
        action="store_true",
        help="image/video: do not OCR inputs for someone else's notice before adding one (much faster on fresh "
        "generator output; labeler's own notices are still recognised by their receipt, but a file already showing another notice gets a second one)",
    )
    p.add_argument("--no-explicit", action="store_true", help="write only the implicit label (content is never re-encoded)")
    p.add_argument("--no-implicit", action="store_true", help="write only the explicit notice")
    p.add_argument("--dry-run", action="store_true", help="show what would be done; write nothing")
    p.add_argument(
        "--resume", action="store_true", help="after a crash or kill: skip files the journal in the output folder marks finished"
    )
    add_watermark_arguments(p)
    add_sign_arguments(p)
    _common(p)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--jobs", "-j", type=int, default=None, metavar="N", help=f"parallel worker processes (default: all cores, here {default_jobs()})"
    )
    p.add_argument("--include-hidden", action="store_true", help="also process hidden files and folders")
    p.add_argument("--format", "-f", choices=("text", "json"), default="text", help="report format (default: text)")
    p.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress output on stderr")
    loud = p.add_mutually_exclusive_group()
    loud.add_argument("--quiet", "-q", action="store_true", help="text output: only files that fail, no progress")
    loud.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="text output: every detail (label: the actions and the label written for each file; verify prints every detail by default)",
    )
    add_config_arguments(p)
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="per-file time limit; the file fails, the batch goes on (default: 3600 label, 600 verify; 0 = none)",
    )
    p.add_argument(
        "--max-memory",
        type=_size,
        metavar="SIZE",
        help="address space a worker may add to what it starts with, e.g. 4G (default: 3/4 of RAM shared by the workers; 0 = none)",
    )
    _asr_argument(p)
    add_engine_arguments(p)


def _asr_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--asr-model",
        type=Path,
        metavar="DIR",
        help="audio: a sherpa-onnx offline speech recognition model directory, so spoken notices are "
        "recognised (else speech is reported as undecided); default $LABELER_ASR_MODEL",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labeler",
        description="Put China's AI-content labels (GB 45438-2025) on media files, and check them.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"labeler {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _label_parser(sub)
    v = sub.add_parser(
        "verify",
        help="check files for both labels; exit 1 if any file fails",
        description="Check that every file carries a valid explicit notice and a valid implicit label.",
    )
    v.add_argument(
        "paths",
        nargs="+",
        type=path_or_url,
        metavar="PATH",
        help="files or folders (walked recursively), or URLs (s3://bucket/prefix, gs://, az://, file://)",
    )
    add_verify_arguments(v)
    add_watermark_check_arguments(v)
    _common(v)
    add_gate_arguments(v)
    add_report_arguments(v)
    i = sub.add_parser("inspect", help="print every label found in a file, raw and parsed")
    i.add_argument("paths", nargs="+", type=Path, metavar="FILE")
    i.add_argument("--format", "-f", choices=("text", "json"), default="text")
    formats = sub.add_parser("formats", help="list supported formats, their carriers and optional backends")
    formats.add_argument(
        "--pre-commit-pattern",
        action="store_true",
        help="print only the `files:` regex selecting every extension labeler handles (as in .pre-commit-hooks.yaml)",
    )
    _asr_argument(formats)
    c = sub.add_parser("config", help="show the effective configuration (labeler.toml / [tool.labeler]) and where each value came from")
    c.add_argument("--show", action="store_true", required=True, help="print every setting of label and verify with its source")
    add_config_arguments(c)
    serve_command.add_parser(sub)
    survive_command.add_parser(sub)
    return parser


def _size(text: str) -> int:
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    number, unit = text.upper().rstrip("B")[:-1], text.upper().rstrip("B")[-1:]
    if unit.isdigit():
        number, unit = number + unit, ""
    try:
        return int(float(number) * units[unit])
    except (KeyError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 512M or 4G") from None


def flag_for(parser: argparse.ArgumentParser, command: str, field: str) -> str | None:
    """The flag of ``command`` that sets a library field (``LabelerError.field``): the option whose
    dest is the field with dots as underscores (``notice.duration`` -> ``--notice-duration``), else
    its last part (``c2pa.tsa`` -> ``--tsa``); None when no flag sets it."""
    sub = subparsers(parser).get(command)
    actions = {a.dest: a for a in sub._actions if a.option_strings} if sub else {}
    for dest in (field.replace(".", "_"), field.rsplit(".", 1)[-1]):
        if dest in actions:
            return max(actions[dest].option_strings, key=len)  # the long form
    return None
