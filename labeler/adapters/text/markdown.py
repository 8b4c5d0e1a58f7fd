"""Markdown: an ``AIGC:`` mapping in the YAML front matter, and a notice paragraph in the body.

Front matter is edited as lines, not re-dumped, so the other keys keep their order, comments and
quoting. YAML is parsed with a safe loader that also refuses aliases (no "billion laughs").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from ...errors import InputError
from ...facts import WEAK, Format
from ...label import KEYS, MAX_CARRIER_DEPTH, Label, too_large
from ...model import Evidence, Found, WriteOptions
from ...notice import Notice
from ..base import Adapter
from .encoding import Decoded, looks_like_text, read_text
from .plain import add_line, text_position
from .window import find_text_notice

CARRIER = "markdown:front-matter:AIGC"
_FENCE = "---"
_CLOSERS = ("---", "...")
_AIGC_KEY = re.compile(r"^AIGC\s*:")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(r"<[^>]{0,500}>")
_LINE_END = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
#: PyYAML parses in pure Python at well under 1 MB/s with ~50x memory, so front matter gets a tighter
#: bound than other carriers (``label.MAX_CARRIER_BYTES``); real front matter is a few kilobytes.
MAX_FRONT_MATTER_BYTES = 1024 * 1024


class _TooDeep(yaml.YAMLError):
    """Front matter nested deeper than ``MAX_CARRIER_DEPTH`` (refused before the recursive composer overflows)."""


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases (no "billion laughs") and nesting past the carrier limit."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves it unannotated
            raise yaml.composer.ComposerError(None, None, "YAML aliases are not allowed in front matter", event.start_mark)
        if self.depth >= MAX_CARRIER_DEPTH:
            line = self.peek_event().start_mark.line + 2  # type: ignore[no-untyped-call]  # as above
            raise _TooDeep(
                f"front matter nests more than {MAX_CARRIER_DEPTH} levels deep (at line {line}); "
                "it is refused unparsed as possibly hostile: flatten it or remove the --- block"
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


@dataclass(frozen=True)
class Document:
    """A Markdown file split into front matter lines and body."""

    decoded: Decoded
    matter: list[str] | None  # the lines between the fences (with line endings), None if absent
    head: str  # the front matter block including fences ("" if absent)
    body: str

    @classmethod
    def parse(cls, decoded: Decoded) -> Document:
        text = decoded.text
        lines = []  # walked one line at a time: a 100 MB body is never split into a list
        for line in _lines(text):
            lines.append(line)
            stripped = line.rstrip("\r\n").rstrip()
            if len(lines) == 1 and stripped != _FENCE:
                break
            if len(lines) > 1 and stripped in _CLOSERS:
                head = "".join(lines)
                return cls(decoded, lines[1:-1], head, text[len(head) :])
        return cls(decoded, None, "", text)

    def mapping(self, path: Path | None) -> dict[str, object]:
        if self.matter is None:
            return {}
        return load_front_matter("".join(self.matter), path)


def _lines(text: str) -> Iterator[str]:
    """``text.splitlines(keepends=True)``, lazily (the same line boundaries)."""
    start = 0
    for match in _LINE_END.finditer(text):
        yield text[start : match.end()]
        start = match.end()
    if start < len(text):
        yield text[start:]


def load_front_matter(text: str, path: Path | None) -> dict[str, object]:
    if len(text) > MAX_FRONT_MATTER_BYTES:  # the depth is checked as YAML composes (quotes make brackets moot)
        raise InputError(too_large("front matter", len(text), "characters", MAX_FRONT_MATTER_BYTES), path)
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)
    except _TooDeep as exc:
        raise InputError(str(exc), path) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"front matter is not valid YAML{where} ({reason}); fix it or remove the --- block", path) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"front matter is a YAML {type(data).__name__}, not a mapping; labeler cannot add the AIGC key to it", path)
    return data


def aigc_block(label: Label, newline: str) -> list[str]:
    return ["AIGC:" + newline] + [f'  {key}: "{getattr(label, attr)}"{newline}' for key, attr in KEYS]


def _replace_aigc(matter: list[str], block: list[str]) -> list[str]:
    """Swap an existing top-level ``AIGC:`` entry (with its indented lines) for ``block``."""
    for start, line in enumerate(matter):
        if _AIGC_KEY.match(line):
            end = start + 1
            while end < len(matter) and (matter[end][:1] in (" ", "\t") or not matter[end].strip()):
                end += 1
            return matter[:start] + block + matter[end:]
    return matter + block


def visible_text(body: str) -> str:
    return _HTML_TAG.sub(" ", _HTML_COMMENT.sub(" ", body))


_OWN_LINE = re.compile(r"^\s{0,3}(?:#{1,6}\s|[-*+]\s|\d+[.)]\s|>|\||```|~~~)")


def paragraphs(visible: str) -> list[str]:
    """Source lines joined into paragraphs (a soft-wrapped line is a fragment, not a line of its
    own); headings, list items, quotes and table rows stay lines of their own."""
    found: list[list[str]] = []  # parts joined once at the end: appending to a str is quadratic
    joinable = False
    for line in visible.splitlines():
        if not line.strip():
            joinable = False
            continue
        own = bool(_OWN_LINE.match(line))
        if joinable and not own:
            found[-1].append(line.strip())
        else:
            found.append([line.strip()])
        joinable = not own or line.lstrip().startswith(">")
    return [" ".join(parts) for parts in found]


class MarkdownAdapter(Adapter):
    name = "markdown"
    media = "text"
    formats = (Format("Markdown", ("md", "markdown"), "text/markdown", reader="text"),)
    carrier = CARRIER
    description = "Markdown; AIGC mapping in YAML front matter, notice paragraph in the body"

    def score(self, name: str, head: bytes) -> int:
        return WEAK - 2 if self.extension_score(name) and looks_like_text(head) else 0  # no signature: text named .md

    def read_labels(self, path: Path) -> list[Found]:
        document = Document.parse(read_text(path))
        data = document.mapping(path)
        for key, value in data.items():
            if str(key).upper() == "AIGC":
                raw = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
                return [Found.of(CARRIER, raw)]
        return []

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        decoded = read_text(src)
        document = Document.parse(decoded)
        document.mapping(src)  # refuse to edit front matter that is not valid YAML
        nl = decoded.newline
        block = aigc_block(label, nl)
        if document.matter is None:
            text = _FENCE + nl + "".join(block) + _FENCE + nl + decoded.text
        else:
            first, last = document.head.splitlines(keepends=True)[0], document.head.splitlines(keepends=True)[-1]
            text = first + "".join(_replace_aigc(document.matter, block)) + last + document.body
        check = Document.parse(Decoded(text, decoded.encoding, decoded.bom, nl)).mapping(src)
        if check.get("AIGC") != label.as_dict():
            raise InputError("could not add the AIGC mapping to this front matter (flow-style YAML?); rewrite it in block style", src)
        dst.write_bytes(decoded.encode(text))

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        decoded = read_text(src)
        document = Document.parse(decoded)
        nl = decoded.newline
        position = text_position(notice)
        body = document.body
        paragraph = notice.text_for(self.media) + nl  # a paragraph of its own: blank line after/before
        if position in ("start", "both"):
            body = add_line(body, paragraph, nl, "start")
        if position in ("end", "both"):
            body = add_line(body, nl + paragraph.rstrip("\r\n"), nl, "end")
        dst.write_bytes(decoded.encode(document.head + body))

    def detect_explicit(self, path: Path) -> Evidence:
        document = Document.parse(read_text(path))
        return find_text_notice("\n".join(paragraphs(visible_text(document.body))))
