"""File names as reports show them: every report is valid UTF-8, and no name can drive a terminal.

A POSIX file name is bytes. Python holds the bytes of a name that are not valid UTF-8 as lone
surrogates (``surrogateescape``: byte 0xFF is U+DCFF), which no UTF-8 writer accepts, and a name
may hold control characters: ESC and CSI start the ANSI sequences that recolour, move or retitle
a terminal, a newline forges a report line, bidirectional overrides reorder what a reader sees.

- ``display``: text reports, progress lines and Markdown. Each byte that is not UTF-8 is shown
  as ``\\xNN``; control characters (C0, DEL, C1) as ``\\xNN``; bidirectional controls as
  ``\\uNNNN``. Everything else (CJK, accents, emoji) is kept.
- ``unicode_text``: JSON, HTML and XML, which escape control characters themselves: only the
  bytes that are not UTF-8 become ``\\xNN``. That form is for reading and can collide with a name
  that really contains a backslash, so
- ``exact_bytes``: the name's exact bytes in base64, given beside a path in the JSON reports
  (``path_bytes``, ``source_bytes``, ``output_bytes``) only when the name is not valid UTF-8.
"""

from __future__ import annotations

import base64
import os
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: one undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def display(text: str | os.PathLike[str]) -> str:
    """``text`` safe to print on a terminal or in Markdown (see the module docstring)."""
    return _UNSAFE.sub(_escape, os.fspath(text))


def unicode_text(text: str | os.PathLike[str]) -> str:
    """``text`` as valid Unicode: bytes that are not UTF-8 become ``\\xNN``."""
    return _SURROGATE.sub(_escape, os.fspath(text))


def exact_bytes(path: str | os.PathLike[str] | None) -> str | None:
    """Base64 of the name's bytes when it is not valid UTF-8 (else ``None``: the string is exact)."""
    if path is None or not _SURROGATE.search(os.fspath(path)):
        return None
    return base64.b64encode(os.fsencode(path)).decode("ascii")


def with_exact_bytes(entry: dict[str, Any], *keys: str) -> dict[str, Any]:
    """``entry`` plus ``KEY_bytes`` for each path field ``KEY`` whose name is not valid UTF-8."""
    extra = {f"{key}_bytes": raw for key in keys if (raw := exact_bytes(entry.get(key))) is not None}
    return {**entry, **extra} if extra else entry


def json_safe(value: Any) -> Any:
    """``value`` (a JSON document) with every string valid Unicode (``unicode_text``)."""
    if isinstance(value, str):
        return unicode_text(value)
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
