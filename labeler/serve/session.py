"""The files of this server's session: uploads live in a private temporary folder under random
names (an uploaded name is only ever shown, never used as a path), each deleted as soon as its
work is done; labelled files stay there for download until the server stops."""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import IO

from ..names import unicode_text
from ..verify import Verdict

#: A suffix kept from the uploaded name, so formats told apart by extension (Markdown, plain text)
#: are still recognised; anything else is dropped.
SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}\Z")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
COPY_CHUNK = 1 << 20


def shown_name(name: str) -> str:
    """The uploaded name as text to show: separators unified, empty, ``.`` and ``..`` parts and
    control characters dropped (a folder upload keeps its relative path)."""
    parts = [CONTROL.sub("", p) for p in unicode_text(name).replace("\\", "/").split("/")]
    return "/".join(p for p in parts if p not in ("", ".", "..")) or "upload"


def suffix(name: str) -> str:
    found = SUFFIX.search(PurePosixPath(shown_name(name)).name)
    return found.group(0).lower() if found else ""


@dataclass
class Entry:
    """One checked or labelled file; ``verdict.path`` is the shown name under ``Session.names``."""

    id: str
    name: str
    verdict: Verdict
    output: Path | None = None  # the labelled file, for download


@dataclass
class Session:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="labeler-serve-")))
    entries: list[Entry] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def names(self) -> Path:
        """A folder that never exists: reports show paths relative to it and find no file there."""
        return self.root / "names"

    def new_upload(self, name: str, source: IO[bytes]) -> Path:
        """Copy an upload to a fresh private file named by a random id (plus its suffix)."""
        folder = self.root / "uploads"
        folder.mkdir(mode=0o700, exist_ok=True)
        target = folder / (secrets.token_hex(16) + suffix(name))
        with open(target, "xb") as out:
            shutil.copyfileobj(source, out, COPY_CHUNK)
        return target

    def output_path(self, name: str) -> Path:
        folder = self.root / "out"
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder / (secrets.token_hex(16) + suffix(name))

    def add(self, name: str, verdict: Verdict, output: Path | None = None) -> Entry:
        shown = shown_name(name)
        entry = Entry(secrets.token_hex(8), shown, replace(verdict, path=self.names / shown), output)
        with self.lock:
            self.entries.append(entry)
        return entry

    def find(self, entry_id: str) -> Entry | None:
        with self.lock:
            return next((e for e in self.entries if e.id == entry_id), None)

    def verdicts(self) -> list[Verdict]:
        with self.lock:
            return [e.verdict for e in self.entries]

    def outputs(self) -> Iterator[tuple[str, Path]]:
        """(name in the zip, file) of every labelled file; repeated names get ``-2``, ``-3``..."""
        seen: set[str] = set()
        with self.lock:
            entries = [e for e in self.entries if e.output is not None and e.output.is_file()]
        for entry in entries:
            name, number = entry.name, 1
            while name in seen:
                number += 1
                stem = PurePosixPath(entry.name)
                name = str(stem.with_name(f"{stem.stem}-{number}{stem.suffix}"))
            seen.add(name)
            assert entry.output is not None
            yield name, entry.output

    def zip_to(self, target: IO[bytes]) -> None:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, path in self.outputs():
                archive.write(path, name)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
