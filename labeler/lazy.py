"""Heavy dependencies loaded on first use, so start-up pays only for the families a run touches.

Importing every adapter family used to import numpy, PyMuPDF and fontTools (~0.25 s and ~40 MB)
even for a batch of JPEGs that needs none of them. ``lazy_module`` returns the module object at
once and runs its code on the first attribute access (``importlib.util.LazyLoader``), so the
call sites keep reading ``np.zeros`` / ``pymupdf.open``. A module that is not installed still
fails at import time, as a plain import would.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from types import ModuleType

_lock = threading.Lock()


def lazy_module(name: str) -> ModuleType:
    with _lock:
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        loader = importlib.util.LazyLoader(spec.loader)
        spec.loader = loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loader.exec_module(module)
        return module
