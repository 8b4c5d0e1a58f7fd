"""HTML: ``<meta name="AIGC" content='...'>`` in ``<head>`` and a notice element atop ``<body>``.

The document is scanned with the standard library's tolerant ``HTMLParser`` only to find offsets;
the edit is a splice, so every byte outside the inserted/replaced tags stays identical.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path

from ...label import Label
from ...notice import Notice
from ..base import Adapter, Evidence, Found, WriteOptions
from .encoding import looks_like_text, read_text
from .plain import text_position
from .window import find_text_notice

CARRIER = "html:meta:AIGC"
NOTICE_CLASS = "aigc-notice"
_INVISIBLE = frozenset({"head", "script", "style", "title", "template", "noscript"})
_VOID = frozenset({"meta", "link", "br", "img", "hr", "input", "base", "col", "embed", "source", "track", "wbr", "area", "param"})
_MAGIC = (b"<!doctype html", b"<html", b"<head", b"<body")


class _Scan(HTMLParser):
    """Offsets of the structural tags, the AIGC meta tags, and the visible text."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(source) if ch == "\n"]
        self.tags: dict[str, tuple[int, int]] = {}  # first start tag / "/end" tag -> (offset, end)
        self.metas: list[tuple[int, int, str]] = []
        self.visible: list[str] = []
        self.decl_end = 0
        self.hidden_depth = 0

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

    def handle_endtag(self, tag: str) -> None:
        self.tags.setdefault("/" + tag, self._span(0))
        if tag in _INVISIBLE and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_decl(self, decl: str) -> None:
        self.decl_end = self._span(len(decl) + 3)[1]

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.visible.append(data)


def scan(text: str) -> _Scan:
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
    extensions = ("html", "htm", "xhtml")
    carrier = CARRIER
    description = "HTML; <meta name=\"AIGC\"> in <head>, notice element at the top of <body>"

    def score(self, name: str, head: bytes) -> int:
        if not looks_like_text(head):
            return 0
        folded = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        magic = folded.startswith(_MAGIC) or folded.startswith(b"<!--") and any(m in folded[:2048] for m in _MAGIC)
        return (8 if magic else 0) + 2 * self.extension_score(name)

    def read_labels(self, path: Path) -> list[Found]:
        return [Found.of(CARRIER, content) for _, _, content in scan(read_text(path).text).metas]

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        decoded = read_text(src)
        found = scan(decoded.text)
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
        found = scan(decoded.text)
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
        return find_text_notice(" ".join(scan(read_text(path).text).visible))
