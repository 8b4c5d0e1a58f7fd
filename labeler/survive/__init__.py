"""``labeler survive``: which labels survive platform-like uploads (issue 19).

- ``transforms``  the table of transforms (name, media, description, the real tool invocation)
- ``layers``      each label layer of one verdict, and survived / lost / undecided per transform
- ``runner``      survive_file / survive_paths: temp copies, transforms, verify, compare
- ``render``      text, JSON (``labeler.survive-report/1``, docs/survive.schema.json) and HTML
- ``command``     the subcommand's flags and run (the CLI only registers these two)
"""

from .layers import LAYERS, STATES, Cell
from .runner import ORIGINAL, FileResult, Row, survive_file, survive_paths
from .transforms import NAMES, TRANSFORMS, Transform, select

__all__ = [
    "LAYERS",
    "NAMES",
    "ORIGINAL",
    "STATES",
    "TRANSFORMS",
    "Cell",
    "FileResult",
    "Row",
    "Transform",
    "select",
    "survive_file",
    "survive_paths",
]
