"""Matroska / WebM after the notice's re-encode: give the tracks back their source identities.

ffmpeg's Matroska muxer draws a new random ``TrackUID`` for every track it writes, and for a
stream-copied Opus/Vorbis track it declares ``BitDepth`` 32 (its float decoder format) where the
source said 16. A TrackUID is an identity other files and tags refer to, not content, so it must
not change: ``keep_track_identity`` writes the source's values back into ffmpeg's output in place
(``TrackUID`` in ``Tracks``, the ``TagTrackUID`` targets in ``Tags`` that named the new ones, and
an audio track's ``BitDepth``). ffmpeg writes UIDs as 8-byte fields, so every value fits; a field
too narrow for the source's value, or a track list that does not pair up one to one, is left as
ffmpeg wrote it rather than guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import ebml, mkvtags
from .ebml import TAG, TAG_TRACK_UID, TAGS, TARGETS

TRACKS, TRACK_ENTRY, TRACK_UID, AUDIO, BIT_DEPTH = 0x1654AE6B, 0xAE, 0x73C5, 0xE1, 0x6264


@dataclass(frozen=True)
class Field:
    """An unsigned integer element's payload: where it is in the file, its width and value."""

    at: int
    width: int
    value: int


def _located(data: bytes, base: int) -> list[tuple[int, int, bytes]]:
    """(element id, absolute payload offset, payload) of the children of ``data`` found at ``base``."""
    out, pos = [], 0
    while pos < len(data):
        element, size, header = ebml._header(data, pos)
        if size == ebml.UNKNOWN or pos + header + size > len(data):
            raise ValueError("element runs past its parent")
        out.append((element, base + pos + header, data[pos + header : pos + header + size]))
        pos += header + size
    return out


def _top(path: Path, wanted: int) -> list[tuple[int, bytes]]:
    """(payload offset, payload) of each top-level ``wanted`` element of the segment."""
    with open(path, "rb") as handle:
        _, children = mkvtags._walk(handle, path.stat().st_size)
        return [(c.offset + c.header, mkvtags._read(handle, c)) for c in children if c.id == wanted]


def _field(children: list[tuple[int, int, bytes]], wanted: int) -> Field | None:
    return next((Field(at, len(data), ebml._uint(data)) for element, at, data in children if element == wanted), None)


def _tracks(path: Path) -> list[tuple[Field | None, Field | None]]:
    """(TrackUID, audio BitDepth) of each track, in order."""
    tracks = []
    for base, payload in _top(path, TRACKS):
        for element, at, entry in _located(payload, base):
            if element != TRACK_ENTRY:
                continue
            parts = _located(entry, at)
            audio = next((_located(data, a) for e, a, data in parts if e == AUDIO), [])
            tracks.append((_field(parts, TRACK_UID), _field(audio, BIT_DEPTH)))
    return tracks


def _tag_targets(path: Path) -> list[Field]:
    """Every ``TagTrackUID`` in ``Tags``."""
    found = []
    for base, payload in _top(path, TAGS):
        for element, at, tag in _located(payload, base):
            for part, where, targets in _located(tag, at) if element == TAG else []:
                found += [
                    Field(a, len(d), ebml._uint(d))
                    for e, a, d in (_located(targets, where) if part == TARGETS else [])
                    if e == TAG_TRACK_UID
                ]
    return found


def keep_track_identity(src: Path, out: Path) -> None:
    """Write ``src``'s TrackUIDs (and audio BitDepths) into ``out``, track by track, in place."""
    try:
        before, after, targets = _tracks(src), _tracks(out), _tag_targets(out)
    except (mkvtags.Unplaceable, ValueError):
        return  # a layout the walker cannot read: ffmpeg's values stay (see the module docstring)
    if len(before) != len(after):
        return
    patches: list[tuple[Field, int]] = []
    renamed: dict[int, int] = {}
    for (old_uid, old_depth), (new_uid, new_depth) in zip(before, after, strict=True):
        if old_uid is not None and new_uid is not None:
            patches.append((new_uid, old_uid.value))
            renamed[new_uid.value] = old_uid.value
        if old_depth is not None and new_depth is not None:
            patches.append((new_depth, old_depth.value))
    patches += [(target, renamed[target.value]) for target in targets if target.value in renamed]
    with open(out, "r+b") as handle:
        for field, value in patches:
            if value.bit_length() <= 8 * field.width:
                handle.seek(field.at)
                handle.write(value.to_bytes(field.width, "big"))
