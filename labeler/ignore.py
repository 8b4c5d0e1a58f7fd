"""Ignore rules: which files a gate skips on purpose.

``.labelerignore`` uses gitignore syntax (``*``, ``**``, ``dir/``, ``!negation``, ``#`` comments;
matching by ``pathspec``'s GitIgnoreSpec, which follows git's own rules). Patterns are relative
to the folder holding the file. Config ``ignore = [...]`` patterns are relative to the config
file's folder. Everything not ignored is checked, and a file labeler cannot check fails the gate:
skipping must be explicit.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec  # imported on first use: start-up stays light

IGNORE_FILE = ".labelerignore"


@functools.lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(patterns)


def compile_patterns(patterns: Sequence[str]) -> GitIgnoreSpec:
    """A gitignore matcher for ``patterns`` (``.match_file(relative_posix_path)``)."""
    return _compiled(tuple(patterns))


@dataclass(frozen=True)
class IgnoreRules:
    """Gitignore patterns anchored at ``base``; ``origin`` names where they came from."""

    base: Path
    patterns: tuple[str, ...]
    origin: str

    def matches(self, path: Path) -> bool:
        if not self.patterns:
            return False
        try:
            relative = path.resolve().relative_to(self.base.resolve()).as_posix()
        except ValueError:
            return False  # outside this rule set's folder
        return bool(compile_patterns(self.patterns).match_file(relative))


def shown(path: Path) -> str:
    """``path`` as reports show it: relative to the working directory when below it (stable in CI)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def load_ignore_file(path: Path) -> IgnoreRules:
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    return IgnoreRules(path.parent, tuple(lines), shown(path))


def find_ignore_file(start: Path, stop: Path | None = None) -> Path | None:
    """The nearest ``.labelerignore`` walking up from ``start`` (not above ``stop`` when given)."""
    folder = start.resolve()
    limit = stop.resolve() if stop else None
    while True:
        candidate = folder / IGNORE_FILE
        if candidate.is_file():
            return candidate
        if folder == limit or folder.parent == folder or (folder / ".git").exists():
            return None
        folder = folder.parent


def ignored_by(path: Path, rules: Sequence[IgnoreRules]) -> IgnoreRules | None:
    """The first rule set that ignores ``path``, or None."""
    return next((r for r in rules if r.matches(path)), None)


def filter_ignored(items: Sequence[Any], rules: Sequence[IgnoreRules]) -> tuple[list[Any], list[Any]]:
    """Split discovered items (anything with ``.path``) into kept ones and ``Skipped`` entries."""
    from .batch import Skipped

    kept, skipped = [], []
    for item in items:
        rule = ignored_by(item.path, rules) if rules else None
        if rule is None:
            kept.append(item)
        else:
            skipped.append(Skipped(item.path, f"ignored by {rule.origin}"))
    return kept, skipped


__all__ = ["IGNORE_FILE", "IgnoreRules", "compile_patterns", "filter_ignored", "find_ignore_file", "ignored_by", "load_ignore_file"]
