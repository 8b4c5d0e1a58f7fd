#!/usr/bin/env python3
"""Regenerate every fixture: runs ``generate(root)`` of each ``scripts/fixtures_*.py``.

Usage: python scripts/make_fixtures.py [FAMILY ...]   (default: all families)
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent / "fixtures"


def main(argv: list[str]) -> int:
    families = sorted(p.stem.removeprefix("fixtures_") for p in HERE.glob("fixtures_*.py"))
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("family", nargs="*", help=f"the families to regenerate: {', '.join(families)} (default: all)")
    wanted = set(cli.parse_args(argv).family)
    if wanted - set(families):
        cli.error(f"no such family: {', '.join(sorted(wanted - set(families)))}")
    for module_path in sorted(HERE.glob("fixtures_*.py")):
        family = module_path.stem.removeprefix("fixtures_")
        if wanted and family not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(module_path.stem, module_path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.generate(ROOT)
        print(f"generated {family} fixtures")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
