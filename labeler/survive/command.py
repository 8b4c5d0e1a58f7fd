"""``labeler survive``: its flags and its run (the CLI only registers these two).

Exit codes: 0 every file and transform was run and checked (whatever survived: survival is
information, not a gate); 1 some file could not be read or some transform could not be run or
checked (a tool missing or failing; the table says which); 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..api import LABEL_TIMEOUT
from ..batch import default_jobs
from ..c2pa import SignalOptions
from ..cli.watermark import add_verify_arguments as add_watermark_arguments
from ..cli.watermark import verify_settings
from ..errors import LabelerError
from ..names import display
from ..pool import Limits, default_memory_limit
from ..progress import Progress
from .html import render_html
from .render import render_json, render_text
from .runner import FileResult, survive_paths
from .transforms import NAMES, TRANSFORMS, select

EXIT_OK, EXIT_FAILED = 0, 1


def _epilog() -> str:
    width = max(len(n) for n in NAMES)
    rows = [f"  {t.name:<{width}}  {'/'.join(t.media):<11} {t.description}" for t in TRANSFORMS]
    return (
        "transforms (--transform NAME; default: every one that applies to the file's media):\n"
        + "\n".join(rows)
        + "\n\nlayers: metadata (implicit AIGC label), notice (explicit: receipt, template or OCR; audio cue),\n"
        "watermark (images and video labelled with --watermark: give the same --watermark-key), c2pa (a manifest\n"
        "that still validates). Cells: survived / lost / undecided (could not be checked, with the reason; never\n"
        "counted as survived); absent: not in the original. The first row of each file is the original, for reference.\n\n"
        "examples:\n"
        "  labeler survive labelled/banner.png                  # every image transform, a table on the terminal\n"
        "  labeler survive labelled/ --transform wechat --transform strip --format html --output survive.html\n"
        "  labeler survive labelled/banner.png -t jpeg-q50 --format json --keep kept/   # keep the changed files to look at\n\n"
        "exit codes: 0 every transform ran and was checked, 1 a file or transform could not be run or checked, 2 usage error.\n"
        "Inputs are only read: each transform works on a private copy in a temporary folder."
    )


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "survive",
        help="which labels survive platform-like uploads (re-encoding, resizing, metadata stripping)",
        description="Apply the changes platforms make to uploads (WeChat, Weibo, Douyin, Xiaohongshu re-encode images and "
        "video, many apps drop XMP and ID3) with real tools (Pillow, ImageMagick, exiftool, ffmpeg) to a copy of each file, "
        "check every result with labeler verify, and report per transform which label layers survive.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_epilog(),
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="labelled files or folders (walked recursively)")
    p.add_argument(
        "--transform",
        "-t",
        action="append",
        choices=NAMES,
        metavar="NAME",
        help="apply only this transform (repeat for several; names below); default: all that apply",
    )
    p.add_argument("--format", "-f", choices=("text", "json", "html"), default="text", help="report format (default: text)")
    p.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="copy every transformed file to DIR/<file name>/<transform>.<ext> (existing files are never overwritten)",
    )
    p.add_argument(
        "--jobs", "-j", type=int, default=None, metavar="N", help=f"files processed at once (default: all cores, here {default_jobs()})"
    )
    p.add_argument("--include-hidden", action="store_true", help="also process hidden files and folders")
    p.add_argument("--no-progress", action="store_true", help="no progress output on stderr")
    add_watermark_arguments(p)  # --watermark-key / --watermark-key-file: the key the files were watermarked with
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"per-file time limit for all its transforms (default {LABEL_TIMEOUT:.0f}; 0 = none)",
    )


def run(args: argparse.Namespace) -> int:
    missing = [os.fspath(p) for p in args.paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise LabelerError(f"no such file or folder: {', '.join(missing)}")
    if args.jobs is not None and args.jobs < 1:
        raise LabelerError("--jobs must be at least 1")
    jobs = args.jobs or default_jobs()
    seconds = LABEL_TIMEOUT if args.timeout is None else args.timeout or None
    progress: list[Progress] = []

    def advance(result: FileResult) -> None:
        progress[0].advance(f"{'failed' if result.failed else 'checked'}: {result.path}")

    try:
        results, skipped = survive_paths(
            args.paths,
            args.transform,
            keep=args.keep,
            jobs=jobs,
            include_hidden=args.include_hidden,
            limits=Limits(seconds=seconds, memory_bytes=default_memory_limit(jobs)),
            on_plan=lambda n: progress.append(Progress(n, "surviving", enabled=not args.no_progress)),
            on_result=advance,
            signals=SignalOptions(watermark=verify_settings(args)),
        )
    finally:
        if progress:
            progress[0].close()
    chosen = select(args.transform)
    text = {
        "text": lambda: render_text(results, skipped),
        "json": lambda: render_json(results, chosen, skipped),
        "html": lambda: render_html(results, chosen, skipped),
    }[args.format]()
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    if not results:
        print(display(f"labeler survive: no file found under {', '.join(map(os.fspath, args.paths))}"), file=sys.stderr)
    return EXIT_FAILED if any(r.failed for r in results) or not results else EXIT_OK


__all__ = ["add_parser", "run"]
