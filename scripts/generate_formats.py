#!/usr/bin/env python3
"""Regenerate what is derived from the format table: the pre-commit hooks' ``files:`` pattern and
the README's format and C2PA tables (``labeler.formattables``).

Usage: python scripts/generate_formats.py [--check]   (--check: exit 1 if a file would change)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labeler.formattables import with_precommit_pattern, with_readme_sections  # noqa: E402

TARGETS = ((ROOT / ".pre-commit-hooks.yaml", with_precommit_pattern), (ROOT / "README.md", with_readme_sections))


def main(argv: list[str]) -> int:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    check = cli.parse_args(argv).check
    stale = []
    for path, generate in TARGETS:
        text = path.read_text(encoding="utf-8")
        new = generate(text)
        if new != text:
            stale.append(path.name)
            if not check:
                path.write_text(new, encoding="utf-8")
    if stale:
        print(("out of date: " if check else "regenerated: ") + ", ".join(stale))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
