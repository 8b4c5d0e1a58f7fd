"""``labeler serve``: its flags and how it starts uvicorn (the CLI only registers these two)."""

from __future__ import annotations

import argparse
import sys
import webbrowser
from pathlib import Path
from typing import Any

from ..config import Config, load_config
from ..pool import default_memory_limit
from .options import DEFAULT_MAX_UPLOAD, DEFAULT_PORT, ServeSettings, is_loopback, parse_size

MISSING = "labeler serve needs the web extra: pip install 'gb45438-labeler[serve]'"


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="a local web page: drop files, see verdicts, label and download (needs the serve extra)",
        description="Start a web app on this computer: drop files or a folder, see each file's verdict in plain words with a "
        "preview, label them with the settings of labeler.toml, and download the labelled copies (the originals are never "
        "changed). Files go to this computer only. Bound to 127.0.0.1 by default; any other --host needs a token "
        "(--token, or one is generated) and the printed URL.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  labeler serve --open\n  labeler serve --host 0.0.0.0 --port 8765 --max-upload 500MB   # prints a URL with a token\n"
        "  curl -F file=@poster.png http://127.0.0.1:8765/api/verify",
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer only; others require a token)"
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument(
        "--token",
        metavar="TOKEN",
        help="require this token (Authorization: Bearer TOKEN, or the printed URL); generated when --host is not loopback",
    )
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument(
        "--max-upload",
        type=_size,
        default=DEFAULT_MAX_UPLOAD,
        metavar="SIZE",
        help="largest upload accepted, e.g. 500MB (default 2GB); larger ones get 413",
    )
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="files processed at once (default 1)")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="per-file time limit (default: 3600 label, 600 verify; 0 = none)")
    p.add_argument("--max-memory", type=_size, metavar="SIZE", help="per-worker memory limit, e.g. 4G (default: 3/4 of RAM)")
    p.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="labeler.toml or pyproject.toml whose [label] settings the page starts with (default: the nearest)",
    )
    p.add_argument("--no-config", action="store_true", help="ignore configuration files")


def settings_from(args: argparse.Namespace) -> ServeSettings:
    config = Config() if args.no_config else load_config(args.config)
    jobs = max(1, args.jobs)
    timeout = None if args.timeout == 0 else args.timeout
    return ServeSettings(
        host=args.host,
        port=args.port,
        token=args.token,
        max_upload=args.max_upload,
        jobs=jobs,
        verify_seconds=600.0 if args.timeout is None else timeout,
        label_seconds=3600.0 if args.timeout is None else timeout,
        memory_bytes=default_memory_limit(jobs) if args.max_memory is None else args.max_memory or None,
        config=config,
        config_dir=config.path.parent if config.path else Path.cwd(),
    ).secured()


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from .app import create_app
    except ImportError:
        print(MISSING, file=sys.stderr)
        return 2
    settings = settings_from(args)
    app = create_app(settings)
    where = "this computer only" if is_loopback(settings.host) else "the network: share the URL only with people who may use it"
    print(f"labeler serve: open {settings.url()}  (reachable from {where}; Ctrl-C stops it)", flush=True)
    if args.open:
        webbrowser.open(settings.url())
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0
