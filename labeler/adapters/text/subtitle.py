"""Subtitles: a notice cue at 00:00 (and/or over the last cue); WebVTT also carries a NOTE label.

SRT has no comment syntax, so its implicit label falls back to the sidecar; WebVTT gets a
``NOTE AIGC {...}`` block right after the header.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from ...facts import WEAK, Format, Signature
from ...label import Label
from ...model import Evidence, Found, WriteOptions
from ...notice import Notice
from ..base import Adapter
from .encoding import looks_like_text, read_text
from .plain import text_position
from .window import find_text_notice

CUE_SECONDS = 3.0
_TIMING = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d\d\d)\s*-->\s*(\d+):(\d\d):(\d\d)[,.](\d\d\d)")
_SRT_HEAD = re.compile(rb"^(\xef\xbb\xbf)?\s*\d+\s*\r?\n\d+:\d\d:\d\d,\d\d\d\s*-->")
_NOTE_LABEL = re.compile(r"^NOTE AIGC (.*)$", re.M)
VTT_CARRIER = "webvtt:NOTE:AIGC"


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def _stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3600000:02d}:{millis // 60000 % 60:02d}:{millis // 1000 % 60:02d}{separator}{millis % 1000:03d}"


def _blocks(text: str) -> list[str]:
    return [b for b in re.split(r"(?:\r?\n|\r){2,}", text.strip("\r\n")) if b.strip()] if text.strip() else []


def _last_cue(text: str) -> tuple[float, float]:
    """Start and end of the last cue (the notice at the end is shown together with it)."""
    timings = list(_TIMING.finditer(text))
    if not timings:
        return 0.0, CUE_SECONDS
    groups = timings[-1].groups()
    return _seconds(*groups[:4]), _seconds(*groups[4:])


def cue_texts(text: str) -> str:
    """The displayed text of every cue, in order, one cue per line (a cue is shown as a whole)."""
    shown = []
    for block in re.split(r"(?:\r?\n|\r){2,}", text):
        lines = block.splitlines()
        for index, line in enumerate(lines):
            if _TIMING.search(line):
                shown.append(" ".join(re.sub(r"<[^>]*>", "", cue) for cue in lines[index + 1 :]))
                break
    return "\n".join(shown)


def _cue_spans(text: str, position: str) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(cues to put first, cues to put last) for the requested notice position."""
    first = [(0.0, CUE_SECONDS)] if position in ("start", "both") else []
    last = [_last_cue(text)] if position in ("end", "both") else []
    return first, last


class SrtAdapter(Adapter):
    name = "srt"
    media = "text"
    formats = (Format("SRT", ("srt",), "application/x-subrip", reader="text"),)
    carrier: ClassVar[str | None] = None
    description = "SubRip subtitles; notice cue at 00:00, label in a sidecar (SRT has no comments)"

    def score(self, name: str, head: bytes) -> int:
        if not looks_like_text(head):
            return 0
        # a first cue is a pattern, not magic bytes: just enough to beat plain text's guess
        return (WEAK if _SRT_HEAD.match(head) else 0) + (WEAK - 2) * self.extension_score(name)

    def read_labels(self, path: Path) -> list[Found]:
        read_text(path)
        return []

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        decoded = read_text(src)
        nl = decoded.newline
        cues = []
        for block in _blocks(decoded.text):
            lines = block.splitlines()
            cues.append(lines[1:] if lines and lines[0].strip().isdigit() else lines)
        first, last = _cue_spans(decoded.text, text_position(notice))
        text = notice.text_for(self.media)
        cues = (
            [[f"{_stamp(a, ',')} --> {_stamp(b, ',')}", text] for a, b in first]
            + cues
            + [[f"{_stamp(a, ',')} --> {_stamp(b, ',')}", text] for a, b in last]
        )
        dst.write_bytes(decoded.encode((nl + nl).join(nl.join([str(n)] + lines) for n, lines in enumerate(cues, 1)) + nl))

    def detect_explicit(self, path: Path) -> Evidence:
        return find_text_notice(cue_texts(read_text(path).text))


class VttAdapter(SrtAdapter):
    name = "webvtt"
    formats = (Format("WebVTT", ("vtt",), "text/vtt", (Signature(0, b"WEBVTT"), Signature(0, b"\xef\xbb\xbfWEBVTT")), reader="text"),)
    carrier = VTT_CARRIER
    description = "WebVTT subtitles; notice cue at 00:00, label in a NOTE AIGC block"

    def score(self, name: str, head: bytes) -> int:
        if not looks_like_text(head):
            return 0
        return self.signature_score(head) + (WEAK - 2) * self.extension_score(name)

    def read_labels(self, path: Path) -> list[Found]:
        return [Found.of(VTT_CARRIER, m.group(1)) for m in _NOTE_LABEL.finditer(read_text(path).text)]

    def _edit(self, src: Path, dst: Path, note: str | None, notice: str | None = None, position: str = "start") -> None:
        decoded = read_text(src)
        nl = decoded.newline
        blocks = _blocks(decoded.text)
        header, rest = (blocks[0], blocks[1:]) if blocks else ("WEBVTT", [])
        if note is not None:
            rest = [b for b in rest if not _NOTE_LABEL.match(b)]
        first_cue = next((i for i, b in enumerate(rest) if "-->" in b), len(rest))
        first, last = _cue_spans(decoded.text, position) if notice else ([], [])

        def cue(a: float, b: float) -> str:
            return f"{_stamp(a, '.')} --> {_stamp(b, '.')}{nl}{notice}"

        ordered = (
            [header]
            + ([note] if note else [])
            + rest[:first_cue]
            + [cue(a, b) for a, b in first]
            + rest[first_cue:]
            + [cue(a, b) for a, b in last]
        )
        dst.write_bytes(decoded.encode((nl + nl).join(ordered) + nl))

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        self._edit(src, dst, f"NOTE AIGC {label.to_json()}")

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        self._edit(src, dst, None, notice.text_for(self.media), text_position(notice))
