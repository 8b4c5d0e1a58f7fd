"""Plain text: the notice is a line at the start (or end, or both); the label goes to a sidecar."""

from __future__ import annotations

from pathlib import Path

from ...errors import LabelFormatError
from ...facts import WEAK, Format
from ...model import Evidence, Found, WriteOptions
from ...notice import Notice
from ..base import Adapter
from .encoding import Decoded, looks_like_text, read_text
from .kinds import kind_of
from .window import find_text_notice

TEXT_POSITIONS = ("start", "end", "both")


def text_position(notice: Notice) -> str:
    position = notice.position or "start"
    if position not in TEXT_POSITIONS:
        raise LabelFormatError(f"notice position {position!r} does not apply to text; use one of {', '.join(TEXT_POSITIONS)}")
    return position


def add_line(text: str, line: str, newline: str, position: str) -> str:
    """Put ``line`` as the first and/or last line of ``text``."""
    if position in ("start", "both"):
        text = line + newline + text
    if position in ("end", "both"):
        if text and not text.endswith(("\n", "\r")):
            text += newline
        text += line + newline
    return text


class PlainTextAdapter(Adapter):
    name = "text"
    media = "text"
    formats = (Format("plain text", ("txt", "text"), "text/plain", reader="text"),)
    carrier = None
    description = "plain text; notice line at start/end, label in a NAME.aigc.json sidecar"

    def score(self, name: str, head: bytes) -> int:
        # Positive recognition: decodable text showing no structured or binary signature (kinds.py).
        # A name another family owns (a text file called .pdf) is refused by the registry, not here.
        if not looks_like_text(head) or kind_of(name, head) is not None:
            return 0
        return WEAK - 3 + self.extension_score(name)

    def format_of(self, name: str, head: bytes) -> str:
        return "txt"

    def read_labels(self, path: Path) -> list[Found]:
        read_text(path)  # an unreadable or binary file is an error, not "unlabelled"
        return []

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        decoded = read_text(src)
        text = add_line(decoded.text, notice.text_for(self.media), decoded.newline, text_position(notice))
        dst.write_bytes(decoded.encode(text))

    def detect_explicit(self, path: Path) -> Evidence:
        decoded: Decoded = read_text(path)
        return find_text_notice(decoded.text)
