"""Markdown: an ``AIGC:`` mapping in the YAML front matter, and a notice paragraph in the body.

Front matter is edited as lines, not re-dumped, so the other keys keep their order, comments and
quoting. YAML is parsed with a safe loader that also refuses aliases (no "billion laughs").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ...errors import InputError
from ...label import KEYS, Label
from ...notice import Notice
from ..base import Adapter, Evidence, Found, WriteOptions
from .encoding import Decoded, looks_like_text, read_text
from .plain import add_line, text_position
from .window import find_text_notice

CARRIER = "markdown:front-matter:AIGC"
_FENCE = "---"
_CLOSERS = ("---", "...")
_AIGC_KEY = re.compile(r"^AIGC\s*:")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(r"<[^>]{0,500}>")


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases, so hostile front matter cannot expand."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML aliases are not allowed in front matter", event.start_mark)
        return super().compose_node(parent, index)


@dataclass(frozen=True)
class Document:
    """A Markdown file split into front matter lines and body."""

    decoded: Decoded
    matter: list[str] | None  # the lines between the fences (with line endings), None if absent
    head: str  # the front matter block including fences ("" if absent)
    body: str

    @classmethod
    def parse(cls, decoded: Decoded) -> Document:
        lines = decoded.text.splitlines(keepends=True)
        if lines and lines[0].rstrip("\r\n").rstrip() == _FENCE:
            for index in range(1, len(lines)):
                if lines[index].rstrip("\r\n").rstrip() in _CLOSERS:
                    return cls(decoded, lines[1:index], "".join(lines[: index + 1]), "".join(lines[index + 1 :]))
        return cls(decoded, None, "", decoded.text)

    def mapping(self, path: Path | None) -> dict[str, object]:
        if self.matter is None:
            return {}
        return load_front_matter("".join(self.matter), path)


def load_front_matter(text: str, path: Path | None) -> dict[str, object]:
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
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
    found: list[str] = []
    joinable = False
    for line in visible.splitlines():
        if not line.strip():
            joinable = False
            continue
        own = bool(_OWN_LINE.match(line))
        if joinable and not own:
            found[-1] += " " + line.strip()
        else:
            found.append(line.strip())
        joinable = not own or line.lstrip().startswith(">")
    return found


class MarkdownAdapter(Adapter):
    name = "markdown"
    media = "text"
    extensions = ("md", "markdown")
    carrier = CARRIER
    description = "Markdown; AIGC mapping in YAML front matter, notice paragraph in the body"

    def score(self, name: str, head: bytes) -> int:
        return 3 if self.extension_score(name) and looks_like_text(head) else 0

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
