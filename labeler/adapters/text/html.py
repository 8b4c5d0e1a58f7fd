"""HTML: ``<meta name="AIGC" content='...'>`` in ``<head>`` and a notice element atop ``<body>``.

The document is scanned with the standard library's tolerant ``HTMLParser`` only to find offsets;
the edit is a splice, so every byte outside the inserted/replaced tags stays identical.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

from ...errors import InputError
from ...facts import MAGIC, WEAK, Format
from ...label import MAX_CARRIER_BYTES, Label, too_large
from ...model import Evidence, Found, WriteOptions
from ...notice import Notice
from ..base import Adapter
from ..textnotice import Candidate
from .encoding import looks_like_text, read_text
from .plain import text_position
from .window import find_text_notice

CARRIER = "html:meta:AIGC"
NOTICE_CLASS = "aigc-notice"
_INVISIBLE = frozenset({"head", "script", "style", "title", "template", "noscript"})
_VOID = frozenset({"meta", "link", "br", "img", "hr", "input", "base", "col", "embed", "source", "track", "wbr", "area", "param"})
_MAGIC = (b"<!doctype html", b"<html", b"<head", b"<body")
#: Elements that start a new line of visible text (a notice is a block or line of its own).
_BLOCK = frozenset({
    "p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "header", "footer", "section", "article", "aside",
    "nav", "figure", "figcaption", "caption", "table", "tr", "td", "th", "blockquote", "pre", "hr", "main", "dl", "dt", "dd",
    "address", "details", "summary", "form", "body",
})  # fmt: skip
#: Elements whose text is placed as a notice wherever they are (caption, page header or footer).
_NOTICE_PLACES = {"figcaption": "caption", "caption": "caption", "header": "page header", "footer": "page footer"}
_NEWLINE = re.compile("\n")
#: A ``<meta`` start tag longer than the carrier limit, found by one regex pass before HTMLParser
#: (which would spend seconds per megabyte on it).
_HUGE_META = re.compile(rf"<meta\b[^>]{{{MAX_CARRIER_BYTES}}}", re.I)


class _Scan(HTMLParser):
    """Offsets of the structural tags, the AIGC meta tags, and the visible text."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.line_starts = [0] + [m.end() for m in _NEWLINE.finditer(source)]
        self.tags: dict[str, tuple[int, int]] = {}  # first start tag / "/end" tag -> (offset, end)
        self.metas: list[tuple[int, int, str]] = []
        self.visible: list[str] = []
        self.decl_end = 0
        self.hidden_depth = 0
        self.places: list[tuple[str, list[str]]] = []  # open caption/header/footer elements and their text
        self.placed: list[tuple[str, str]] = []  # (where, text) of each closed one

    def _span(self, length: int) -> tuple[int, int]:
        line, column = self.getpos()
        start = self.line_starts[line - 1] + column
        return start, start + length

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        span = self._span(len(self.get_starttag_text() or ""))
        self.tags.setdefault(tag, span)
        if tag == "meta":
            values = {k.lower(): v or "" for k, v in attrs}
            if values.get("name", "").strip().upper() == "AIGC":
                self.metas.append((*span, values.get("content", "")))
        if tag in _INVISIBLE and tag not in _VOID:
            self.hidden_depth += 1
        if tag in _BLOCK:
            self._append("\n")
        if tag in _NOTICE_PLACES:
            self.places.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        self.tags.setdefault("/" + tag, self._span(0))
        if tag in _INVISIBLE and self.hidden_depth:
            self.hidden_depth -= 1
        if tag in _BLOCK:
            self._append("\n")
        if tag in _NOTICE_PLACES and self.places and self.places[-1][0] == tag:
            _, parts = self.places.pop()
            self.placed.append((_NOTICE_PLACES[tag], "".join(parts)))

    def handle_decl(self, decl: str) -> None:
        self.decl_end = self._span(len(decl) + 3)[1]

    def handle_data(self, data: str) -> None:
        self._append(re.sub(r"\s+", " ", data))

    def _append(self, data: str) -> None:
        """Visible text; source line breaks are spaces in HTML, only block elements break lines."""
        if not self.hidden_depth:
            self.visible.append(data)
            for _, parts in self.places:
                parts.append(data)


def scan(text: str, path: Path | None = None) -> _Scan:
    """The tags and text of a document whose ``<meta>`` tags are within the carrier limit."""
    huge = _HUGE_META.search(text)
    if huge:
        end = text.find(">", huge.start())
        raise InputError(too_large("<meta> tag", (len(text) if end < 0 else end + 1) - huge.start(), "characters"), path)
    parser = _Scan(text)
    parser.feed(text)
    parser.close()
    return parser


def meta_tag(label: Label) -> str:
    content = label.to_json().replace("&", "&amp;").replace("'", "&#39;")
    return f"<meta name=\"AIGC\" content='{content}'>"


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, insert in sorted(edits, reverse=True):
        text = text[:start] + insert + text[end:]
    return text


class HtmlAdapter(Adapter):
    name = "html"
    media = "text"
    formats = (Format("HTML", ("html", "htm", "xhtml"), "text/html", reader="text"),)
    carrier = CARRIER
    description = 'HTML; <meta name="AIGC"> in <head>, notice element at the top of <body>'

    def score(self, name: str, head: bytes) -> int:
        if not looks_like_text(head):
            return 0
        folded = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        magic = folded.startswith(_MAGIC) or (folded.startswith(b"<!--") and any(m in folded[:2048] for m in _MAGIC))
        # a start any prose fragment could have: below a binary signature; the extension counts more than
        # plain text's, so a .html file of bare text stays HTML
        return (MAGIC - 2 if magic else 0) + (WEAK - 3) * self.extension_score(name)

    def read_labels(self, path: Path) -> list[Found]:
        return [Found.of(CARRIER, content) for _, _, content in scan(read_text(path).text, path).metas]

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        decoded = read_text(src)
        found = scan(decoded.text, src)
        tag = meta_tag(label)
        if found.metas:  # update the first, drop any others: one label per file
            (start, end, _), *extra = found.metas
            edits = [(start, end, tag)] + [(s, e, "") for s, e, _ in extra]
        elif "head" in found.tags:
            edits = [(found.tags["head"][1], found.tags["head"][1], tag)]
        elif "html" in found.tags:
            edits = [(found.tags["html"][1], found.tags["html"][1], f"<head>{tag}</head>")]
        else:
            edits = [(found.decl_end, found.decl_end, f"<head>{tag}</head>")]
        dst.write_bytes(decoded.encode(_splice(decoded.text, edits)))

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        decoded = read_text(src)
        found = scan(decoded.text, src)
        element = f'<p class="{NOTICE_CLASS}" role="note">{html.escape(notice.text_for(self.media))}</p>'
        position = text_position(notice)
        edits = []
        if position in ("start", "both"):
            anchor = next((found.tags[t][1] for t in ("body", "/head", "html") if t in found.tags), found.decl_end)
            edits.append((anchor, anchor, element))
        if position in ("end", "both"):
            anchor = found.tags.get("/body", found.tags.get("/html", (len(decoded.text),)))[0]
            edits.append((anchor, anchor, element))
        dst.write_bytes(decoded.encode(_splice(decoded.text, edits)))

    def detect_explicit(self, path: Path) -> Evidence:
        found = scan(read_text(path).text, path)
        placed = [Candidate(line, where) for where, text in found.placed for line in text.splitlines()]
        return find_text_notice("".join(found.visible), placed)
