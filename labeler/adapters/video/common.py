"""The video adapter base: one pipeline, container specifics in four small methods.

Subclasses say how to read the labels and the notice receipt from their container, how to write
metadata entries by stream copy, and how to carry the container metadata into a re-encoded file.
Everything else (probing, the overlay, detection, idempotency) lives here once.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import ClassVar

from ... import clone, ffmpeg
from ...detect import ocr
from ...label import Label
from ...model import Backend, Evidence, Found, Presence, WriteOptions
from ...notice import Notice
from ...problems import Problem
from ..base import Adapter, with_path
from . import detect, explicit
from .probe import Probe, backend_name, probe

LABEL_KEY = "AIGC"
NOTICE_KEY = "LABELER_NOTICE"  # Matroska/FLV tag name of the notice receipt (MP4 and AVI use their own)


class VideoAdapter(Adapter):
    media = "video"
    #: file extension -> ffmpeg muxer name used when the video is re-encoded
    muxers: ClassVar[dict[str, str]]

    # --- container specifics -------------------------------------------------------------------
    @abstractmethod
    def found(self, path: Path) -> list[Found]:
        """Every AIGC label in the container's carriers."""

    @abstractmethod
    def receipt(self, path: Path) -> str | None:
        """The notice receipt JSON labeler stored, or None."""

    @abstractmethod
    def write_entries(self, src: Path, dst: Path, entries: dict[str, str]) -> None:
        """``src`` to ``dst`` with metadata ``entries`` set (LABEL_KEY / NOTICE_KEY), streams copied."""

    @abstractmethod
    def reencode(self, src: Path, dst: Path, info: Probe, job: explicit.Plan, muxer: str) -> None:
        """Overlay the notice and carry the container metadata plus the receipt into ``dst``."""

    # --- the contract --------------------------------------------------------------------------
    def read_labels(self, path: Path) -> list[Found]:
        return with_path(path, lambda: self.found(path))

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        text = label.require_writable().to_json()
        current = self.read_labels(src)
        if len(current) == 1 and current[0].carrier == self.carrier and current[0].raw == text:
            cloned = clone.clone_or_copy(src, dst)  # already exactly this label: byte-stable (shared where the file system clones)
            clone.record_edit(src, dst, cloned, head=0)
            return
        with_path(src, lambda: self.write_entries(src, dst, {LABEL_KEY: text}))

    def muxer_for(self, path: Path) -> str:
        return self.muxers.get(path.suffix.lower().lstrip("."), next(iter(self.muxers.values())))

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        def run() -> None:
            info = probe(src)
            job = explicit.plan(notice, info, self.media)
            self.reencode(src, dst, info, job, self.muxer_for(src))

        with_path(src, run)

    def detect_explicit(self, path: Path) -> Evidence:
        return with_path(path, lambda: self._detect(path))

    def _detect(self, path: Path) -> Evidence:
        raw = self.receipt(path)
        if not ffmpeg.available():
            return Evidence.unknown(f"ffmpeg is not installed, so the video frames cannot be checked; {ffmpeg.INSTALL_HINT}")
        info = probe(path)
        if info.video is None:
            return Evidence.unknown("the file has no picture stream")
        extra: tuple[Problem, ...] = ()
        if raw is not None:
            evidence, extra = detect.check_receipt(path, info, raw)
            if evidence is not None:
                return evidence
        if not ocr.available():
            if extra:
                return Evidence(Presence.ABSENT, "; ".join(p.message for p in extra), problems=extra, detail={"method": "receipt"})
            return Evidence.unknown(f"no labeler notice receipt in the file; reading a third-party notice needs OCR: {ocr.INSTALL_HINT}")
        return detect.check_ocr(path, info, extra)

    def backends(self) -> list[Backend]:
        return [
            Backend("ffmpeg", ffmpeg.available(), f"overlay, re-encode and frame decoding; {ffmpeg.describe()}", ffmpeg.INSTALL_HINT),
            Backend("probe", backend_name() != "missing", f"stream info via {backend_name()}", ffmpeg.INSTALL_HINT),
            ocr.backend(),
        ]
