"""Outputs that share the source's unchanged blocks, where the file system can clone extents.

Labelling changes a few KB of metadata in the head of a file and leaves the rest (the JPEG's
entropy-coded data, an MP4's ``mdat``) as it was. On a file system with reflinks (XFS, Btrfs) the
output can then own only the blocks that differ: the new head is written, every block whose bytes
equal a source block at the same offset modulo the block size is cloned (``FICLONERANGE``), so a
1 GB video costs a few KB of new blocks and no data copy. The writers lay their output out so that
the unchanged bytes keep their offset modulo the block size (``align``: XMP padding, an MP4
``free`` box) only when cloning will happen; elsewhere (ext4, another file system than the
source's, a clone refused) the bytes are copied and are exactly what the copy path always wrote.

Each write records how it went (``Layout``: ``clone`` or ``copy``, bytes cloned and written, and
why not cloned); ``label_file`` puts it in the result's details (``write`` in the JSON report).

Cloning reads nothing from the source at write time, so a writer that built its output from bytes
read earlier checks that the source is still the file it read (``Identity``) before and after.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: linux/fs.h: _IOW(0x94, 13, struct file_clone_range {s64 src_fd; u64 src_offset, src_length, dest_offset})
FICLONERANGE = 0x4020940D
#: statfs f_type of the file systems whose clones share extents (others are not tried).
_CLONING_FS = {0x58465342: "xfs", 0x9123683E: "btrfs", 0x2FC12FC1: "zfs", 0x794C7630: "overlayfs"}
#: Errors that mean "this file system (or pair of files) cannot clone": copy instead.
_NO_CLONE = frozenset({errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.ENOSYS, errno.EPERM, errno.ETXTBSY})
#: Devices found unable to clone in this process (the first refusal is believed for the rest of the run).
_refused: set[int] = set()
#: The layout of the last write to each path, until ``label_file`` takes it for the result.
_layouts: dict[str, Layout] = {}

Identity = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class Range:
    """``length`` bytes of the source from ``offset`` (a piece of an output that copies them)."""

    offset: int
    length: int


Piece = bytes | memoryview | Range


@dataclass(frozen=True)
class Layout:
    path: str  # "clone" (some blocks shared with the source) or "copy"
    cloned: int = 0
    written: int = 0
    why: str = ""

    def as_dict(self) -> dict[str, object]:
        document: dict[str, object] = {"layout": self.path, "cloned_bytes": self.cloned, "written_bytes": self.written}
        if self.why:
            document["why"] = self.why
        return document


def identity(path: str | os.PathLike[str]) -> Identity:
    return _identity_of(os.stat(path))


def _identity_of(st: os.stat_result) -> Identity:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _libc()
#: statfs f_type by device: a labelling run asks once per output.
_fs_types: dict[int, int | None] = {}


def _fs_type(path: Path) -> int | None:
    device = os.stat(path).st_dev
    if device not in _fs_types:
        buffer = ctypes.create_string_buffer(256)  # struct statfs: f_type is its first word
        try:
            known = _LIBC is not None and _LIBC.statfs(os.fsencode(path), buffer) == 0
        except AttributeError:
            known = False
        _fs_types[device] = int(struct.unpack_from("l", buffer.raw)[0] & 0xFFFFFFFF) if known else None
    return _fs_types[device]


def block_size(src: Path, dst: Path) -> int | None:
    """The block size to align to when ``dst`` (not yet finished, in its folder) can share
    ``src``'s blocks, else None: same file system, one that clones, not found refusing."""
    try:
        source, folder = os.stat(src), os.statvfs(dst.parent)
        device = os.stat(dst.parent).st_dev
    except OSError:
        return None
    if source.st_dev != device or device in _refused or _fs_type(dst.parent) not in _CLONING_FS:
        return None
    return folder.f_bsize if folder.f_bsize > 0 and folder.f_bsize & (folder.f_bsize - 1) == 0 else None


def why_not(src: Path, dst: Path) -> str:
    """In words, why ``dst`` cannot share ``src``'s blocks (for the report)."""
    try:
        if os.stat(src).st_dev != os.stat(dst.parent).st_dev:
            return "the output is on another file system than the source"
        if os.stat(dst.parent).st_dev in _refused:
            return "the file system refused to clone"
    except OSError as exc:
        return str(exc)
    kind = _fs_type(dst.parent)
    return f"the file system ({_FS_NAMES.get(kind or 0, hex(kind or 0))}) does not clone extents"


_FS_NAMES = {0xEF53: "ext4", 0x01021994: "tmpfs", 0x6969: "nfs", **_CLONING_FS}


def record(dst: Path, layout: Layout) -> Layout:
    if len(_layouts) > 64:  # writes nobody asked about (an adapter called directly): keep no history
        _layouts.clear()
    _layouts[os.fspath(dst)] = layout
    return layout


def taken(dst: Path) -> Layout | None:
    """The layout of the last write to ``dst`` (once)."""
    return _layouts.pop(os.fspath(dst), None)


def plan(out: bytes | memoryview, data: bytes, block: int) -> list[Piece]:
    """``out`` as pieces: runs of whole blocks equal to ``data``'s at the same offset, or at the
    offset moved by ``len(out) - len(data)`` when that is a multiple of ``block`` (the bytes after a
    grown head), become ``Range``s; the rest stays bytes. A partial last block is shared only
    when it ends both files."""
    out_view, size, total = memoryview(out), len(out), len(data)
    delta = size - total
    shifts = (0, delta) if delta and delta % block == 0 else (0,)
    pieces: list[Piece] = []
    placed = 0  # output bytes already in a piece (or in ``run``)
    run: Range | None = None
    for offset in range(0, size, block):
        end = min(offset + block, size)
        length = end - offset
        candidates = [run.offset + run.length] if run is not None and placed == offset else []
        candidates += [offset - shift for shift in shifts]
        match = next(
            (
                start
                for start in candidates
                if start >= 0
                and start + length <= total
                and (length == block or start + length == total)
                and data.startswith(out_view[offset:end], start)
            ),
            None,
        )
        if match is None:
            continue
        if run is not None and placed == offset and run.offset + run.length == match:
            run = Range(run.offset, run.length + length)
        else:
            if run is not None:
                pieces.append(run)
            if placed < offset:
                pieces.append(out_view[placed:offset])
            run = Range(match, length)
        placed = end
    if run is not None:
        pieces.append(run)
    if placed < size:
        pieces.append(out_view[placed:size])
    return pieces


def shared(pieces: Sequence[Piece]) -> int:
    return sum(p.length for p in pieces if isinstance(p, Range))


def write_pieces(src: Path, dst: Path, pieces: Sequence[Piece], *, block: int | None, expect: Identity | None = None) -> Layout:
    """Write ``pieces`` to ``dst`` (bytes as they are, ``Range``s from ``src``). With ``block``,
    ranges whose source and output offsets agree modulo ``block`` are cloned block by block (their
    unaligned edges copied); without, or when the file system refuses, every range is copied in the
    kernel (``copy_file_range``). ``expect``: the identity of ``src`` when the bytes were read;
    if it changed, nothing is cloned (a clone would take the new content)."""
    why = why_not(src, dst) if block is None else ""
    src_fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if block is not None and expect is not None and _identity_of(os.fstat(src_fd)) != expect:
            block, why = None, "the source changed since it was read"
        with open(dst, "wb") as handle:
            fd = handle.fileno()
            cloned, written, position = 0, 0, 0
            for piece in pieces:
                if not isinstance(piece, Range):
                    _write_all(fd, piece, position)
                    written += len(piece)
                    position += len(piece)
                    continue
                done = _clone(src_fd, fd, piece, position, block) if block else 0
                if block and done == -1:
                    _refused.add(os.fstat(fd).st_dev)
                    block, done, why = None, 0, "the file system refused to clone"
                cloned += done
                _copy_edges(src_fd, fd, piece, position, done, block)
                written += piece.length - done
                position += piece.length
            if os.fstat(fd).st_size != position:  # a truncate to the same size would still zero (unshare) the last block
                os.ftruncate(fd, position)
        if cloned and expect is not None and _identity_of(os.fstat(src_fd)) != expect:
            raise OSError(errno.EAGAIN, "the source changed while its blocks were being shared", os.fspath(src))
    finally:
        os.close(src_fd)
    if not cloned and not why:
        why = "no whole block of the source lies at a shareable offset (a small file)"
    return record(dst, Layout("clone" if cloned else "copy", cloned, written, why))


def _write_all(fd: int, data: bytes | memoryview, position: int) -> None:
    view = memoryview(data)
    while view:
        count = os.pwrite(fd, view, position)
        view, position = view[count:], position + count


def _aligned_part(piece: Range, position: int, block: int, src_size: int) -> tuple[int, int]:
    """(skip, length): the part of ``piece`` that can be cloned: from its first block boundary to
    its last, or to its end when it ends the source (a clone may end unaligned only at EOF)."""
    if (piece.offset - position) % block:
        return 0, 0
    skip = -position % block
    end = piece.length if piece.offset + piece.length == src_size else (piece.length - skip) // block * block + skip
    return skip, max(0, end - skip)


def _clone(src_fd: int, fd: int, piece: Range, position: int, block: int) -> int:
    """Clone the aligned part of ``piece``; bytes cloned, or -1 when the file system refuses."""
    size = os.fstat(src_fd).st_size
    if piece.offset + piece.length > size:
        return 0  # a truncated source: the copy says so (InputError), a clone would fail as "refused"
    skip, length = _aligned_part(piece, position, block, size)
    if length <= 0:
        return 0
    try:
        fcntl.ioctl(fd, FICLONERANGE, struct.pack("qQQQ", src_fd, piece.offset + skip, length, position + skip))
    except OSError as exc:
        if exc.errno in _NO_CLONE:
            return -1
        raise
    return length


def _copy_edges(src_fd: int, fd: int, piece: Range, position: int, done: int, block: int | None) -> None:
    """Copy the bytes of ``piece`` not cloned (all of them when ``done`` is 0)."""
    if done:
        assert block is not None
        skip, _ = _aligned_part(piece, position, block, os.fstat(src_fd).st_size)
        spans = [(0, skip), (skip + done, piece.length - skip - done)]
    else:
        spans = [(0, piece.length)]
    for start, length in spans:
        _copy(src_fd, fd, piece.offset + start, length, position + start)


def _copy(src_fd: int, fd: int, offset: int, length: int, position: int) -> None:
    kernel_copy = getattr(os, "copy_file_range", None)  # Linux only
    while length > 0:
        try:
            if kernel_copy is None:
                raise OSError(errno.ENOSYS, "no copy_file_range")
            count = kernel_copy(src_fd, fd, length, offset, position)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            count = _copy_by_read(src_fd, fd, offset, min(length, 1 << 20), position)
        if count == 0:
            from .errors import InputError

            raise InputError("the file ended early while copying (truncated?)")
        offset, length, position = offset + count, length - count, position + count


def _copy_by_read(src_fd: int, fd: int, offset: int, length: int, position: int) -> int:
    data = os.pread(src_fd, length, offset)
    _write_all(fd, data, position)
    return len(data)


def write_like(src: Path, dst: Path, out: bytes | memoryview, data: bytes, *, block: int | None, expect: Identity | None) -> Layout:
    """Write ``out`` (built from ``data``, the bytes of ``src``) to ``dst``, sharing with ``src``
    every block ``plan`` finds equal when ``block`` is given; otherwise one plain write."""
    if block is None:
        with open(dst, "wb") as handle:
            handle.write(out)
        return record(dst, Layout("copy", 0, len(out), why_not(src, dst)))
    pieces = plan(out, data, block)
    if not shared(pieces):
        with open(dst, "wb") as handle:
            handle.write(out)
        return record(dst, Layout("copy", 0, len(out), "no block of the output equals one of the source"))
    try:
        return write_pieces(src, dst, pieces, block=block, expect=expect)
    except OSError as exc:
        if exc.errno != errno.EAGAIN:
            raise
        with open(dst, "wb") as handle:  # the source changed under us: the bytes read before are the output
            handle.write(out)
        return record(dst, Layout("copy", 0, len(out), exc.strerror or "the source changed"))


FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)


def clone_or_copy(src: Path, dst: Path) -> bool:
    """``dst`` as a whole-file clone of ``src`` where the file system can (True), else a copy.
    For writers that then edit the copy in place (mutagen): only the blocks they touch get their own."""
    if block_size(src, dst) is not None:
        with open(src, "rb") as source, open(dst, "wb") as out:
            try:
                fcntl.ioctl(out.fileno(), FICLONE, source.fileno())
                return True
            except OSError as exc:
                if exc.errno not in _NO_CLONE:
                    raise
                _refused.add(os.fstat(out.fileno()).st_dev)
    shutil.copyfile(src, dst)
    return False


def record_edit(src: Path, dst: Path, cloned: bool, *, head: int, tail: int = 0) -> Layout:
    """The layout of a whole-file clone that a writer then edited in place (mutagen), which may
    have touched the first ``head`` and last ``tail`` bytes. When the file's size changed, the
    writer moved everything after its metadata: every block was rewritten."""
    size = dst.stat().st_size
    if not cloned:
        return record(dst, Layout("copy", 0, size, why_not(src, dst)))
    if size != src.stat().st_size:
        return record(dst, Layout("copy", 0, size, "the tag outgrew its padding, so the audio after it moved: every block was rewritten"))
    block = os.statvfs(dst.parent).f_bsize
    written = min(size, -(-head // block) * block + (block if tail else 0))
    return record(dst, Layout("clone", size - written, written))


def pad_xmp(packet: bytes, extra: int) -> bytes:
    """``packet`` with ``extra`` more bytes of XMP padding (whitespace before the trailer, where
    the XMP specification puts padding for in-place edits; after the packet when it has none)."""
    if extra <= 0:
        return packet
    lines = b"\n".join(b" " * 99 for _ in range(extra // 100)) + (b"\n" if extra >= 100 else b"")
    padding = (lines + b" " * extra)[:extra]
    at = packet.rfind(b"<?xpacket end=")
    return packet + padding if at < 0 else packet[:at] + padding + packet[at:]


__all__ = ["Layout", "Range", "block_size", "pad_xmp", "plan", "taken", "write_like", "write_pieces"]
