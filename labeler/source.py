"""Source: one file, read and parsed once for a whole ``label_file`` (plan -> write -> verify).

``Source`` is a ``Path`` (adapters and backends take it wherever they take a path) that memoises
what is read from its file: the bytes, the head, the SHA-256, and any parsed structure a reader
asks for by key (``memo``): an MP4's ``moov`` tree, the ffprobe result, the C2PA scan windows.
``label_file`` opens the input once as a ``Source`` and hands that object to sniffing, planning,
the writes and (when nothing changes) the verify; ``verify_file`` opens the file it checks as a
new ``Source``, so the written output is re-read from disk once, honestly, and parsed once.

Every memo is tied to the file's identity (device, inode, size, mtime_ns, ctime_ns), checked with
one ``stat`` per access: a file changed or replaced under the same name starts a fresh memo.

Readers use the helpers, which work for a plain ``Path`` too (nothing memoised then):
``read_all(path)``, ``read_head(path, n)`` and ``memo(path, key, compute)``.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

_T = TypeVar("_T")

#: Files up to this size are read whole when their head is asked for (sniffing): the C2PA scan, the
#: image family and most parsers read them whole next anyway, so that is one read instead of two.
WHOLE_HEAD = 1024 * 1024

if TYPE_CHECKING:
    _ConcretePath = Path
else:  # Path itself cannot be subclassed before Python 3.12; its concrete class can
    _ConcretePath = type(Path())


def _identity(path: str | os.PathLike[str]) -> tuple[int, int, int, int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


class Source(_ConcretePath):
    """A path whose reads and parses are memoised for the lifetime of this object."""

    _memo: dict[Any, Any]
    _seen: tuple[int, int, int, int, int] | None

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> Source:
        """``path`` itself when it already is a ``Source`` (its memo is shared), else a new one."""
        return path if isinstance(path, Source) else cls(path)

    def _store(self) -> dict[Any, Any]:
        # Paths derived from a Source (``with_name``, ``parent``) are Sources too: each starts empty.
        identity = _identity(self)
        if getattr(self, "_seen", None) != identity:
            self._memo = {}
            self._seen = identity
        return self._memo

    def memo(self, key: Any, compute: Callable[[], _T]) -> _T:
        """``compute()`` the first time ``key`` is asked for this file's current content."""
        store = self._store()
        if key not in store:
            store[key] = compute()
        return store[key]  # type: ignore[no-any-return]

    def data(self) -> bytes:
        """The whole file (read once)."""
        return self.memo("data", lambda: Path(self).read_bytes())

    def loaded(self) -> bytes | None:
        """The whole file when something already read it, else None (nothing is read)."""
        data: bytes | None = self._store().get("data")
        return data

    def head(self, size: int) -> bytes:
        """The first ``size`` bytes: from the whole file when it was read, else read once."""
        store = self._store()
        if "data" not in store and self._seen is not None and self._seen[2] <= WHOLE_HEAD:
            return self.data()[:size]  # a small file is read whole at once: the readers after sniffing need it all
        if "data" in store:
            return bytes(store["data"][:size])
        if size > store.get("head_asked", 0):
            with open(self, "rb") as handle:
                head = handle.read(size)
            if len(head) < size:  # the head is the whole file: later readers need no second read
                store["data"] = head
                return head
            store["head"], store["head_asked"] = head, size
        return bytes(store["head"][:size])

    def sha256(self) -> str:
        """The file's SHA-256 (hex): of the bytes already read, else streamed in 1 MiB blocks."""

        def digest() -> str:
            store = self._store()
            if "data" in store:
                return hashlib.sha256(store["data"]).hexdigest()
            hasher = hashlib.sha256()
            with open(self, "rb") as handle:
                while block := handle.read(1 << 20):
                    hasher.update(block)
            return hasher.hexdigest()

        return self.memo("sha256", digest)


def read_all(path: Path) -> bytes:
    """The whole file; read once per ``Source``."""
    return path.data() if isinstance(path, Source) else path.read_bytes()


def read_head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes; read once per ``Source``."""
    if isinstance(path, Source):
        return path.head(size)
    with open(path, "rb") as handle:
        return handle.read(size)


def loaded(path: Path) -> bytes | None:
    """The whole file if a ``Source`` already read it, else None (a large file is not read whole
    just to save a partial read)."""
    return path.loaded() if isinstance(path, Source) else None


def memo(path: Path, key: Any, compute: Callable[[], _T], *, private: bool = False) -> _T:
    """``compute()`` once per ``Source`` and key (every call for a plain ``Path``). ``private``:
    the caller may mutate the result, so each call gets its own deep copy of the memoised value."""
    if not isinstance(path, Source):
        return compute()
    value = path.memo(key, compute)
    return copy.deepcopy(value) if private else value
