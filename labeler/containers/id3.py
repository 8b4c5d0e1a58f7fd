"""ID3v2 ``TXXX:AIGC``: the one implementation of the ID3 label carrier (MP3 tags, the ``id3 ``
chunk of a WAV and the ``ID3 `` chunk of an AIFF).

mutagen parses and serialises the frames; this module decides which frames are the label and how a
tag is saved so that nothing else in it changes: the tag keeps its ID3v2 version (see ``version``)
and its padding when the new frames still fit.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

KEY = "AIGC"
DEFAULT_PADDING = 1024
HEADER = 10
FOOTER = 10


def tag_size(head: bytes) -> int:
    """Bytes of the ID3v2 tag at the start of ``head`` (header, syncsafe size, footer), 0 if none."""
    if head[:3] != b"ID3" or len(head) < HEADER:
        return 0
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    return HEADER + size + (FOOTER if head[5] & 0x10 else 0)


def version(tags: Any) -> int:
    """The ID3v2 version to save ``tags`` (loaded with ``translate=False``) in: ID3v2.3 stays 2.3
    with its frames as they are (mutagen's default translation would turn TYER/TDAT into the
    2.4-only TDRC and drop 2.3-only frames such as RVAD); 2.4 stays 2.4, and 2.2, which mutagen
    cannot write, becomes 2.4 with its frames upgraded."""
    if tuple(tags.version[:2]) == (2, 3):
        return 3
    tags.update_to_v24()
    return 4


def keep_padding(info: Any) -> int:
    """mutagen padding policy: keep the existing padding when the tag still fits, else a fixed
    amount, so the same input always gives the same bytes."""
    padding: int = info.padding
    return padding if padding >= 0 else DEFAULT_PADDING


def label_frames(tags: Any) -> list[Any]:
    """The ``TXXX`` frames whose description is ``AIGC`` (any case)."""
    return [f for f in tags.getall("TXXX") if f.desc.upper() == KEY]


def label_texts(tags: Any) -> list[str]:
    """The text of each ``TXXX:AIGC`` frame (an empty frame reads as ``""``)."""
    return [str(f.text[0]) if f.text else "" for f in label_frames(tags)]


def set_label(tags: Any, text: str, also_remove: Iterable[Any] = ()) -> None:
    """Leave exactly one ``TXXX:AIGC`` frame holding ``text``; the frames in ``also_remove`` (a label
    in a comment) go too, so the tag keeps one label."""
    from mutagen.id3 import TXXX

    for frame in [*label_frames(tags), *also_remove]:
        del tags[frame.HashKey]
    tags.add(TXXX(encoding=0, desc=KEY, text=[text]))  # Latin-1: the JSON is ASCII, valid in v2.3 and v2.4


def labels_in(payload: bytes) -> list[str]:
    """The ``TXXX:AIGC`` texts of a tag held in a container chunk; a tag mutagen cannot parse holds
    no label we can read (the chunk is still copied as it is)."""
    from mutagen.id3 import ID3

    try:
        tags = ID3(io.BytesIO(payload))
    except Exception:  # noqa: BLE001 - mutagen raises many error types for a broken tag
        return []
    return label_texts(tags)


def without_label(payload: bytes) -> bytes:
    """A chunk's tag with its ``TXXX:AIGC`` frames removed, every other frame and the version kept
    (no padding: the chunk size is rewritten anyway)."""
    from mutagen.id3 import ID3

    buffer = io.BytesIO(payload)
    tags = ID3(buffer, translate=False)
    for frame in label_frames(tags):
        del tags[frame.HashKey]
    buffer.seek(0)
    tags.save(buffer, v2_version=version(tags), padding=lambda info: 0)
    return buffer.getvalue()
