from __future__ import annotations

from pathlib import Path

import pytest

from labeler import OutputError
from labeler.atomic import atomic_output
from labeler.batch import discover


def test_discover_sorted_mirrors_and_skips(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "b").mkdir(parents=True)
    (root / ".git").mkdir()
    for rel in ("z.txt", "a.txt", "b/c.txt", ".git/x.txt", "a.txt.aigc.json", ".labeler-tmp.txt"):
        (root / rel).write_text("x\n")
    items, skipped = discover([root])
    assert [str(i.relative) for i in items] == ["a.txt", "z.txt", "b/c.txt"]  # os.walk: files of a folder, then sub-folders
    assert not skipped
    with_hidden, _ = discover([root], include_hidden=True)
    assert "x.txt" in {i.path.name for i in with_hidden}
    two, _ = discover([root, root / "b"])
    assert Path("root/a.txt") in {i.relative for i in two} and Path("b/c.txt") in {i.relative for i in two}


def test_discover_excludes_output_folder_inside_input(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("x\n")
    (tmp_path / "new.txt").write_text("x\n")
    items, _ = discover([tmp_path], exclude=tmp_path / "out")
    assert [i.path.name for i in items] == ["new.txt"]


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as temp:
        temp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]
    with atomic_output(target) as temp:
        temp.write_text("new")
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]


def test_atomic_output_unwritable_folder_is_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create a file"), atomic_output(blocker / "sub" / "t.txt"):
        pass
