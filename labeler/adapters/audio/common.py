"""Small pieces every audio adapter shares: scoring, the backends list, mutagen loading."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, TypeVar

from ... import ffmpeg
from ...errors import InputError
from ...render.cue import ESPEAK_HINT, espeak_path
from ..base import Backend

T = TypeVar("T")
MAGIC_SCORE = 10
EMPTY_SCORE = 3  # an empty file with our extension: ours, so the error names the real problem


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
    detail = f"spoken 人工智能生成 notice and its detection ({found})" if found else "needed for a voice notice without a clip of your own"
    return Backend("espeak-ng voice", found is not None, detail + "; your own clips are recognised when listed in LABELER_VOICE_CLIPS", ESPEAK_HINT)


def ffmpeg_backend(what: str) -> Backend:
    return Backend("ffmpeg", ffmpeg.available(), f"{what}; {ffmpeg.describe()}", ffmpeg.INSTALL_HINT)


def mutagen_load(path: Path, loader: Callable[[Path], T], kind: str) -> T:
    """Open with mutagen; its errors become an ``InputError`` naming the format."""
    require_content(path)
    try:
        return loader(path)
    except Exception as exc:  # noqa: BLE001 - mutagen raises many error types for corrupt files
        raise InputError(f"cannot read the {kind} structure ({type(exc).__name__}: {exc}); the file is corrupt, truncated or not really {kind}", path) from exc
