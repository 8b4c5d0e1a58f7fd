"""PPTX (and pptm/potx/potm): the notice is a text box on the first slide (``Notice.pages == "all"``:
on every slide), drawn last so it sits on top, black 12 pt text on a white box.

``Notice.position`` picks the corner or edge (default ``bottom-right``, as the GB 45438 annex
example does for images). Detection reads the text of the non-hidden shapes of the first and last
slides, paragraph by paragraph.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape  # xml.sax.saxutils would import urllib and ssl (~50 ms)

from ...errors import InputError, LabelFormatError
from ...model import Evidence
from ...notice import Notice
from ..textnotice import Candidate, judge
from .opc import decode, local, parse, prefix_for, relationships, rels_name, resolve
from .safezip import Package

NS_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
#: ISO/IEC 29500 Strict spellings of the same namespaces.
STRICT = {NS_P: "http://purl.oclc.org/ooxml/presentationml/main", NS_A: "http://purl.oclc.org/ooxml/drawingml/main"}
EMU_PER_PT = 12700
FONT_PT = 12
MARGIN = 228600  # 0.25 inch
DEFAULT_SIZE = (9144000, 6858000)  # 4:3, the PresentationML default
#: position -> (horizontal, vertical) alignment: 0 start, 1 centre, 2 end
POSITIONS = {
    "top-left": (0, 0),
    "top": (1, 0),
    "top-right": (2, 0),
    "left": (0, 1),
    "right": (2, 1),
    "bottom-left": (0, 2),
    "bottom": (1, 2),
    "bottom-right": (2, 2),
}


def slides(pkg: Package, main: str) -> list[str]:
    """Slide part names in presentation order."""
    root = parse(pkg.read(main) or b"", main)
    targets = {r.get("Id"): resolve(main, r.get("Target", "")) for r in relationships(pkg.read(rels_name(main)), rels_name(main))}
    ids = [el for el in root.iter() if local(el.tag) == "sldId"]
    return [targets[i] for el in ids for key, i in el.attrib.items() if local(key) == "id" and key.startswith("{") and i in targets]


def slide_size(pkg: Package, main: str) -> tuple[int, int]:
    size = next((el for el in parse(pkg.read(main) or b"", main).iter() if local(el.tag) == "sldSz"), None)
    if size is None:
        return DEFAULT_SIZE
    return int(size.get("cx", DEFAULT_SIZE[0])), int(size.get("cy", DEFAULT_SIZE[1]))


def _text_box(p: str, a: str, declare: str, shape_id: int, text: str, box: tuple[int, int, int, int]) -> str:
    x, y, cx, cy = box
    return (
        f'<{p}sp{declare}><{p}nvSpPr><{p}cNvPr id="{shape_id}" name="AIGC Notice {shape_id}" descr="{escape(text)}"/>'
        f'<{p}cNvSpPr txBox="1"/><{p}nvPr/></{p}nvSpPr>'
        f'<{p}spPr><{a}xfrm><{a}off x="{x}" y="{y}"/><{a}ext cx="{cx}" cy="{cy}"/></{a}xfrm>'
        f'<{a}prstGeom prst="rect"><{a}avLst/></{a}prstGeom><{a}solidFill><{a}srgbClr val="FFFFFF"/></{a}solidFill></{p}spPr>'
        f'<{p}txBody><{a}bodyPr wrap="none" lIns="45720" tIns="22860" rIns="45720" bIns="22860" anchor="ctr"/><{a}lstStyle/>'
        f'<{a}p><{a}r><{a}rPr lang="zh-CN" sz="{FONT_PT * 100}" b="0"><{a}solidFill><{a}srgbClr val="000000"/></{a}solidFill></{a}rPr>'
        f"<{a}t>{escape(text)}</{a}t></{a}r></{a}p></{p}txBody></{p}sp>"
    )


def _box(size: tuple[int, int], text: str, position: str) -> tuple[int, int, int, int]:
    cx = int(len(text) * FONT_PT * EMU_PER_PT * 1.1) + 2 * 45720
    cy = int(FONT_PT * EMU_PER_PT * 1.6) + 2 * 22860
    horizontal, vertical = POSITIONS[position]
    x = (MARGIN, (size[0] - cx) // 2, size[0] - cx - MARGIN)[horizontal]
    y = (MARGIN, (size[1] - cy) // 2, size[1] - cy - MARGIN)[vertical]
    return max(0, x), max(0, y), cx, cy


def write_notice(pkg: Package, main: str, notice: Notice, notice_text: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    position = notice.position or "bottom-right"
    if position not in POSITIONS:
        raise LabelFormatError(f"notice position {position!r} does not apply to slides; use one of {', '.join(POSITIONS)}")
    parts = slides(pkg, main)
    if not parts:
        raise InputError("the presentation has no slides to put the notice on; add a slide first")
    box = _box(slide_size(pkg, main), notice_text, position)
    edits = {}
    for part in parts if notice.pages == "all" else parts[:1]:
        text = decode(pkg.read(part) or b"", part)
        strict = prefix_for(text, STRICT[NS_P]) is not None
        ns_p, ns_a = (STRICT[NS_P], STRICT[NS_A]) if strict else (NS_P, NS_A)
        p, a = prefix_for(text, ns_p), prefix_for(text, ns_a)
        declare = ("" if p is not None else f' xmlns:p="{ns_p}"') + ("" if a is not None else f' xmlns:a="{ns_a}"')
        closing = text.rfind(f"</{p or 'p:'}spTree>")
        if p is None or closing < 0:
            raise InputError(f"{part} has no shape tree (p:spTree); the slide is damaged: re-save the presentation")
        ids = [int(i) for i in re.findall(r"<(?:[\w.-]+:)?cNvPr\b[^>]*?\bid=\"(\d+)\"", text)]
        shape = _text_box(p, a if a is not None else "a:", declare, max(ids + [1]) + 1, notice_text, box)
        edits[part] = (text[:closing] + shape + text[closing:]).encode("utf-8")
        parse(edits[part], part)
    return edits, {}


def slide_paragraphs(root: ET.Element) -> list[str]:
    """Text of every paragraph in the visible shapes of a slide."""
    found = []
    for shape in root.iter():
        if local(shape.tag) != "sp":
            continue
        hidden = any(local(e.tag) == "cNvPr" and e.get("hidden") in ("1", "true") for e in shape.iter())
        if hidden:
            continue
        for para in shape.iter():
            if local(para.tag) == "p" and para.tag.startswith(("{" + NS_A, "{" + STRICT[NS_A])):
                found.append("".join(t.text or "" for t in para.iter() if local(t.tag) == "t"))
    return found


def detect(pkg: Package, main: str) -> Evidence:
    """The notice among the paragraphs of the visible shapes on the first and last slide."""
    parts = slides(pkg, main)
    candidates = []
    for number in dict.fromkeys((0, len(parts) - 1)) if parts else ():
        part = parts[number]
        for text in slide_paragraphs(parse(pkg.read(part) or b"", part)):
            candidates.append(Candidate(text, f"slide {number + 1}", {"slide": number + 1, "part": part}))
    return judge(
        candidates, "no notice (a short statement with both elements, 'AI'/'人工智能' and '生成'/'合成') on the first or last slide"
    )
