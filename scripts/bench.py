#!/usr/bin/env python3
"""Run every benchmark side by side with the tools a user would otherwise use, and print ratios.

    python scripts/bench.py --setup            # install exiftool, ffmpeg, ImageMagick (Debian, as root)
    python scripts/bench.py                    # full run (tens of minutes on 2 cores)
    python scripts/bench.py --quick            # tiny inputs, seconds: the smoke run the tests use
    python scripts/bench.py --only image,scaling --markdown results.md --json results.json

Each ``scripts/bench_<family>.py`` exposes ``run(quick) -> list[row]``; rows with the same ``case``
are one comparison: labeler against its peers. ``ratio`` is a row's time / the case's first labeler
row's time, so a peer at 3.0 took three times as long as labeler, and a second labeler row (say
``--jobs 2``) at 0.55 took 55 % of the first one's time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
APT_PACKAGES = ("libimage-exiftool-perl", "ffmpeg", "imagemagick", "poppler-utils")
REQUIRED_KEYS = ("case", "tool", "files", "seconds")


def setup() -> int:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("--setup installs Debian packages and needs root with apt-get: " + " ".join(APT_PACKAGES), file=sys.stderr)
        return 2
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *APT_PACKAGES],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return 0


def families() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(HERE))
    spec.loader.exec_module(module)
    return module


def _version(command: list[str]) -> str:
    if not shutil.which(command[0]):
        return "not installed"
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (out.stdout or out.stderr).strip().splitlines()[0][:80] if (out.stdout or out.stderr).strip() else "unknown"


def machine() -> dict[str, str]:
    cpu = (
        next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    from labeler import __version__

    return {
        "cpu": f"{cpu} ({os.cpu_count()} cores)",
        "memory": f"{memory:.0f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "labeler": __version__,
        "exiftool": _version(["exiftool", "-ver"]),
        "ffmpeg": _version(["ffmpeg", "-version"]),
        "imagemagick": _version(["convert", "-version"]) if Path("/usr/bin/convert").exists() else "not installed",
    }


def with_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``ratio`` (peer seconds / labeler seconds) to every row of a case that has a labeler row."""
    base: dict[str, float] = {}
    for r in rows:
        if r["tool"].startswith("labeler") and r.get("seconds"):
            base.setdefault(r["case"], r["seconds"])  # the first labeler row of a case is the reference
    for row in rows:
        reference = base.get(row["case"])
        row["ratio"] = round(row["seconds"] / reference, 2) if reference and row.get("seconds") else None
    return rows


def markdown(rows: list[dict[str, Any]], info: dict[str, str], command: str) -> str:
    lines = [
        f"Command: `{command}`",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()),
        "",
        "| family | case | tool | files | seconds | files/s | MB/s | peak MB | ratio vs labeler | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        secs = r["seconds"]
        rate = f"{r['files'] / secs:.1f}" if secs else "-"
        mbs = f"{r.get('bytes', 0) / secs / 2**20:.1f}" if secs and r.get("bytes") else "-"
        peak = f"{r['peak_mb']:.0f}" if r.get("peak_mb") else "-"
        ratio = f"{r['ratio']:.2f}×" if r.get("ratio") is not None else "-"
        lines.append(
            f"| {r['family']} | {r['case']} | {r['tool']} | {r['files']} | {secs:.3f} | {rate} | {mbs} | {peak} | {ratio} | {r.get('note', '')} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", action="store_true", help="install the comparison tools with apt-get, then exit")
    parser.add_argument("--quick", action="store_true", help="tiny inputs (smoke run)")
    parser.add_argument("--only", help=f"comma-separated families: {', '.join(families())}")
    parser.add_argument("--json", type=Path, help="write all rows as JSON")
    parser.add_argument("--markdown", type=Path, help="write a Markdown table (for BENCHMARKS.md)")
    args = parser.parse_args(argv)
    if args.setup:
        return setup()
    wanted = set(args.only.split(",")) if args.only else None
    info = machine()
    rows: list[dict[str, Any]] = []
    failures = []
    for family, path in families().items():
        if wanted and family not in wanted:
            continue
        started = time.monotonic()
        print(f"== {family}", file=sys.stderr, flush=True)
        try:
            produced = load(path).run(args.quick)
        except Exception as exc:  # noqa: BLE001 - one broken family must not hide the others
            failures.append(f"{family}: {type(exc).__name__}: {exc}")
            print(f"   FAILED: {exc}", file=sys.stderr)
            continue
        for row in produced:
            missing = [k for k in REQUIRED_KEYS if k not in row]
            if missing:
                failures.append(f"{family}: row without {missing}: {row}")
                continue
            rows.append({"family": family, **row})
        print(f"   {len(produced)} rows in {time.monotonic() - started:.1f}s", file=sys.stderr)
    with_ratios(rows)
    command = "python scripts/bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    table = markdown(rows, info, command.strip())
    print(table)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "rows": rows}, indent=2, ensure_ascii=False))
    if args.markdown:
        args.markdown.write_text(table)
    for failure in failures:
        print("FAILED " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
