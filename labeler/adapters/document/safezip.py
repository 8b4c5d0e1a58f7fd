"""A bounded ZIP reader and an entry-preserving rewriter for OOXML packages.

Reading refuses what a hostile or broken package does: too many entries, entries that inflate past
a limit (declared sizes are checked on open, and real sizes again while inflating, since a header
can lie), duplicate, empty or absolute names, damaged entries (``check_integrity`` inflates every entry and
checks its CRC-32, as ``unzip -t`` does, so a broken part nobody edits is not passed over), and
an encrypted Office file (an OLE compound file, not a ZIP). Rewriting copies every entry it does
not replace with the same name, order, timestamp, compression and attributes, so untouched parts
(macros, media, comments, tracked changes) keep their exact uncompressed bytes.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...errors import InputError, reason

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_ENTRIES = 10_000
MAX_PART_BYTES = 256 * 1024 * 1024  # one part, inflated
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # the whole package, inflated
_CHUNK = 1 << 16
ZIP64_LIMIT = (1 << 31) - 1


@dataclass(frozen=True)
class Limits:
    entries: int = MAX_ENTRIES
    part_bytes: int = MAX_PART_BYTES
    total_bytes: int = MAX_TOTAL_BYTES


class Package:
    """An opened OOXML package: entry names in order, parts read on demand within the limits."""

    def __init__(self, path: Path, limits: Limits = Limits()) -> None:
        self.path = path
        self.limits = limits
        with open(path, "rb") as handle:
            head = handle.read(8)
        if head.startswith(OLE_MAGIC):
            raise InputError(
                "this Office file is encrypted or password-protected (it is an OLE compound file, not a ZIP "
                "package); open it in Office, remove the password (File > Info > Protect), save, and label again",
                path,
            )
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise InputError(f"not a readable ZIP package ({exc}); the file is corrupt or truncated: re-export it", path) from exc
        if len(infos) > limits.entries:
            self._zip.close()
            raise InputError(
                f"the package has {len(infos):,} entries, over the {limits.entries:,} limit (a zip bomb?); refused: "
                "if the file is genuine, open and re-save it in Office",
                path,
            )
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            self._zip.close()
            raise InputError("the package has duplicate entry names (corrupt or crafted); re-export it", path)
        if not all(names):
            self._zip.close()
            raise InputError("the package has an entry with an empty name (corrupt or crafted); re-export it", path)
        if any(n.startswith(("/", "\\")) or ".." in n.split("/") for n in names):
            self._zip.close()
            raise InputError("the package has an entry with an absolute or '..' path (crafted); refused", path)
        declared = max((i.file_size for i in infos), default=0)
        if declared > limits.part_bytes or sum(i.file_size for i in infos) > limits.total_bytes:
            self._zip.close()
            raise InputError(
                f"the package declares parts that inflate past the limits ({declared:,} bytes in one part; "
                f"{limits.part_bytes:,} per part, {limits.total_bytes:,} in all): a zip bomb?; refused: "
                "if the file is genuine, split it or compress its media in Office",
                path,
            )
        self.infos = infos
        self._by_name = {i.filename.lower(): i for i in infos}
        self._inflated = 0

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *_: object) -> None:
        self._zip.close()

    def has(self, name: str) -> bool:
        return name.lower() in self._by_name

    def info(self, name: str) -> zipfile.ZipInfo | None:
        return self._by_name.get(name.lower())

    def read(self, name: str) -> bytes | None:
        """The inflated part, or None when absent; raises ``InputError`` past the limits."""
        info = self.info(name)
        if info is None:
            return None
        return self.read_info(info)

    def check_integrity(self) -> None:
        """Inflate every entry to nothing and check its CRC-32 (streamed, within the zip-bomb limits).

        Raises ``InputError`` naming the first damaged entry. The parts labeler reads or edits are
        checked anyway; this catches a damaged slide, image or core.xml that it would copy blindly.
        """
        inflated = self._inflated
        try:
            for info in self.infos:
                if not info.is_dir():
                    self._inflate(info, _discard)
        finally:
            self._inflated = inflated  # a check is not a read: the package budget stays for the real reads

    def read_info(self, info: zipfile.ZipInfo) -> bytes:
        chunks: list[bytes] = []
        self._inflate(info, chunks.append)
        return b"".join(chunks)

    def _inflate(self, info: zipfile.ZipInfo, sink: Callable[[bytes], object]) -> None:
        """Feed the inflated entry to ``sink`` chunk by chunk, enforcing the limits as it grows."""
        if info.flag_bits & 0x1:
            raise InputError(f"the ZIP entry {info.filename!r} is encrypted; remove the password and try again", self.path)
        size = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    self._inflated += len(chunk)
                    if size > self.limits.part_bytes:
                        raise InputError(
                            f"the part {info.filename!r} inflates past {self.limits.part_bytes:,} bytes (a zip bomb?); refused: "
                            "if the file is genuine, compress its media in Office",
                            self.path,
                        )
                    if self._inflated > self.limits.total_bytes:
                        raise InputError(
                            f"the package inflates past {self.limits.total_bytes:,} bytes (a zip bomb?); refused: "
                            "if the file is genuine, split it or compress its media in Office",
                            self.path,
                        )
                    sink(chunk)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise InputError(
                f"the ZIP entry {info.filename!r} is damaged ({_reason(exc)}; `unzip -t` rejects it too); "
                "the package is corrupt: restore it from a backup or open and re-save it in Office",
                self.path,
            ) from exc

    def rewrite(self, dst: Path, replace: dict[str, bytes], add: dict[str, bytes]) -> None:
        """Write ``dst``: every entry copied except those in ``replace``; ``add`` appended (deflated)."""
        wanted = {k.lower(): v for k, v in replace.items()}
        with zipfile.ZipFile(dst, "w", allowZip64=True) as out:
            for info in self.infos:
                data = wanted.pop(info.filename.lower(), None)
                if data is not None:
                    out.writestr(_clone(info), data)
                    continue
                with out.open(_clone(info), "w", force_zip64=info.file_size >= ZIP64_LIMIT) as stream:
                    self._inflate(info, stream.write)  # streamed: a large media part is never held in memory
            for name, data in add.items():
                entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o600 << 16
                out.writestr(entry, data)
        if wanted:
            raise InputError(f"internal: parts to replace were not in the package: {sorted(wanted)}", self.path)


def _discard(chunk: bytes) -> None:
    """The sink of an integrity check: the bytes only pass through the CRC."""


def _reason(exc: BaseException) -> str:
    """zipfile and zlib say what broke ("Bad CRC-32 for file …", "invalid stored block lengths")."""
    kinds = {zlib.error: "the deflate stream is broken", EOFError: "the entry is truncated"}
    prefix = next((why for kind, why in kinds.items() if isinstance(exc, kind)), "")
    return "; ".join(part for part in (prefix, reason(exc)) if part)


def _clone(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh ZipInfo with the original's visible properties (sizes and offsets are recomputed)."""
    clone = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    clone.compress_type = info.compress_type
    clone.comment = info.comment
    clone.extra = info.extra if not _has_zip64_extra(info.extra) else b""
    clone.create_system = info.create_system
    clone.external_attr = info.external_attr
    clone.internal_attr = info.internal_attr
    clone.flag_bits = info.flag_bits & 0x800  # keep only the UTF-8 name flag
    return clone


def _has_zip64_extra(extra: bytes) -> bool:
    """A ZIP64 extra field describes the old sizes; a copy must not carry it over."""
    offset = 0
    while offset + 4 <= len(extra):
        header = int.from_bytes(extra[offset : offset + 2], "little")
        size = int.from_bytes(extra[offset + 2 : offset + 4], "little")
        if header == 0x0001:
            return True
        offset += 4 + size
    return False
