"""Every ```python block of the README runs as a saved script and under ``python -c``, with the
API's defaults (worker processes included), in a fresh interpreter: no copy that can drift."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import labeler

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)


def _workspace(tmp_path: Path) -> Path:
    """What the README's examples assume: AI-made posts in ``in/`` (written here, not by labeler)."""
    (tmp_path / "in").mkdir()
    for n, text in enumerate(("# Spring sale\n\nTen percent off.\n", "# Opening hours\n\nNine to five.\n", "Plain notes.\n")):
        (tmp_path / "in" / ("post.md" if n == 0 else f"post{n}.md")).write_text(text, encoding="utf-8")
    return tmp_path


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def test_readme_has_python_blocks() -> None:
    assert BLOCKS and any("verify_paths" in b for b in BLOCKS)


@pytest.mark.parametrize("how", ["script", "main-guard", "python-c"])
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(tmp_path: Path, index: int, how: str) -> None:
    code = BLOCKS[index]
    work = _workspace(tmp_path)
    if how == "main-guard":
        code = 'if __name__ == "__main__":\n' + "".join(f"    {line}\n" for line in code.splitlines())
    if how == "python-c":
        argv = [sys.executable, "-c", code]
    else:
        (work / "example.py").write_text(code, encoding="utf-8")
        argv = [sys.executable, "example.py"]
    done = subprocess.run(argv, check=False, cwd=work, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_verify_paths_defaults_from_a_thread(tmp_path: Path) -> None:
    """Default jobs (worker processes) and limits from a non-main thread, as a web service would."""
    work = _workspace(tmp_path)
    got: list[object] = []
    thread = threading.Thread(target=lambda: got.append(labeler.verify_paths([work / "in"], jobs=2)))
    thread.start()
    thread.join(120)
    (verdicts,) = got
    assert sorted(v.status for v in verdicts) == ["unlabelled"] * 3  # type: ignore[attr-defined]
