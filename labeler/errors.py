"""The one shallow error tree. Every message says what went wrong, where, and how to fix it.

LabelerError                    base; ``.path`` names the file when there is one
├── LabelFormatError(ValueError) a label or notice the user asked for breaks a rule
├── InputError                   the input cannot be read or parsed (truncated, corrupt, hostile)
├── UnsupportedError             no adapter handles this content, or a feature is absent
├── BackendMissingError          an optional backend (OCR, ffmpeg, ...) is not installed
└── OutputError                  the output cannot be written (permissions, disk full, exists)
"""

from __future__ import annotations

import re
from pathlib import Path

#: What an exception raised without a message means, by type (checked in order; the first match wins).
_SILENT_MEANING: tuple[tuple[type[BaseException], str], ...] = (
    (EOFError, "the data ends early (truncated)"),
    (OSError, "a read went past the end of the data (truncated, or a size field is wrong)"),
    (ValueError, "a field holds a value the format does not allow"),
)


#: What a library tells its own developers after the reason ("Please build `libjxl` from source …
#: Check `stderr` …"): not something a user of labeler can act on, so it is cut.
_DEVELOPER_ADVICE = re.compile(r"\.\s+(?:Please build|Please rebuild|Check `?stderr)\b.*", re.DOTALL)


def reason(exc: BaseException) -> str:
    """Why ``exc`` was raised, never empty: for "the tag is corrupt (REASON)" messages.

    Libraries wrap and re-raise: mutagen raises ``error(OSError())``, whose text is "". The wrapped
    exceptions are searched for a message; failing that, the innermost type says what it means.
    """
    current: BaseException | None = exc
    innermost = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        innermost = current
        wrapped = next((a for a in current.args if isinstance(a, BaseException)), None)
        text = _DEVELOPER_ADVICE.sub(".", str(current).strip())
        if text and wrapped is None:
            return text
        current = wrapped or current.__cause__ or current.__context__
    meaning = next((m for kind, m in _SILENT_MEANING if isinstance(innermost, kind)), "no details given")
    origin = type(exc).__module__.split(".")[0]
    return f"{meaning}; {type(innermost).__name__}" + ("" if origin == "builtins" else f" from {origin}")


class LabelerError(Exception):
    """Base of every error labeler raises on purpose.

    ``field`` names the option at fault in library terms (a ``LabelOptions`` attribute, dotted
    into its parts: ``producer``, ``notice.duration``, ``c2pa.alg``), so the message need not
    name a command-line flag; the CLI maps the field to its flag (``--producer``).
    """

    def __init__(self, message: str, path: str | Path | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else Path(path)
        self.field = field

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def for_file(self, path: Path) -> str:
        """The message naming ``path``'s file (reports and results carry it without a traceback)."""
        return self.message if path.name in self.message else f"{path.name}: {self.message}"


class LabelFormatError(LabelerError, ValueError):
    """A label value or notice text given to labeler breaks GB 45438 (refused on write)."""


class InputError(LabelerError):
    """The input file is unreadable, truncated, corrupt or hostile."""


class UnsupportedError(LabelerError):
    """No adapter handles the file, or the adapter cannot do what was asked."""


class BackendMissingError(UnsupportedError):
    """An optional backend is not installed; the message carries the install hint."""


class OutputError(LabelerError):
    """The output cannot be written."""
