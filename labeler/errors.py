"""The one shallow error tree. Every message says what went wrong, where, and how to fix it.

    LabelerError                    base; ``.path`` names the file when there is one
    ├── LabelFormatError(ValueError) a label or notice the user asked for breaks a rule
    ├── InputError                   the input cannot be read or parsed (truncated, corrupt, hostile)
    ├── UnsupportedError             no adapter handles this content, or a feature is absent
    ├── BackendMissingError          an optional backend (OCR, ffmpeg, ...) is not installed
    └── OutputError                  the output cannot be written (permissions, disk full, exists)
"""

from __future__ import annotations

from pathlib import Path


class LabelerError(Exception):
    """Base of every error labeler raises on purpose."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else Path(path)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


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
