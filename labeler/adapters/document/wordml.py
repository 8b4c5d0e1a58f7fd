"""DOCX (and docm/dotx/dotm): the notice is a paragraph at the start of the body (or the end, or both).

``Notice.position`` ``start`` (default), ``end``, ``both``; ``top`` puts it in the default page
header of every section instead (an existing default header gets the paragraph first; a section
without one gets a new header part). Detection reads what Word shows: the text of ``w:t`` runs (not
deleted ``w:delText``, not ``w:vanish`` hidden runs, not white unshaded runs) in the first and last five non-empty body
paragraphs, caption paragraphs and the page headers and footers; each is judged by
``labeler.noticerule`` (a short statement, elements close together, not negated).
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from html import escape  # xml.sax.saxutils would import urllib and ssl (~50 ms)

from ...errors import InputError, LabelFormatError
from ...model import Evidence
from ...notice import Notice
from ...noticerule import sentences
from ..textnotice import Candidate, judge
from .opc import XML_DECL, add_override, add_relationship, decode, local, parse, prefix_for, relationships, rels_name, resolve
from .safezip import Package

NS_W = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main", "http://purl.oclc.org/ooxml/wordprocessingml/main")
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
HEADER_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
POSITIONS = ("start", "end", "both", "top")
EDGE_PARAGRAPHS = 5


def _w_prefix(text: str, part: str) -> str:
    for namespace in NS_W:
        prefix = prefix_for(text, namespace)
        if prefix is not None:
            return prefix
    raise InputError(f"{part} is not WordprocessingML (no w: namespace); the file is not a Word document: open and re-save it in Word")


def paragraph(w: str, text: str) -> str:
    return f'<{w}p><{w}r><{w}t xml:space="preserve">{escape(text)}</{w}t></{w}r></{w}p>'


def _body_edges(text: str, w: str, part: str) -> tuple[int, int]:
    """Offsets just inside <w:body> and just before the body-level <w:sectPr> (or </w:body>)."""
    opening = re.search(rf"<{re.escape(w)}body\b[^>]*>", text)
    closing = text.rfind(f"</{w}body>")
    if opening is None or closing < 0:
        raise InputError(f"{part} has no <{w}body> element; the document is damaged: re-save it in Word")
    sect = text.rfind(f"<{w}sectPr", opening.end(), closing)
    tail = text[sect:closing] if sect >= 0 else ""
    end = sect if sect >= 0 and f"</{w}p>" not in tail and f"</{w}pPr>" not in tail else closing
    return opening.end(), end


def _add_header(pkg: Package, main: str, text: str, w: str, notice_text: str, edits: dict[str, bytes], added: dict[str, bytes]) -> str:
    """Put the notice in the default header of every section; returns the edited document text."""
    rels = pkg.read(rels_name(main))
    targets = {
        r.get("Id"): resolve(main, r.get("Target", ""))
        for r in relationships(rels, rels_name(main))
        if r.get("Type", "").endswith("/header")
    }
    r_prefix = prefix_for(text, NS_R)
    sections = list(re.finditer(rf"<{re.escape(w)}sectPr\b[^>]*?(/>|>)", text))
    if not sections:
        raise InputError(f"{main} has no section properties to hang a page header on; use the start position")
    new_header: str | None = None
    for match in reversed(sections):
        end = text.find(f"</{w}sectPr>", match.end()) if match.group(1) == ">" else match.end()
        body = text[match.end() : end]
        ref = re.search(rf"<{re.escape(w)}headerReference\b[^>]*{w}type=\"default\"[^>]*\b(?:[\w.-]+:)?id=\"([^\"]+)\"", body) or re.search(
            rf"<{re.escape(w)}headerReference\b[^>]*\b(?:[\w.-]+:)?id=\"([^\"]+)\"[^>]*{w}type=\"default\"", body
        )
        if ref and ref.group(1) in targets:
            part = targets[ref.group(1)]
            header = decode(edits.get(part) or pkg.read(part) or b"", part)
            hw = _w_prefix(header, part)
            opening = re.search(rf"<{re.escape(hw)}hdr\b[^>]*>", header)
            if opening is None:
                raise InputError(f"{part} is not a page header part; the document is damaged: open and re-save it in Word")
            if notice_text not in header:
                edits[part] = (header[: opening.end()] + paragraph(hw, notice_text) + header[opening.end() :]).encode("utf-8")
            continue
        if new_header is None:
            name = "word/header-aigc.xml"
            added[name] = (f'{XML_DECL}<w:hdr xmlns:w="{NS_W[0]}">{paragraph("w:", notice_text)}</w:hdr>').encode()
            rels, new_header = add_relationship(rels, HEADER_REL, posixpath.relpath(name, posixpath.dirname(main)))
            edits[rels_name(main)] = rels
            edits["[Content_Types].xml"] = add_override(
                edits.get("[Content_Types].xml") or pkg.read("[Content_Types].xml") or b"", name, HEADER_CT
            )
        r = r_prefix or "r:"
        declare = "" if r_prefix else f' xmlns:r="{NS_R}"'
        reference = f'<{w}headerReference {w}type="default" {r}id="{new_header}"{declare}/>'
        if match.group(1) == "/>":
            text = text[: match.start()] + match.group(0)[:-2] + ">" + reference + f"</{w}sectPr>" + text[match.end() :]
        else:
            text = text[: match.end()] + reference + text[match.end() :]
    return text


def write_notice(pkg: Package, main: str, notice: Notice, notice_text: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    position = notice.position or "start"
    if position not in POSITIONS:
        raise LabelFormatError(
            f"notice position {position!r} does not apply to Word documents; use one of {', '.join(POSITIONS)} (top = page header)"
        )
    text = decode(pkg.read(main) or b"", main)
    w = _w_prefix(text, main)
    edits: dict[str, bytes] = {}
    added: dict[str, bytes] = {}
    if position == "top":
        text = _add_header(pkg, main, text, w, notice_text, edits, added)
    else:
        start, end = _body_edges(text, w, main)
        if position in ("end", "both"):
            text = text[:end] + paragraph(w, notice_text) + text[end:]
        if position in ("start", "both"):
            text = text[:start] + paragraph(w, notice_text) + text[start:]
    edits[main] = text.encode("utf-8")
    parse(edits[main], main)
    return edits, added


def paragraphs(root: ET.Element) -> list[str]:
    """Visible text of every paragraph, in document order."""
    return [text for text, _ in styled_paragraphs(root)]


def styled_paragraphs(root: ET.Element) -> list[tuple[str, str]]:
    """(visible text, paragraph style id) of every paragraph, in document order."""
    found = []
    for element in root.iter():
        if local(element.tag) != "p":
            continue
        parts: list[str] = []
        style = ""
        for run in element.iter():
            name = local(run.tag)
            if name == "pStyle":
                style = next(iter(run.attrib.values()), "")
            elif name == "r" and not _hidden(run):
                parts.extend(t.text or "" for t in run if local(t.tag) == "t")
        found.append(("".join(parts), style))
    return found


def _hidden(run: ET.Element) -> bool:
    """A run Word does not show: ``w:vanish``, or white text without a highlight or shading."""
    properties = {local(e.tag): next(iter(e.attrib.values()), "true") for e in run.iter() if e is not run}
    if properties.get("vanish", "false") not in ("0", "false"):
        return True
    return properties.get("color", "").upper() == "FFFFFF" and "highlight" not in properties and "shd" not in properties


def _is_caption(style: str) -> bool:
    return "caption" in style.lower() or "题注" in style


def detect(pkg: Package, main: str) -> Evidence:
    """The notice among the units Word shows as one: the first and last five non-empty paragraphs,
    the first and last sentence of the body, caption paragraphs, and page headers and footers."""
    body = [(i, text, style) for i, (text, style) in enumerate(styled_paragraphs(parse(pkg.read(main) or b"", main))) if text.strip()]
    candidates = [Candidate(t, "start", {"paragraph": n + 1, "part": main}) for n, (_, t, _) in enumerate(body[:EDGE_PARAGRAPHS])]
    tail = body[EDGE_PARAGRAPHS:][-EDGE_PARAGRAPHS:]
    candidates += [Candidate(t, "end", {"paragraph": len(body) - len(tail) + n + 1, "part": main}) for n, (_, t, _) in enumerate(tail)]
    if body:
        first, last = sentences(body[0][1]), sentences(body[-1][1])
        candidates += [Candidate(first[0], "first sentence", {"paragraph": 1, "part": main})] if len(first) > 1 else []
        candidates += [Candidate(last[-1], "last sentence", {"paragraph": len(body), "part": main})] if len(last) > 1 else []
    candidates += [
        Candidate(t, "caption", {"paragraph": n + 1, "part": main}) for n, (_, t, style) in enumerate(body) if _is_caption(style)
    ]
    for rel in relationships(pkg.read(rels_name(main)), rels_name(main)):
        kind = rel.get("Type", "").rsplit("/", 1)[-1]
        if kind in ("header", "footer") and rel.get("TargetMode") != "External":
            part = resolve(main, rel.get("Target", ""))
            data = pkg.read(part)
            if data is not None:
                candidates += [Candidate(t, f"page {kind}", {"part": part}) for t in paragraphs(parse(data, part)) if t.strip()]
    return judge(
        candidates,
        "no notice (a short statement with both elements, 'AI'/'人工智能' and '生成'/'合成') in the first or last paragraphs, a caption, or a page header or footer",
    )
