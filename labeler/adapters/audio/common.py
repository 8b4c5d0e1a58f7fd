"""Small pieces every audio adapter shares: scoring, the backends list, mutagen loading."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ... import ffmpeg
from ...detect import asr
from ...errors import InputError, reason
from ...facts import MAGIC, WEAK
from ...model import Backend
from ...render.cue import ESPEAK_HINT, espeak_path

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")
Info = TypeVar("Info")
MAGIC_SCORE = MAGIC
EMPTY_SCORE = WEAK - 2  # an empty file with our extension: ours, so the error names the real problem


def score(extension_score: int, magic: bool, head: bytes) -> int:
    if magic:
        return MAGIC_SCORE + extension_score
    if not head and extension_score:
        return EMPTY_SCORE
    return extension_score


def require_content(path: Path) -> None:
    if path.stat().st_size == 0:
        raise InputError("the file is empty (0 bytes); re-export or re-download it", path)


def voice_backend() -> Backend:
    found = espeak_path()
    detail = (
        f"spoken 人工智能生成 notice, found again by its waveform ({found})"
        if found
        else "needed for a voice notice without a clip of your own"
    )
    return Backend("espeak-ng voice", found is not None, detail, ESPEAK_HINT)


def spoken_backends() -> list[Backend]:
    """What spoken notices need: espeak-ng to speak ours, a recogniser to hear anyone else's."""
    return [voice_backend(), asr.backend()]


def ffmpeg_backend(what: str) -> Backend:
    return Backend("ffmpeg", ffmpeg.available(), f"{what}; {ffmpeg.describe()}", ffmpeg.INSTALL_HINT)


def mutagen_load(path: Path, loader: Callable[[Path], T], kind: str) -> T:
    """Open with mutagen; its errors become an ``InputError`` naming the format."""
    require_content(path)
    try:
        return loader(path)
    except Exception as exc:
        raise InputError(
            f"cannot read the {kind} structure ({type(exc).__name__}: {reason(exc)}); the file is corrupt, truncated "
            f"or not really {kind}: re-export it, or see what it is with `ffprobe FILE`",
            path,
        ) from exc


def mutagen_info(path: Path, loader: Callable[[Path], Any], info_type: type[Info], kind: str) -> Info:
    """The stream parameters mutagen read (``FileType.info`` is declared untyped, None on the class)."""
    info = mutagen_load(path, loader, kind).info
    if not isinstance(info, info_type):
        raise InputError(f"cannot read the {kind} stream parameters; the file is corrupt or not really {kind}: re-export it", path)
    return info


def _no_shift(sample_rate: int) -> float:
    return 0.0


@dataclass(frozen=True)
class Rewrite:
    """A change to the decoded audio that every container writes back in its own codec (the audible
    notice, the watermark): ``apply(blocks, sample_rate, channels)`` turns the float64 block stream
    ``(frames, channels)`` into the new one; ``lead_in(sample_rate)`` is how many seconds the content
    moves later (chapter marks move with it)."""

    apply: Callable[[Iterator[np.ndarray], int, int], Iterator[np.ndarray]]
    lead_in: Callable[[int], float] = _no_shift
