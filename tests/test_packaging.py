"""Packaging metadata stays coherent after the rename to ``gb45438-labeler`` (issue 17 item 9).

CI (.ci/run) builds the sdist and wheel, runs ``twine check`` and runs the wheel's command in a
clean venv; these fast checks catch the drift a rename leaves behind: an extra that names the old
distribution (pip would fetch the unrelated PyPI project ``labeler``), install hints that do.
"""

from __future__ import annotations

import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME = PROJECT["name"]


def test_distribution_name_is_not_the_unrelated_pypi_project() -> None:
    assert NAME == "gb45438-labeler"
    assert PROJECT["scripts"] == {"labeler": "labeler.cli:main"}  # the command keeps its name


def test_extras_refer_to_this_distribution() -> None:
    for extra, requirements in PROJECT["optional-dependencies"].items():
        for requirement in requirements:
            own = re.match(r"([A-Za-z0-9_.-]+)\[", requirement)
            # another project's extra (dask[distributed], moto[server]) is fine; the old name is not
            assert own is None or own.group(1).lower() != "labeler", f"extra {extra!r} installs {requirement!r}, not {NAME}"
    test = " ".join(PROJECT["optional-dependencies"]["test"])
    assert "build" in test and "twine" in test


def test_install_hints_name_this_distribution() -> None:
    stale = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "labeler").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"install ['\"]labeler\[", line)
    ]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stale += [f"README.md: {m.group(0)}" for m in re.finditer(r"install ['\"]labeler\[[a-z,]+\]", readme)]
    assert not stale, stale
