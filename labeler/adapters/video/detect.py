"""Find the visible notice in a video: labeler's receipt check first, OCR for third-party notices.

Frames are decoded by ffmpeg in display orientation (rotation applied, SAR squared), sampled every
``STEP`` seconds over the first ``WINDOW`` seconds, and, for the persistence report, over the last
second. Only the region needed is cropped out by ffmpeg, so memory stays small for any resolution.

- Receipt (labeler's own overlay): the receipt stored next to the label says text, box, font size
  and the time window; every sampled crop in the window must show the re-drawn glyphs
  (``labeler.detect.receipt``). No OCR, deterministic.
- OCR: the first frame is read (rapidocr, edges and corners judged by ``detect.geometry``); a notice
  found there is then followed through the samples by comparing its glyph pixels, so OCR runs
  once, not sixteen times. It must be there from the start for at least 2 s; a notice absent from
  the first frame is not a GB 45438 video notice (ABSENT).
- Neither receipt nor OCR: ``UNKNOWN`` (a third-party notice cannot be read), never PRESENT.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from ... import ffmpeg
from ...detect.geometry import TextHit, hit_evidence, judge_hits
from ...errors import InputError
from ...lazy import lazy_module
from ...problems import Problem, error, warning
from ...render.banner import Receipt
from ..base import Evidence, Presence
from .explicit import MIN_SECONDS, RECEIPT_KIND, video_duration
from .probe import Probe, Stream

np = lazy_module("numpy")

STEP = 0.25
WINDOW = 4.0
INK_LEVEL = 170.0
TRACK_AGREEMENT = 0.8
MAX_RECEIPT = 8192
_PTS_TIME = re.compile(r"pts_time:\s*(-?[\d.]+)")
SEEK_AFTER = 5.0  # seconds; closer to the start the file is decoded from its beginning


@dataclass(frozen=True)
class VideoReceipt:
    banner: Receipt
    start: float
    end: float | None
    clamped: bool

    @classmethod
    def from_json(cls, text: str) -> VideoReceipt:
        if len(text) > MAX_RECEIPT:
            raise ValueError("receipt too long")
        data: Any = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != RECEIPT_KIND:
            raise ValueError("not a labeler video notice receipt")
        end = data.get("end")
        return cls(Receipt.from_json(json.dumps(data.get("banner"))), float(data["start"]), None if end is None else float(end), bool(data.get("clamped")))


def _filters(stream: Stream, display: tuple[int, int], box: tuple[int, int, int, int] | None, after: float) -> str:
    (width, height) = (stream.height, stream.width) if stream.rotation in (90, 270) else (stream.width, stream.height)
    # from ``after`` on: the first frame, then the first frame at least STEP after the previous pick
    chain = [f"select='gte(t\\,{after:.3f})*(isnan(prev_selected_t)+gte(t-prev_selected_t\\,{STEP - 0.001:g}))'"]
    if (width, height) != display:
        chain.append(f"scale={display[0]}:{display[1]},setsar=1")
    if box is not None:
        chain.append(f"format=rgb24,crop={box[2] - box[0]}:{box[3] - box[1]}:{box[0]}:{box[1]}")  # RGB first: exact odd offsets
    return ",".join(chain)


def frames(path: Path, stream: Stream, start: float, length: float, box: tuple[int, int, int, int] | None = None) -> list[tuple[float, Image.Image]]:
    """(time, RGB image) every STEP seconds from ``start`` for ``length`` seconds, cropped to ``box``.

    Near the start the file is decoded from its beginning (input seeking is unreliable in files
    without an index, e.g. FLV); further in, ffmpeg seeks, and decodes from the start if that
    seek yields nothing.
    """
    display = stream.display_size
    width, height = (box[2] - box[0], box[3] - box[1]) if box else display
    size = width * height * 3
    attempts = [(start, length, 0.0)] if start > SEEK_AFTER else []
    attempts.append((0.0, start + length, start))
    raw, times = b"", []
    for seek, limit, after in attempts:
        args = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-v", "info", *(["-ss", f"{seek:.3f}"] if seek else []), "-t", f"{limit:.3f}", "-i", str(path),
                "-map", f"0:{stream.index}", "-vf", _filters(stream, display, box, after) + ",showinfo", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]  # fmt: skip
        result = subprocess.run(args, capture_output=True, check=False)
        log = result.stderr.decode("utf-8", errors="replace")
        if result.returncode != 0:
            raise InputError(f"ffmpeg failed: {ffmpeg.summarise(log)}", path)
        raw, times = result.stdout, [seek + float(t) for t in _PTS_TIME.findall(log)]
        if len(raw) >= size > 0:
            break
    count = min(len(raw) // size, len(times)) if size else 0
    return [(times[i], Image.frombuffer("RGB", (width, height), raw[i * size : (i + 1) * size])) for i in range(count)]


def _run_length(matches: list[tuple[float, bool]], until: float) -> float:
    """Seconds the notice is seen continuously from the first sample: up to the first sample
    without it, or to ``until`` (the end of the sampled window) when every sample has it."""
    if not matches or not matches[0][1]:
        return 0.0
    miss = next((time for time, ok in matches if not ok), until)
    return miss - matches[0][0]


def _duration_problems(seen: float, clip: float) -> tuple[Problem, ...]:
    need = min(MIN_SECONDS, clip) if clip else MIN_SECONDS
    if seen + 1e-6 < need - STEP:
        return (error("notice.too-short", f"the notice is visible for {seen:.2f} s from the start; GB 45438 requires at least {MIN_SECONDS:g} s"),)
    if clip and clip < MIN_SECONDS:
        return (warning("notice.clip-too-short", f"the clip lasts {clip:.2f} s, shorter than the {MIN_SECONDS:g} s a video notice should show; the notice covers all of it"),)
    return ()


def check_receipt(path: Path, probe: Probe, raw: str) -> tuple[Evidence | None, tuple[Problem, ...]]:
    """Evidence from labeler's receipt, or (None, warnings) when it is unreadable or not in the pixels."""
    try:
        receipt = VideoReceipt.from_json(raw)
    except (ValueError, KeyError, TypeError) as exc:
        return None, (warning("notice.receipt-unreadable", f"the notice receipt in the metadata is unreadable ({exc})"),)
    from ...detect.receipt import patch_matches

    stream = probe.video
    banner = receipt.banner
    if stream is None or stream.display_size != banner.frame:
        return None, (warning("notice.receipt-mismatch", f"the video is {stream.display_size if stream else 'gone'}, the notice was drawn on {banner.frame}: scaled or cropped"),)
    clip = video_duration(probe, stream)
    end = receipt.end if receipt.end is not None else receipt.start + (clip or WINDOW)
    length = min(end - receipt.start, WINDOW)
    samples = frames(path, stream, receipt.start, length, banner.box)
    checks = [(t, patch_matches(image, banner)) for t, image in samples]
    matches = [(t, ok) for t, (ok, _) in checks]
    seen = _run_length(matches, receipt.start + length)
    if seen + 1e-6 < min(length, MIN_SECONDS) - STEP:
        why = next((f"at {t:.2f} s: {reason}" for t, (ok, reason) in checks if not ok), "no frames decoded")
        return None, (warning("notice.receipt-mismatch", f"the notice labeler drew is no longer in the frames ({why}): cropped, scaled or painted over"),)
    persist = _persists(path, stream, clip, banner.box, lambda image: patch_matches(image, banner)[0], seen >= length - STEP) if receipt.end is None else False
    hit = TextHit(banner.text, banner.box, banner.glyph_height)
    evidence = hit_evidence(hit, banner.frame, "receipt", extra=_duration_problems(length if receipt.end is not None else seen, clip))
    return _with_times(evidence, receipt.start, end if receipt.end is not None else None, persist, clip), ()


def _persists(path: Path, stream: Stream, clip: float, box: tuple[int, int, int, int], holds: Any, whole_window: bool) -> bool | None:
    """Is the notice still there in the last second? For clips within the sampled window: was it
    seen in every sample (``whole_window``)? None when the length is unknown."""
    if not clip:
        return None
    if clip <= WINDOW:
        return whole_window
    tail = frames(path, stream, max(0.0, clip - 1.0), 1.0, box)
    return bool(tail) and all(holds(image) for _, image in tail)


def _with_times(evidence: Evidence, start: float, end: float | None, persist: bool | None, clip: float) -> Evidence:
    detail = {**evidence.detail, "start_s": round(start, 3), "end_s": round(end if end is not None else clip, 3), "persist": bool(persist) if end is None else False}
    where = f"{evidence.where}, {detail['start_s']:g}-{detail['end_s']:g} s" + (" (whole video)" if detail["persist"] else "")
    return Evidence(evidence.state, f"{evidence.summary}, shown {detail['start_s']:g}-{detail['end_s']:g} s", evidence.text, where, evidence.problems, detail)


def _ink(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float32) >= INK_LEVEL


def check_ocr(path: Path, probe: Probe, extra: tuple[Problem, ...]) -> Evidence:
    from ...detect import ocr

    stream = probe.video
    assert stream is not None
    clip = video_duration(probe, stream)
    window = min(WINDOW, clip) if clip else WINDOW
    start = max(0.0, stream.start_time - probe.start_time)
    samples = frames(path, stream, start, window)
    if not samples:
        return Evidence.unknown("no frame could be decoded from the video")
    first = judge_hits(ocr.read_lines(samples[0][1]), samples[0][1].size, "ocr", extra)
    if first.state is not Presence.PRESENT:
        return Evidence(first.state, f"{first.summary} in the first frame", first.text, first.where, first.problems, first.detail)
    box = tuple(first.detail["box"])
    reference = _ink(samples[0][1].crop(box))
    if reference.sum() < 10:
        return first

    def holds(image: Image.Image) -> bool:
        crop = image if image.size == (box[2] - box[0], box[3] - box[1]) else image.crop(box)
        return float((_ink(crop) & reference).sum() / reference.sum()) >= TRACK_AGREEMENT

    seen = _run_length([(t, holds(image)) for t, image in samples], start + window)
    persist = _persists(path, stream, clip, box, holds, seen >= window - STEP)  # type: ignore[arg-type]
    problems = first.problems + _duration_problems(seen, clip)
    evidence = Evidence(first.state, first.summary, first.text, first.where, problems, first.detail)
    return _with_times(evidence, start, start + seen, persist, clip) if not persist else _with_times(evidence, start, None, True, clip)
