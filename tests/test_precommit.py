"""The pre-commit hook, run by pre-commit itself in a temporary git repository (offline).

The hook definition comes from this repository's .pre-commit-hooks.yaml; the test only swaps
``language: python`` (which would pip-install the package into a fresh environment) for
``language: system`` so it uses the installed ``labeler`` and needs no network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from labeler.registry import ADAPTERS

from .conftest import FIXTURES, ROOT

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
MANIFEST = ROOT / ".pre-commit-hooks.yaml"


def _hooks() -> dict[str, dict]:
    return {h["id"]: h for h in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))}


def _hook() -> dict:
    return _hooks()["labeler-verify"]


def test_ocr_hook_is_the_same_gate_plus_the_ocr_extra() -> None:
    hooks = _hooks()
    assert set(hooks) == {"labeler-verify", "labeler-verify-ocr"}
    plain, ocr = hooks["labeler-verify"], hooks["labeler-verify-ocr"]
    assert ocr["additional_dependencies"] == [".[ocr]"] and "additional_dependencies" not in plain
    assert {k: v for k, v in ocr.items() if k not in ("id", "name", "description", "additional_dependencies")} == {
        k: v for k, v in plain.items() if k not in ("id", "name", "description")
    }  # same files, command, types


def test_manifest_is_valid_and_covers_every_adapter_extension() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    hook = _hook()
    assert hook["id"] == "labeler-verify" and hook["entry"].startswith("labeler verify")
    pattern = re.compile(hook["files"])
    missing = sorted(
        {e for a in ADAPTERS for e in a.extensions if not pattern.search(f"x/asset.{e}") or not pattern.search(f"ASSET.{e.upper()}")}
    )
    assert not missing, f"extensions labeler handles but the hook does not select: {missing}"
    for name in ("clip.mp4", "clip.MOV", "doc.pdf", "song.wav", "post.md", "pic.PNG"):
        assert pattern.search(name), name
    for name in ("setup.py", "data.json", "Makefile"):
        assert not pattern.search(name), name


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PIP_NO_INDEX": "1",
        "PRE_COMMIT_COLOR": "never",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.skipif(
    shutil.which("labeler") is None and not (Path(sys.executable).parent / "labeler").exists(),
    reason="labeler console script not installed",
)
def test_hook_fails_unlabelled_asset_then_passes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "ci@example.invalid")
    _git(repo, "config", "user.name", "CI")
    hook = {**_hook(), "language": "system"}
    hook.pop("minimum_pre_commit_version", None)
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}), encoding="utf-8")
    shutil.copyfile(FIXTURES / "cases" / "text" / "labelled-compliant.md", repo / "post.md")
    (repo / "draft.txt").write_text("这段文字没有任何标识。\n", encoding="utf-8")
    (repo / "tool.py").write_text("print('not an asset')\n", encoding="utf-8")  # not selected by the hook
    _git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"

    failed = _pre_commit(repo, home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "unlabelled" in failed.stdout and "draft.txt" in failed.stdout and "tool.py" not in failed.stdout
    assert "Failed" in failed.stdout

    (repo / ".labelerignore").write_text("# scratch text is not published\ndraft.txt\n", encoding="utf-8")
    _git(repo, "add", ".")
    passed = _pre_commit(repo, home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
