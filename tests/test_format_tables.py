"""What is generated from the format table stays generated: the pre-commit ``files:`` pattern, the
README's format and C2PA tables, and ``labeler formats`` (``labeler.formattables``).

When a test here fails, run ``python scripts/generate_formats.py`` and commit the result.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from labeler.cli import main
from labeler.facts import C2pa
from labeler.formattables import precommit_pattern, readme_sections, with_precommit_pattern, with_readme_sections
from labeler.registry import ADAPTERS

from .conftest import ROOT

README = ROOT / "README.md"
HOOKS = ROOT / ".pre-commit-hooks.yaml"


def test_precommit_hooks_select_what_the_table_says() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} == {"labeler-verify", "labeler-verify-ocr"}
    for hook in hooks:
        assert hook["files"] == precommit_pattern(), f"{hook['id']}: run python scripts/generate_formats.py"
    pattern = re.compile(precommit_pattern())
    for adapter in ADAPTERS:
        for ext in adapter.extensions:
            assert pattern.search(f"a/b.{ext}") and pattern.search(f"B.{ext.upper()}"), ext
    assert not pattern.search("setup.py") and not pattern.search("notes.mp4.bak")


def test_readme_tables_are_generated_from_the_table() -> None:
    text = README.read_text(encoding="utf-8")
    for name, body in readme_sections().items():
        assert f"<!-- generated:{name} -->\n{body}\n<!-- /generated:{name} -->" in text, (
            f"README {name} table is stale: run python scripts/generate_formats.py"
        )
    for adapter in ADAPTERS:
        for fmt in adapter.formats:
            assert f"| {fmt.label} |" in text.replace("\\|", "|"), fmt.label


def test_generators_repair_drift() -> None:
    text = README.read_text(encoding="utf-8")
    broken = text.replace("| JPEG | `.jpg`", "| JPEG | `.jpg` `.jpx`", 1)
    assert broken != text and with_readme_sections(broken) == text
    yaml_text = HOOKS.read_text(encoding="utf-8")
    stale = yaml_text.replace("|webp|", "|", 1)
    assert stale != yaml_text and with_precommit_pattern(stale) == yaml_text
    with pytest.raises(ValueError, match="generated:formats"):
        with_readme_sections("no markers here")


def test_c2pa_table_lists_every_format_once() -> None:
    mode_of: dict[str, str] = {}
    for row in readme_sections()["c2pa-formats"].splitlines()[2:]:
        labels, note = row.strip("| ").split(" | ", 1)
        for label in labels.split(", "):
            assert label not in mode_of, label
            mode_of[label] = note
    for adapter in ADAPTERS:
        for fmt in adapter.formats:
            assert mode_of[fmt.label].startswith("not signable") == (fmt.c2pa is C2pa.NONE), fmt.label


def test_formats_command_prints_the_pattern_and_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["formats", "--pre-commit-pattern"]) == 0
    assert capsys.readouterr().out == precommit_pattern() + "\n"
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for adapter in ADAPTERS:
        for fmt in adapter.formats:
            assert f"format {fmt.label} ({fmt.mime}): C2PA {fmt.c2pa.value}" in out


def test_generate_script_check_mode_passes_on_a_fresh_tree() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_formats.py"), "--check"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
