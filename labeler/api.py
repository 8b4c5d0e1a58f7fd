"""The Python API for pipelines: the same objects the CLI reports.

    >>> from labeler import LabelOptions, label_file, verify_paths
    >>> result = label_file("in/poster.md", "out/poster.md", LabelOptions(producer="001191110102MACQD9K64010000"))
    >>> result.status, result.verdict.status
    ('labelled', 'compliant')
    >>> [v.status for v in verify_paths(["out"])]
    ['compliant']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from .batch import default_jobs, discover, run
from .verify import Verdict, verify_file


def verify_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    jobs: int | None = None,
    include_hidden: bool = False,
    on_result: Callable[[Verdict], None] | None = None,
) -> list[Verdict]:
    """Verify every file under ``paths`` (folders walked recursively, symlinks not followed)."""
    items, _ = discover([Path(p) for p in paths], include_hidden=include_hidden)
    return run([i.path for i in items], verify_file, jobs=jobs or default_jobs(), on_result=on_result)
