"""Where an output may be written: never through a symlink, never under a name the file system refuses.

- ``check_tree``: every folder between the output root (``--out``, trusted: the user named it)
  and the output must be a real folder. A symlink already inside the output tree (``out/sub ->
  /elsewhere``) would put outputs outside it, so the file is refused instead.
- ``refuse_symlink``: the output itself (and every companion such as ``NAME.aigc.json``) must not
  be a symlink. A rename would replace the link rather than follow it, but the user meant the
  linked file: refuse and name it. Called again right before every rename.
- ``check_names``: the final names (the output and its companions), and the temp names made
  beside them, must fit the file system's ``NAME_MAX`` and ``PATH_MAX``; a temp name fitting
  while the final one does not is how a sidecar went missing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import OutputError

#: Bytes a temp name adds to the output's extension: ``.labeler-``, a 32-digit run id, ``-``,
#: mkstemp's 8 characters, and up to 16 for a companion's or an adapter's extra extension
#: (``.aigc.json``, ``.enc.mp4``).
TEMP_NAME_EXTRA = 9 + 32 + 1 + 8 + 16
_DEFAULT_LIMITS = (255, 4096)


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False  # absent (or a name too long to exist): not a link


def check_tree(root: Path, target: Path) -> None:
    """Refuse ``target`` when a folder between ``root`` and it is a symlink."""
    try:
        parts = target.parent.relative_to(root).parts
    except ValueError:
        return  # not under root: nothing here is the output tree's
    folder = root
    for part in parts:
        folder = folder / part
        if _is_link(folder):
            raise OutputError(
                f"{folder} is a symlink inside the output folder (to {os.readlink(folder)}); labeler never writes through "
                "symlinks there, so outputs cannot land outside it: replace the link with a real folder or choose another --out",
                target,
            )


def refuse_symlink(target: Path) -> None:
    if _is_link(target):
        raise OutputError(
            f"is a symlink (to {os.readlink(target)}); labeler does not replace a link or write through it: "
            "label the file it points to, or remove the link",
            target,
        )


def _limits(folder: Path) -> tuple[int, int]:
    while not os.path.isdir(folder) and folder != folder.parent:
        folder = folder.parent  # the folder may not exist yet: its nearest ancestor's file system decides
    try:
        return os.pathconf(folder, "PC_NAME_MAX"), os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError):
        return _DEFAULT_LIMITS


def check_names(target: Path, *companions: Path) -> None:
    """Refuse before any work when a final or temp name would be too long for the file system."""
    name_max, path_max = _limits(target.parent)
    for path in (target, *companions):
        what = "the output" if path == target else f"its companion NAME{path.name.removeprefix(target.name)}"
        name = len(os.fsencode(path.name))
        if name > name_max:
            raise OutputError(
                f"the name of {what} would be {name} bytes, over this file system's limit of {name_max} (NAME_MAX); "
                f"shorten the file name by at least {name - name_max} bytes",
                target,
            )
        whole = len(os.fsencode(path))
        if whole >= path_max:
            raise OutputError(
                f"the path of {what} would be {whole} bytes, over this file system's limit of {path_max - 1} (PATH_MAX); "
                "choose a shorter output folder or file name",
                target,
            )
    temp = TEMP_NAME_EXTRA + len(os.fsencode(target.suffix))
    if temp > name_max:
        raise OutputError(
            f"the extension {target.suffix[:40]!r}... is too long for the temp file written beside the output "
            f"({temp} bytes, over the limit of {name_max}); rename the file with a short extension",
            target,
        )
    if len(os.fsencode(target.parent)) + 1 + temp >= path_max:
        raise OutputError(
            f"the output folder's path is too long for the temp file written beside the output (limit {path_max - 1} "
            "bytes, PATH_MAX); choose a shorter output folder",
            target,
        )
