"""Start-up cost: importing the CLI (every adapter family) must not load the heavy libraries.

They load on first use (``labeler.lazy``); a module-level ``np.array(...)`` or ``pymupdf.X`` at
import time would silently bring back ~0.25 s and ~40 MB per process, for every batch.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numpy", "pymupdf", "fontTools.subset", "fontTools.ttLib", "cv2", "onnxruntime", "urllib.request", "ssl")
PROBE = f"""
import sys, importlib.util
import labeler.cli
loaded = [m for m in {HEAVY!r} if m in sys.modules and type(sys.modules[m]).__name__ != "_LazyModule"]
print(",".join(loaded))
"""


def test_importing_the_cli_loads_no_heavy_library() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"imported at start-up: {out}"


def test_lazy_modules_work_on_first_use() -> None:
    code = "import labeler.cli\nfrom labeler.adapters.image import pixels\nprint(pixels.np.zeros(3).sum())"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "0.0"
