"""Make a throwaway root -> intermediate -> leaf chain for trying C2PA signing.

    python scripts/make_test_pki.py [FOLDER] [--alg es256|ps256|ed25519]

writes FOLDER/chain.pem (leaf + intermediate: --c2pa-cert), FOLDER/key.pem (--c2pa-key) and
FOLDER/root.pem (--trust-anchors for `labeler verify`). Default FOLDER: .c2pa-test-pki (hidden,
so labeler never walks it). Never commit the key; never use this chain for real content.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeler.c2pa.pki import ALGORITHMS, make_test_pki


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=Path(".c2pa-test-pki"))
    parser.add_argument("--alg", choices=ALGORITHMS, default="es256")
    args = parser.parse_args(argv)
    pki = make_test_pki(args.folder, args.alg)
    print(f"labeler label IN --out OUT --producer CODE --c2pa-cert {pki.chain} --c2pa-key {pki.key} --c2pa-alg {pki.alg}")
    print(f"labeler verify OUT --trust-anchors {pki.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
