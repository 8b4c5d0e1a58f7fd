"""Find the visible notice in a video: labeler's receipt check first, OCR for third-party notices.

Frames are decoded by ffmpeg in display orientation (rotation applied, SAR squared), sampled every
``STEP`` seconds over the first ``WINDOW`` seconds, and, for the persistence report, over the last
second. Only the region needed is cropped out by ffmpeg, so memory stays small for any resolution.

- Receipt (labeler's own overlay): the receipt stored next to the label says text, box, font size
  and the time window; every sampled crop in the window must show the re-drawn glyphs
  (``labeler.detect.receipt``). No OCR, deterministic.
- OCR (``track``): the first frame is read whole; when it shows no notice, one upscaled mosaic of
  the top and bottom bands of the samples at 0.5 s and 2 s is read (small edge notices, OCR slips,
  late notices). The notice found is then followed by its glyph pixels (robust to busy, changing
  backgrounds; one missed sample is tolerated), its start and end refined to the frame, and a run
  that comes out under 2 s is re-read by OCR before it is believed. The measured interval is in
  ``detail`` (``start_s``, ``end_s``). It must start in the opening frames (``notice.late``
  otherwise) and show for at least 2 s (``notice.too-short``); too small, away from the edges or
  lacking an element is reported as for images.
- Neither receipt nor OCR: ``UNKNOWN`` (a third-party notice cannot be read), never PRESENT.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image

from ... import ffmpeg
from ...detect.geometry import TextHit, hit_evidence
from ...errors import InputError
from ...model import Evidence
from ...problems import Problem, error, warning
from ...render.banner import Receipt
from . import track
from .explicit import MIN_SECONDS, RECEIPT_KIND, video_duration
from .probe import Probe, Stream

STEP = 0.25
WINDOW = 4.0
MAX_RECEIPT = 8192
_PTS_TIME = re.compile(r"pts_time:\s*(-?[\d.]+)")
SEEK_AFTER = 5.0  # seconds; closer to the start the file is decoded from its beginning
LATE_AFTER = 0.5  # seconds: a notice first seen later than this is not in the opening frames
FRAME_SLACK = 0.05  # seconds of measuring error once the end is refined to the frame


@dataclass(frozen=True)
class VideoReceipt:
    banner: Receipt
    start: float
    end: float | None
    clamped: bool
    render: dict[str, Any] | None = None  # how the notice was rendered (smart / full and why), reported as is

    @classmethod
    def from_json(cls, text: str) -> VideoReceipt:
        if len(text) > MAX_RECEIPT:
            raise ValueError("receipt too long")
        data: Any = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") != RECEIPT_KIND:
            raise ValueError("not a labeler video notice receipt")
        end = data.get("end")
        return cls(
            Receipt.from_json(json.dumps(data.get("banner"))),
            float(data["start"]),
            None if end is None else float(end),
            bool(data.get("clamped")),
            data["render"] if isinstance(data.get("render"), dict) else None,
        )


def _filters(stream: Stream, display: tuple[int, int], box: tuple[int, int, int, int] | None, after: float, step: float = STEP) -> str:
    (width, height) = (stream.height, stream.width) if stream.rotation in (90, 270) else (stream.width, stream.height)
    # from ``after`` on: the first frame, then the first frame at least ``step`` after the previous
    # pick (``step`` 0: every frame)
    spacing = f"*(isnan(prev_selected_t)+gte(t-prev_selected_t\\,{step - 0.001:g}))" if step > 0 else ""
    chain = [f"select='gte(t\\,{after:.3f}){spacing}'"]
    if (width, height) != display:
        chain.append(f"scale={display[0]}:{display[1]},setsar=1")
    if box is not None:
        chain.append(f"format=rgb24,crop={box[2] - box[0]}:{box[3] - box[1]}:{box[0]}:{box[1]}")  # RGB first: exact odd offsets
    return ",".join(chain)


def frames(
    path: Path, stream: Stream, start: float, length: float, box: tuple[int, int, int, int] | None = None, step: float = STEP
) -> list[tuple[float, Image.Image]]:
    """(time, RGB image) every ``step`` seconds (0: every frame) from ``start`` for ``length`` seconds, cropped to ``box``.

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
                "-map", f"0:{stream.index}", "-vf", _filters(stream, display, box, after, step) + ",showinfo", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]  # fmt: skip
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


def _duration_problems(seen: float, clip: float, slack: float = STEP) -> tuple[Problem, ...]:
    """``slack``: the measuring precision (the sampling step, or one frame once the end is refined)."""
    need = min(MIN_SECONDS, clip) if clip else MIN_SECONDS
    if seen + 1e-6 < need - slack:
        return (
            error(
                "notice.too-short", f"the notice is visible for {seen:.2f} s from the start; GB 45438 requires at least {MIN_SECONDS:g} s"
            ),
        )
    if clip and clip < MIN_SECONDS:
        return (
            warning(
                "notice.clip-too-short",
                f"the clip lasts {clip:.2f} s, shorter than the {MIN_SECONDS:g} s a video notice should show; the notice covers all of it",
            ),
        )
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
        return None, (
            warning(
                "notice.receipt-mismatch",
                f"the video is {stream.display_size if stream else 'gone'}, the notice was drawn on {banner.frame}: scaled or cropped",
            ),
        )
    clip = video_duration(probe, stream)
    end = receipt.end if receipt.end is not None else receipt.start + (clip or WINDOW)
    length = min(end - receipt.start, WINDOW)
    samples = frames(path, stream, receipt.start, length, banner.box)
    checks = [(t, patch_matches(image, banner)) for t, image in samples]
    matches = [(t, ok) for t, (ok, _) in checks]
    seen = _run_length(matches, receipt.start + length)
    if seen + 1e-6 < min(length, MIN_SECONDS) - STEP:
        why = next((f"at {t:.2f} s: {reason}" for t, (ok, reason) in checks if not ok), "no frames decoded")
        return None, (
            warning(
                "notice.receipt-mismatch", f"the notice labeler drew is no longer in the frames ({why}): cropped, scaled or painted over"
            ),
        )
    persist = (
        _persists(path, stream, clip, banner.box, lambda image: patch_matches(image, banner)[0], seen >= length - STEP)
        if receipt.end is None
        else False
    )
    hit = TextHit(banner.text, banner.box, banner.glyph_height)
    evidence = hit_evidence(hit, banner.frame, "receipt", extra=_duration_problems(length if receipt.end is not None else seen, clip))
    timed = _with_times(evidence, receipt.start, end if receipt.end is not None else None, persist, clip)
    if receipt.render is not None:
        timed = replace(timed, detail={**timed.detail, "render": receipt.render})
    return timed, ()


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
    detail = {
        **evidence.detail,
        "start_s": round(start, 3),
        "end_s": round(end if end is not None else clip, 3),
        "persist": bool(persist) if end is None else False,
    }
    where = f"{evidence.where}, {detail['start_s']:g}-{detail['end_s']:g} s" + (" (whole video)" if detail["persist"] else "")
    return Evidence(
        evidence.state,
        f"{evidence.summary}, shown {detail['start_s']:g}-{detail['end_s']:g} s",
        evidence.text,
        where,
        evidence.problems,
        detail,
    )


def check_ocr(path: Path, probe: Probe, extra: tuple[Problem, ...]) -> Evidence:
    """A third-party notice: found by OCR (``track.search``), then followed by its pixels and
    measured to the frame (``track``); the interval goes to ``detail`` (``start_s``, ``end_s``)."""

    stream = probe.video
    assert stream is not None
    clip = video_duration(probe, stream)
    window = min(WINDOW, clip) if clip else WINDOW
    start = max(0.0, stream.start_time - probe.start_time)
    samples = frames(path, stream, start, window)
    if not samples:
        return Evidence.unknown("no frame could be decoded from the video")
    index, found = track.search(samples, extra)
    if index < 0:
        return Evidence(
            found.state,
            f"{found.summary} in the first frame, nor in a still overlay at the top or bottom at 0.5 s or 2 s",
            found.text,
            found.where,
            found.problems,
            found.detail,
        )
    return _measure(path, stream, samples, index, found, clip, start)


def _measure(
    path: Path, stream: Stream, samples: list[tuple[float, Image.Image]], index: int, found: Evidence, clip: float, start: float
) -> Evidence:
    from ...detect import ocr
    from ...noticerule import read_unit

    x0, y0, x1, y1 = found.detail["box"]
    box = (int(x0), int(y0), int(x1), int(y1))
    tracker = track.Tracker.build(samples[index][1], box, [im for _, im in samples[index + 1 : index + 3]])
    flags = [i == index or tracker.holds(im) for i, (_, im) in enumerate(samples)]
    first, last = track.run_bounds(flags, index)
    kind = read_unit(found.text or "").kind
    checks = extensions = 0
    while True:
        if (
            last == len(samples) - 1
            and clip
            and samples[last][0] + STEP < clip
            and samples[last][0] + STEP - samples[first][0] < MIN_SECONDS + STEP
            and extensions < 2
        ):
            extensions += 1
            more = [
                f for f in frames(path, stream, samples[-1][0] + STEP, WINDOW, box) if f[0] > samples[-1][0]
            ]  # a late notice runs past the window: follow it (box only)
            if more:
                samples = samples + more
                flags = flags + [tracker.holds(im) for _, im in more]
                first, last = track.run_bounds(flags, index)
                continue
        short = samples[last][0] + STEP - samples[first][0] < MIN_SECONDS
        if not (short and last + 1 < len(samples) and checks < track.MAX_CONFIRMATIONS):
            break
        checks += 1  # pixels say it is gone too soon: ask OCR whether a reader still sees it
        miss = samples[last + 1][1]
        text, score = ocr.read_line(_around(miss, box))
        if score < ocr.MIN_SCORE or read_unit(text).kind != kind:
            break
        tracker = track.Tracker.build(miss, box, [im for _, im in samples[last + 2 : last + 4]])
        flags = flags[: last + 1] + [True] + [tracker.holds(im) for _, im in samples[last + 2 :]]
        first, last = track.run_bounds(flags, index)
    shown_from = samples[0][0] if first == 0 else _refine(path, stream, samples, first - 1, box, tracker.holds, True)
    open_end = last == len(samples) - 1
    end = None if open_end else _refine(path, stream, samples, last, box, tracker.holds, False)
    seen = (samples[last][0] + STEP if end is None else end) - shown_from
    late = shown_from - start > LATE_AFTER
    persist = _persists(path, stream, clip, box, tracker.holds, first == 0 and open_end) if open_end else False
    problems = found.problems + _duration_problems(seen, clip, STEP if end is None else FRAME_SLACK)
    if late:
        problems += (error("notice.late", f"the notice first appears at {shown_from:.2f} s; GB 45438 asks for it in the opening frames"),)
    detail = {**found.detail, "tracked_samples": sum(flags), "ocr_rechecks": checks}
    evidence = Evidence(found.state, found.summary, found.text, found.where, problems, detail)
    if persist:
        return _with_times(evidence, shown_from, None, True, clip)
    return _with_times(evidence, shown_from, end if end is not None else shown_from + seen, False, clip)


def _around(image: Image.Image, box: tuple[int, ...]) -> Image.Image:
    """The box with a small margin (recognition needs the whole glyphs), or the image if it is the box."""
    if image.size == (box[2] - box[0], box[3] - box[1]):
        return image
    m = max(2, (box[3] - box[1]) // 4)
    return image.crop((max(0, box[0] - m), max(0, box[1] - m), min(image.width, box[2] + m), min(image.height, box[3] + m)))


def _refine(
    path: Path, stream: Stream, samples: list[tuple[float, Image.Image]], at: int, box: tuple[int, int, int, int], holds: Any, rising: bool
) -> float:
    """The exact frame where the notice appears (``rising``: between samples ``at`` and ``at+1``)
    or disappears (after sample ``at``): every frame of the box in between is decoded."""
    t0, t1 = samples[at][0], samples[at + 1][0]
    between = frames(path, stream, t0, t1 - t0 + 0.001, box, step=0)
    if rising:
        shown = track.first_holding(between, holds)
        return shown if shown is not None else t1
    duration = track.frame_duration(between, STEP)
    gone = track.last_holding(between, holds)
    return (gone if gone is not None else t0) + duration
