"""``--evidence DIR``: a bundle a compliance officer can file.

The folder gets the report in every format (``DEFAULT_NAMES``), all stamped with the same run time,
and ``SHA256SUMS``: the SHA-256 of each report and of each checked file, in the format of GNU
``sha256sum`` so ``cd DIR && sha256sum -c SHA256SUMS`` re-checks it. Reports are listed by their
name in DIR; checked files by their absolute path (the bundle proves what was checked, where).
A name holding a backslash, newline or carriage return is escaped as GNU does (line starts with
``\\``). Names are written as their exact bytes, so non-UTF-8 names still verify.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from ..verify import Verdict
from . import DEFAULT_NAMES, FORMATS, RunInfo, render
from .csv import checked_at, file_sha256

MANIFEST = "SHA256SUMS"


def manifest_line(digest: str, name: bytes) -> bytes:
    """One ``sha256sum`` line; names with ``\\``, LF or CR are escaped and flagged by a leading ``\\``."""
    escaped = name.replace(b"\\", b"\\\\").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
    return (b"\\" if escaped != name else b"") + digest.encode() + b"  " + escaped + b"\n"


def write_evidence(folder: Path, verdicts: Sequence[Verdict], run: RunInfo) -> Path:
    """Write every report format and the manifest into ``folder``; return the manifest's path."""
    from ..atomic import atomic_output

    folder.mkdir(parents=True, exist_ok=True)
    run = dataclasses.replace(run, extra={**run.extra, "checked_at": checked_at(run)})
    lines: list[bytes] = []
    for fmt in FORMATS:
        target = folder / DEFAULT_NAMES[fmt]
        data = render(fmt, verdicts, run).encode("utf-8")
        with atomic_output(target) as temp:
            temp.write_bytes(data)
        lines.append(manifest_line(file_sha256(target), os.fsencode(target.name)))
    for verdict in verdicts:
        digest = file_sha256(verdict.path)
        if digest:  # an unreadable file has no digest; its report row says why it was not checked
            lines.append(manifest_line(digest, os.fsencode(Path(verdict.path).absolute())))
    manifest = folder / MANIFEST
    with atomic_output(manifest) as temp:
        temp.write_bytes(b"".join(lines))
    return manifest


__all__ = ["MANIFEST", "manifest_line", "write_evidence"]
