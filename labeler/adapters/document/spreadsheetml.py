"""XLSX (and xlsm/xltx/xltm): the notice goes where a reader of the first visible sheet sees it.

Two places, because a spreadsheet is read two ways:

- **on screen**: an inline-string cell in row 1, one empty column right of the used range (``F1``
  for data in ``A:D``), so it shows at the top of the sheet on opening without overwriting,
  shifting or re-referencing any existing cell (no formulas move);
- **on paper / PDF export**: the left section of the page header (``&L``) of that sheet.

``Notice.pages == "all"`` puts both on every visible sheet. Detection reads the cells of the first five rows (inline and shared strings) and the page headers
and footers of the first visible sheet.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape  # xml.sax.saxutils would import urllib and ssl (~50 ms)

from ...errors import InputError
from ...model import Evidence
from ...notice import Notice
from ..textnotice import Candidate, judge
from .opc import decode, local, parse, prefix_for, relationships, rels_name, resolve
from .safezip import Package

NS_S = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
TOP_ROWS = 5
#: CT_Worksheet children that follow <headerFooter>: the new element goes before the first present.
_AFTER_HEADER = (
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)
_REF = re.compile(r"([A-Z]{1,3})(\d+)")


def column_name(index: int) -> str:
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def column_index(name: str) -> int:
    value = 0
    for ch in name:
        value = value * 26 + ord(ch) - 64
    return value


def visible_sheets(pkg: Package, main: str) -> list[str]:
    """Worksheet part names in tab order, visible ones only (all of them if every sheet is hidden)."""
    root = parse(pkg.read(main) or b"", main)
    targets = {r.get("Id"): resolve(main, r.get("Target", "")) for r in relationships(pkg.read(rels_name(main)), rels_name(main))}
    sheets = [el for el in root.iter() if local(el.tag) == "sheet"]
    visible = [el for el in sheets if el.get("state", "visible") == "visible"] or sheets
    ids = [next((v for k, v in sheet.attrib.items() if k.startswith("{") and local(k) == "id"), None) for sheet in visible]
    parts = [targets[rid] for rid in ids if rid in targets and pkg.has(targets[rid])]
    if not parts:
        raise InputError("the workbook has no worksheet to put the notice on; add a sheet first")
    return parts


def first_sheet(pkg: Package, main: str) -> str:
    return visible_sheets(pkg, main)[0]


def _prefix(text: str, part: str) -> str:
    for namespace in NS_S:
        prefix = prefix_for(text, namespace)
        if prefix is not None:
            return prefix
    raise InputError(f"{part} is not SpreadsheetML; the workbook is damaged: re-save it in Excel")


def _used_columns(text: str, s: str) -> int:
    refs = [column_index(m.group(1)) for m in re.finditer(rf"<{re.escape(s)}c\b[^>]*?\br=\"([A-Z]{{1,3}})\d+\"", text)]
    counts = [
        len(re.findall(rf"<{re.escape(s)}c\b", row)) for row in re.findall(rf"<{re.escape(s)}row\b.*?</{re.escape(s)}row>", text, re.S)
    ]
    return max(refs + counts + [0])


def _add_cell(text: str, s: str, cell: str, column: int) -> str:
    row1 = re.search(rf"<{re.escape(s)}row\b([^>]*?)(/?)>", text)
    is_row1 = row1 is not None and (re.search(r'\br="1"', row1.group(1)) or not re.search(r"\br=", row1.group(1)))
    if row1 is not None and is_row1:
        attrs = re.sub(r'\bspans="(\d+):(\d+)"', lambda m: f'spans="{m.group(1)}:{max(int(m.group(2)), column)}"', row1.group(1))
        if row1.group(2):
            return text[: row1.start()] + f"<{s}row{attrs}>{cell}</{s}row>" + text[row1.end() :]
        closing = text.find(f"</{s}row>", row1.end())
        return text[: row1.start()] + f"<{s}row{attrs}>" + text[row1.end() : closing] + cell + text[closing:]
    data = re.search(rf"<{re.escape(s)}sheetData\b[^>]*?(/?)>", text)
    if data is None:
        raise InputError("the first worksheet has no sheetData; the workbook is damaged: re-save it in Excel")
    new_row = f'<{s}row r="1">{cell}</{s}row>'
    if data.group(1):
        return text[: data.start()] + f"<{s}sheetData>{new_row}</{s}sheetData>" + text[data.end() :]
    return text[: data.end()] + new_row + text[data.end() :]


def _extend_dimension(text: str, ref: str) -> str:
    def widen(match: re.Match[str]) -> str:
        parts = [_REF.fullmatch(part) for part in match.group(1).split(":")]
        cells = [c for c in parts if c is not None]
        anchor = _REF.fullmatch(ref)
        if anchor is None or len(cells) != len(parts):
            return match.group(0)
        col = max([column_index(c.group(1)) for c in cells] + [column_index(anchor.group(1))])
        start = match.group(1).split(":")[0]
        end_row = max(int(c.group(2)) for c in cells)
        return match.group(0).replace(match.group(1), f"{start}:{column_name(col)}{end_row}")

    return re.sub(r'(?<=<)(?:[\w.-]+:)?dimension\b[^>]*?\bref="([^"]+)"', widen, text, count=1)


def _add_header(text: str, s: str, notice_text: str) -> str:
    section = "&amp;L" + escape(notice_text)
    header = re.search(rf"<{re.escape(s)}oddHeader>(.*?)</{re.escape(s)}oddHeader>", text, re.S)
    if header is not None:
        value = header.group(1)
        value = value.replace("&amp;L", section + " ", 1) if "&amp;L" in value else section + value
        return text[: header.start(1)] + value + text[header.end(1) :]
    block = re.search(rf"<{re.escape(s)}headerFooter\b([^>]*?)(/?)>", text)
    odd = f"<{s}oddHeader>{section}</{s}oddHeader>"
    if block is not None:
        if block.group(2):
            return text[: block.start()] + f"<{s}headerFooter{block.group(1)}>{odd}</{s}headerFooter>" + text[block.end() :]
        return text[: block.end()] + odd + text[block.end() :]
    element = f"<{s}headerFooter>{odd}</{s}headerFooter>"
    for name in _AFTER_HEADER:
        anchor = re.search(rf"<{re.escape(s)}{name}\b", text)
        if anchor is not None:
            return text[: anchor.start()] + element + text[anchor.start() :]
    closing = text.rfind(f"</{s}worksheet>")
    if closing < 0:
        raise InputError("the first worksheet has no closing </worksheet>; the workbook is damaged: open and re-save it in Excel")
    return text[:closing] + element + text[closing:]


def _sheet_with_notice(text: str, part: str, notice_text: str) -> bytes:
    s = _prefix(text, part)
    used = _used_columns(text, s)
    column = used + 2 if used else 1
    ref = f"{column_name(column)}1"
    cell = f'<{s}c r="{ref}" t="inlineStr"><{s}is><{s}t>{escape(notice_text)}</{s}t></{s}is></{s}c>'
    text = _extend_dimension(_add_cell(text, s, cell, column), ref)
    data = _add_header(text, s, notice_text).encode("utf-8")
    parse(data, part)
    return data


def write_notice(pkg: Package, main: str, notice: Notice, notice_text: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The notice on the first visible sheet (``Notice.pages == "all"``: on every visible sheet)."""
    parts = visible_sheets(pkg, main)
    chosen = parts if notice.pages == "all" else parts[:1]
    return {part: _sheet_with_notice(decode(pkg.read(part) or b"", part), part, notice_text) for part in chosen}, {}


def _shared_strings(pkg: Package, main: str) -> list[str]:
    rels = relationships(pkg.read(rels_name(main)), rels_name(main))
    target = next((resolve(main, r.get("Target", "")) for r in rels if r.get("Type", "").endswith("/sharedStrings")), None)
    data = pkg.read(target) if target else None
    if target is None or data is None:
        return []
    return ["".join(t.text or "" for t in si.iter() if local(t.tag) == "t") for si in parse(data, target) if local(si.tag) == "si"]


def _cells(root: ET.Element, shared: list[str]) -> list[tuple[str, str]]:
    found = []
    for row_number, row in enumerate((el for el in root.iter() if local(el.tag) == "row"), start=1):
        if int(row.get("r", row_number)) > TOP_ROWS:
            break
        for cell in row:
            if local(cell.tag) != "c":
                continue
            kind = cell.get("t")
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter() if local(t.tag) == "t")
            else:
                raw = next((v.text or "" for v in cell if local(v.tag) == "v"), "")
                value = shared[int(raw)] if kind == "s" and raw.isdigit() and int(raw) < len(shared) else raw
            found.append((cell.get("r", "?"), value))
    return found


_HEADER_CODES = re.compile(r"&(?:[LCRPNDTFAZGBIUSEXYKOH]|\"[^\"]*\"|\d+|K[0-9A-F]{6})")
_HEADER_SECTIONS = re.compile(r"&[LCR]")


def detect(pkg: Package, main: str) -> Evidence:
    """The notice among the cells of the first rows of the first sheet and the sections (left,
    centre, right) of its page headers and footers."""
    part = first_sheet(pkg, main)
    root = parse(pkg.read(part) or b"", part)
    candidates = [Candidate(value, f"cell {ref}", {"cell": ref, "part": part}) for ref, value in _cells(root, _shared_strings(pkg, main))]
    for element in root.iter():
        if local(element.tag) in ("oddHeader", "oddFooter", "firstHeader", "firstFooter", "evenHeader", "evenFooter"):
            where = "page header" if "Header" in element.tag else "page footer"
            for section in _HEADER_SECTIONS.split(element.text or ""):
                candidates.append(Candidate(_HEADER_CODES.sub(" ", section), f"{where} (print only)", {"part": part}))
    return judge(
        candidates,
        f"no notice (a short statement with both elements) in a cell of the first {TOP_ROWS} rows or a page header/footer of the first sheet",
    )
