"""Bounded byte-range copies shared by the container writers (RIFF, MP4)."""

from __future__ import annotations

from typing import BinaryIO

from ..errors import InputError


def copy_range(src: BinaryIO, dst: BinaryIO, start: int, length: int, block: int = 1 << 20) -> None:
    """Copy ``length`` bytes from ``start`` in blocks; a source that ends early is truncated input."""
    src.seek(start)
    while length > 0:
        data = src.read(min(block, length))
        if not data:
            raise InputError("the file ended early while copying (truncated?)")
        dst.write(data)
        length -= len(data)
