"""The command line: every argument parser lives in this package (``parser`` and the flag groups
``c2pa``, ``config``, ``gate``, ``report``), the commands in ``commands``; ``main`` dispatches.

Exit codes: 0 every file passed; 1 at least one file failed a check or could not be labelled;
2 usage error or internal error; 128 + N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..detect import asr
from ..errors import LabelerError
from ..lifeline import exit_status, stop_signals
from ..names import display
from .commands import COMMANDS, EXIT_OK, EXIT_USAGE, _Usage
from .config import configure
from .parser import build_parser, flag_for


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        with stop_signals():  # SIGTERM/SIGHUP stop like Ctrl-C: workers killed, temps swept, journal closed
            if args.command in ("label", "verify"):
                configure(parser, args, sys.argv[1:] if argv is None else argv)
            if getattr(args, "asr_model", None) is not None:  # --asr-model or asr_model in labeler.toml
                os.environ[asr.ENV] = str(args.asr_model)  # workers inherit it
                if args.command != "formats":
                    asr.load(str(args.asr_model))  # a broken model directory stops the run here, not per file
            return COMMANDS[args.command](args)
    except (_Usage, LabelerError) as exc:
        field = getattr(exc, "field", None)
        flag = flag_for(parser, args.command, field) if field else None  # library errors name fields, users type flags
        named = flag is None or flag in str(exc)  # a message written for the command line names it already
        print(display(f"labeler {args.command}: " + ("" if named else f"{flag}: ") + str(exc)), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as stopped:
        resume = " (finished files are in the journal: run again with --resume)" if args.command == "label" else ""
        print(f"labeler: interrupted by {str(stopped) or 'SIGINT'}{resume}", file=sys.stderr)
        return exit_status(stopped)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - per-file errors never get here; this is a bug in labeler
        print(display(f"labeler {args.command}: internal error: {type(exc).__name__}: {exc} (please report this)"), file=sys.stderr)
        return EXIT_USAGE


__all__ = ["build_parser", "main"]
