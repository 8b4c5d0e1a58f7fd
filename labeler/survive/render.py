"""The survival table as text (terminals) and JSON (``labeler.survive-report/1``); HTML is in ``html``.

JSON shape (docs/survive.schema.json)::

    {"schema": "labeler.survive-report/1", "tool": {"name", "version"},
     "layers": ["metadata", "notice", "watermark", "c2pa"],
     "transforms": [{"name", "media", "formats", "description", "tool", "invocation"}],
     "files": [{"path", "media", "format", "error", "note",
                "rows": [{"transform": "original" | NAME, "status", "output", "seconds", "error",
                          "layers": {LAYER: {"state", "reason"}}}]}],
     "skipped": [{"path", "reason"}],
     "summary": {"files", "failed", "transforms": {NAME: {LAYER: {STATE: count, "had": count}}}}}

A cell's state is ``present``/``absent``/``undecided`` on the ``original`` row and
``survived``/``lost``/``undecided``/``absent`` (not in the original) on a transform's row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._version import __version__
from ..names import display, json_safe, with_exact_bytes
from .layers import LAYERS, TRANSFORMED, Cell
from .runner import ORIGINAL, FileResult
from .transforms import NAMES, Transform

SCHEMA = "labeler.survive-report/1"
#: Cells whose reason is worth a footnote in the text table: what cannot be decided, or what was
#: lost where the reason says more than "not there".
_GENERIC = {"no implicit AIGC label in the file", "no C2PA manifest", "not in the original"}


def summary(results: Sequence[FileResult]) -> dict[str, Any]:
    """Per transform (in table order) and layer, how many files ended in each state, plus ``had``:
    the files whose original carried the layer (a layer the original could not be checked for
    counts in neither)."""
    table: dict[str, dict[str, dict[str, int]]] = {}
    for result in results:
        original = next((row.cells for row in result.rows if row.transform == ORIGINAL and row.cells), {})
        for row in result.rows:
            if row.error or row.transform == ORIGINAL:
                continue
            per_layer = table.setdefault(row.transform, {layer: dict.fromkeys((*TRANSFORMED, "had"), 0) for layer in LAYERS})
            for layer, cell in row.cells.items():
                per_layer[layer][cell.state] += 1
                per_layer[layer]["had"] += original.get(layer, cell).state == "present"
    ordered = {name: table[name] for name in NAMES if name in table}
    return {"files": len(results), "failed": sum(1 for r in results if r.failed), "transforms": ordered}


def document(results: Sequence[FileResult], transforms: Sequence[Transform], skipped: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    used = {(row.transform, r.media) for r in results for row in r.rows}
    safe: dict[str, Any] = json_safe(
        {
            "schema": SCHEMA,
            "tool": {"name": "labeler", "version": __version__},
            "layers": list(LAYERS),
            "transforms": [t.as_dict() for t in transforms if any((t.name, media) in used for media in t.media)],
            "files": [r.as_dict() for r in results],
            "skipped": [with_exact_bytes({"path": path, "reason": reason}, "path") for path, reason in skipped],
            "summary": summary(results),
        }
    )
    return safe


def render_json(results: Sequence[FileResult], transforms: Sequence[Transform], skipped: Sequence[tuple[str, str]] = ()) -> str:
    return json.dumps(document(results, transforms, skipped), ensure_ascii=False, indent=2) + "\n"


def _noted(cell: Cell) -> bool:
    return cell.state == "undecided" or "but" in cell.reason or (cell.state == "lost" and cell.reason not in _GENERIC)


def _grid(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def _file_lines(result: FileResult) -> list[str]:
    lines = [f"{result.path}" + (f"  ({result.media}/{result.format})" if result.format else "")]
    if result.error:
        return [*lines, f"  error: {result.error}"]
    notes: dict[tuple[str, str], int] = {}
    grid = [["transform", *LAYERS, "verify status"]]
    errors = []
    for row in result.rows:
        if row.error:
            errors.append(f"  {row.transform}: error: {row.error}")
            continue
        cells = []
        for layer in LAYERS:
            cell = row.cells[layer]
            mark = ""
            if _noted(cell):
                mark = f"[{notes.setdefault((layer, cell.reason), len(notes) + 1)}]"
            cells.append(cell.state + mark)
        grid.append([row.transform, *cells, row.status or ""])
    lines += _grid(grid) + errors
    lines += [f"  [{n}] {layer}: {reason}" for (layer, reason), n in notes.items()]
    if result.note:
        lines.append(f"  note: {result.note}")
    return lines


def _summary_lines(results: Sequence[FileResult]) -> list[str]:
    table = summary(results)["transforms"]
    if len({r.path for r in results if len(r.rows) > 1}) < 2:
        return []
    grid = [["transform", *LAYERS]]
    for name, per_layer in table.items():
        cells = []
        for layer in LAYERS:
            counts = per_layer[layer]
            had, unsure = counts["had"], counts["had"] - counts["survived"] - counts["lost"]
            cells.append(f"{counts['survived']}/{had}" + (f" ({unsure} undecided)" if unsure else "") if had else "-")
        grid.append([name, *cells])
    return ["survived / files whose original carried the layer:", *_grid(grid), ""]


def render_text(results: Sequence[FileResult], skipped: Sequence[tuple[str, str]] = ()) -> str:
    lines: list[str] = []
    for result in results:
        lines += [*_file_lines(result), ""]
    lines += _summary_lines(results)
    lines += [f"skipped: {path} ({reason})" for path, reason in skipped]
    failed = sum(1 for r in results if r.failed)
    lines.append(f"{len(results)} files" + (f", {failed} with a file or transform that could not be checked" if failed else ""))
    return "".join(display(line) + "\n" for line in lines)  # no file name can drive the terminal


__all__ = ["SCHEMA", "document", "render_json", "render_text", "summary"]
