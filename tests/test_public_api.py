from __future__ import annotations

import labeler


def test_all_is_sorted_and_exported() -> None:
    assert labeler.__all__ == sorted(labeler.__all__)
    for name in labeler.__all__:
        assert hasattr(labeler, name), name


def test_py_typed_shipped() -> None:
    from pathlib import Path

    assert (Path(labeler.__file__).parent / "py.typed").exists()


def test_error_tree() -> None:
    assert issubclass(labeler.LabelFormatError, ValueError)
    for error in (labeler.InputError, labeler.OutputError, labeler.UnsupportedError, labeler.BackendMissingError, labeler.LabelFormatError):
        assert issubclass(error, labeler.LabelerError)
    assert str(labeler.InputError("truncated", "/x/a.jpg")) == "/x/a.jpg: truncated"


def test_verify_paths_api(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("AI生成\n")
    (verdict,) = labeler.verify_paths([tmp_path], jobs=1)
    assert verdict.status == "missing-implicit" and verdict.classification == "suspected-ai"


def test_all_equals_the_public_names() -> None:
    """Every public name of the package is exported on purpose, and nothing else."""
    from types import ModuleType

    public = {name for name, value in vars(labeler).items() if not name.startswith("_") and not isinstance(value, ModuleType)}
    assert public == set(labeler.__all__) - {"__version__"}
    assert {"label_paths", "verify_paths", "BatchOutcome", "Limits", "LabelOptions"} <= public  # api.py's docstring imports these


def test_api_docstring_imports_work() -> None:
    import re

    import labeler.api

    for names in re.findall(r">>> from labeler import (.+)", labeler.api.__doc__ or ""):
        for name in names.split(","):
            assert hasattr(labeler, name.strip()), name


def test_label_paths_refuses_run_wide_options_once(tmp_path) -> None:
    import pytest

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("# A\n\nText.\n", encoding="utf-8")
    with pytest.raises(labeler.LabelFormatError, match="--producer"):
        labeler.label_paths([tmp_path / "in"], out=tmp_path / "out", options=labeler.LabelOptions(producer="豆包"), jobs=1)
    assert not (tmp_path / "out").exists()
