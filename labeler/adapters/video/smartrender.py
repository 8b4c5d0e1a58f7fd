"""Smart rendering: re-encode only the GOPs under the notice, copy every other packet as it is.

A notice on the first seconds of a long clip does not need the whole stream re-encoded. For H.264
and HEVC in MP4/MOV/Matroska:

1. The video packets are listed (ffprobe: timestamps, sizes, keyframe and discard flags) and
   dumped as they are (``ffmpeg -c copy -f data``).
2. The cut is the first keyframe at or after the notice window's end that nothing before it
   depends on: every frame decoded before it is shown before it, and it is an H.264 IDR, or an
   HEVC IRAP. An HEVC CRA/BLA/IDR whose leading pictures (decoded after it, shown before it) would
   reference replaced frames gets them re-encoded too: they are dropped from the copy and the
   IRAP is marked as having none (``BLA_N_LP`` / ``IDR_N_LP``, the slice syntax is the same), the
   one packet changed. Anything else (H.264 open GOPs, whose I-frames are not IDR; one long GOP;
   a window over the whole video) is rendered in full.
3. The frames shown before the cut are decoded, overlaid exactly as the full render does (the same
   ``explicit.video_args``) and encoded as a closed GOP run, with keyframes where the source had
   them. H.264: libx264 with the source's profile and level and its SPS/PPS under an id the source
   does not use (``sps-id``); both parameter-set pairs go into one ``avcC``, so the copied IDR
   activates the source's sets again, as the standard allows at an IDR. HEVC: x265 cannot number
   its parameter sets, so the source's x265 settings are read back from its SEI and the segment is
   used only when its VPS/SPS/PPS come out byte-identical to the source's.
4. The segment's frames take the source's presentation times (by rank); decode times are derived
   so that every packet decodes before it shows and the segment ends before the copied part
   starts. ``mp4write`` writes the spliced stream with those timestamps, and one ffmpeg remux
   (``-copyts``) puts it beside the source's other streams, which are copied, with the same
   muxer options as the full render (``faststart``, time scale, sample entry tag, metadata).

Every refusal raises ``Unsafe`` with the reason; the caller then renders in full and records why.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from ... import ffmpeg
from ...atomic import scratch_file
from ...errors import InputError
from . import explicit, mp4write, nal
from .explicit import Plan
from .probe import MAX_PROBE_OUTPUT, Probe, Stream

MUXERS = ("mp4", "mov", "ipod", "matroska")
CODECS = ("h264", "hevc")
MP4_TAGS = ("avc1", "avc3", "hvc1", "hev1")
#: ffprobe's H.264 profile names -> libx264's.
X264_PROFILES = {"Baseline": "baseline", "Constrained Baseline": "baseline", "Main": "main", "High": "high", "High 10": "high10",
                 "High 4:2:2": "high422", "High 4:4:4 Predictive": "high444"}  # fmt: skip
#: x265 settings printed in its SEI that are not the stream's syntax (rate control, threads, stats,
#: the input description ffmpeg sets itself): the segment takes labeler's own rate control.
X265_SKIPPED = re.compile(
    r"(no-)?(cpuid|frame-threads|numa-pools|pools|wpp|pmode|pme|log-level|csv.*|stats|.*-pass.*|rc|crf|crf-max|crf-min|bitrate|qp|"
    r"vbv-.*|input-.*|total-frames|interlace|ssim|psnr|dither|level-idc|high-tier|uhd-bd|hash|nr-.*|abr-ladder.*)"
)
EDGE = 1e-4  # seconds: a keyframe this close to the window's end is still inside it


class Unsafe(Exception):
    """This stream cannot be smart-rendered; the message says why (it goes into the receipt)."""


@dataclass(frozen=True)
class Packet:
    pts: int
    dts: int | None
    duration: int
    size: int
    key: bool
    discard: bool
    offset: int  # in the dumped payloads


@dataclass(frozen=True)
class Demuxed:
    packets: tuple[Packet, ...]
    info: dict[str, Any]  # ffprobe's stream entry (profile, level, field_order, extradata)
    config: bytes
    data: Path

    def payload(self, packet: Packet) -> bytes:
        with open(self.data, "rb") as handle:
            handle.seek(packet.offset)
            return handle.read(packet.size)


@dataclass(frozen=True)
class Cut:
    at: int  # index of the first copied packet
    shown: tuple[int, ...]  # presentation times before the cut, sorted: the segment's frames
    keyframes: tuple[int, ...]  # ranks in ``shown`` where the source had keyframes
    leading: frozenset[int]  # indices after ``at`` that are re-encoded (HEVC leading pictures)
    marked: int | None  # the HEVC NAL type the cut IRAP gets once its leading pictures are gone


@dataclass(frozen=True)
class Outcome:
    reencoded: int
    copied: int
    rewritten: int  # copied packets whose bytes changed (the cut: parameter sets in-band, NAL type re-marked)
    until: float  # seconds (the cut's presentation time)


def _hexdump(text: str) -> bytes:
    """ffprobe's ``-show_data`` dump (``00000000: 0164 001f ...  .d..``) back to bytes."""
    out = bytearray()
    for line in text.splitlines():
        if ":" in line:
            groups = line.split(":", 1)[1][:41].split()
            out += bytes.fromhex("".join(groups))
    return bytes(out)


def _probe_json(args: list[str], path: Path) -> Any:
    raw = ffmpeg.run(["-v", "error", "-of", "json", *args, "--", str(path)], path=path, name="ffprobe")
    if len(raw) > MAX_PROBE_OUTPUT:
        raise Unsafe("ffprobe's stream description is implausibly large")
    return json.loads(raw.decode("utf-8", errors="replace"))


def _number(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, str)) and str(value).lstrip("-").isdigit() else None


def demux(path: Path, index: int, data: Path) -> Demuxed:
    """The packets of stream ``index`` and their payloads, dumped to ``data`` in decode order."""
    if not ffmpeg.available("ffprobe"):
        raise Unsafe("ffprobe is needed to list the packets")
    info = _probe_json(["-select_streams", str(index), "-show_streams", "-show_data"], path)["streams"][0]
    out = ffmpeg.run(["-v", "error", "-select_streams", str(index), "-show_entries", "packet=pts,dts,duration,size,flags",
                      "-of", "compact=p=0", "--", str(path)], path=path, name="ffprobe")  # fmt: skip
    packets, offset = [], 0
    for line in out.decode("ascii", errors="replace").splitlines():
        raw = dict(field.partition("=")[::2] for field in line.split("|"))
        pts, size = _number(raw.get("pts")), _number(raw.get("size"))
        if pts is None or size is None:
            raise Unsafe("a video packet has no presentation time")
        flags = str(raw.get("flags", ""))
        packets.append(Packet(pts, _number(raw.get("dts")), _number(raw.get("duration")) or 0, size, "K" in flags, "D" in flags, offset))
        offset += size
    ffmpeg.run(["-y", "-v", "error", "-i", str(path), "-map", f"0:{index}", "-c", "copy", "-copyinkf", "-f", "data", str(data)], path=path)
    if not packets or data.stat().st_size != offset:
        raise Unsafe("the video packets could not be read back one for one")
    return Demuxed(tuple(packets), info, _hexdump(str(info.get("extradata", ""))), data)


# --- where to cut ---------------------------------------------------------------------------------


def _units(source: Demuxed, packet: Packet, codec: str) -> list[bytes]:
    config = nal.parse_avcc(source.config) if codec == "h264" else nal.parse_hvcc(source.config)
    return nal.units(source.payload(packet), config.length_size)


def _irap(source: Demuxed, packet: Packet, codec: str) -> int | None:
    """The packet's IDR (H.264) or IRAP (HEVC) NAL type, None when it has no such slice."""
    for unit in _units(source, packet, codec):
        kind = nal.avc_type(unit) if codec == "h264" else nal.hevc_type(unit)
        if (codec == "h264" and kind == nal.AVC_IDR) or (codec == "hevc" and kind in nal.HEVC_IRAP):
            return kind
    return None


def find_cut(source: Demuxed, codec: str, seconds: float, time_base: Fraction, offset: float) -> Cut:
    """The first clean keyframe shown at or after ``seconds`` (filter time: ``pts * tb - offset``)."""
    packets = source.packets
    later = [0] * (len(packets) + 1)  # later[i]: the earliest presentation time from packet i on
    later[-1] = packets[-1].pts + 1
    for i in range(len(packets) - 1, -1, -1):
        later[i] = min(packets[i].pts, later[i + 1])
    shown_before = None  # the latest presentation time among the packets before the candidate
    for at, cut in enumerate(packets):
        if at and not packets[at - 1].discard:
            shown_before = max(packets[at - 1].pts, shown_before if shown_before is not None else packets[at - 1].pts)
        if at == 0 or not cut.key or cut.discard or float(cut.pts * time_base) - offset < seconds + EDGE:
            continue
        if shown_before is not None and shown_before >= cut.pts:
            continue  # a frame decoded before the cut is shown after it (reordering across the keyframe)
        kind = _irap(source, cut, codec)
        if kind is None:
            continue  # an H.264 keyframe that is not IDR (open GOP): later frames may look back
        end = at + 1
        while end < len(packets) and packets[end].pts < cut.pts:
            end += 1
        leading = frozenset(range(at + 1, end))
        marked = None
        if leading:
            if codec != "hevc" or later[end] < cut.pts:
                continue  # H.264 has no leading pictures after an IDR; HEVC's follow the IRAP directly
            marked = nal.HEVC_IDR_N_LP if kind in (nal.HEVC_IDR_W_RADL, nal.HEVC_IDR_N_LP) else nal.HEVC_BLA_N_LP
        elif later[at + 1] < cut.pts:
            continue
        if any(p.discard for p in packets[at:]):
            raise Unsafe("an edit list hides frames after the notice window")
        shown = sorted(p.pts for i, p in enumerate(packets) if (i < at and not p.discard) or i in leading)
        rank = {pts: i for i, pts in enumerate(shown)}
        keys = tuple(sorted(rank[p.pts] for p in packets[:at] if p.key and not p.discard))
        return Cut(at, tuple(shown), keys, leading, marked)
    raise Unsafe("no clean keyframe (IDR, or HEVC IRAP) follows the notice window: one long or open GOP")


# --- the re-encoded segment -----------------------------------------------------------------------


def _x265_settings(source: Demuxed) -> list[str]:
    """The source's x265 options (from the ``x265 ... options: ...`` SEI) minus rate control."""
    config = nal.parse_hvcc(source.config)
    carried = [n for kind, nals in config.arrays if kind == nal.HEVC_PREFIX_SEI for n in nals]  # ffmpeg's libx265 puts it here
    text = b"".join(u for u in [*carried, *_units(source, source.packets[0], "hevc")] if nal.hevc_type(u) == nal.HEVC_PREFIX_SEI)
    found = re.search(rb"options: ([ -~]+)", text)
    if found is None:
        return []  # not made by x265: the segment's parameter sets will differ (in-band, or refused)
    pairs = []
    for token in found[1].decode("ascii").split():
        name, _, value = token.partition("=")
        if re.fullmatch(r"[a-z][a-z0-9-]*", name) and re.fullmatch(r"[0-9.,:/-]*", value) and not X265_SKIPPED.fullmatch(name):
            pairs.append(f"{name}={value or '1'}")
    return pairs


def segment_params(source: Demuxed, codec: str) -> tuple[list[str], list[str]]:
    """(encoder ``key=value`` pairs, extra ffmpeg options) for a segment that fits the source."""
    info = source.info
    if str(info.get("field_order", "progressive")) not in ("progressive", "unknown"):
        raise Unsafe("interlaced video")
    if codec == "hevc":
        return _x265_settings(source), []
    config = nal.parse_avcc(source.config)
    used = config.used_ids() | {
        i
        for u in _units(source, source.packets[0], codec)
        if nal.avc_type(u) in (nal.AVC_SPS, nal.AVC_PPS)
        for i in ([nal.avc_sps_id(u)] if nal.avc_type(u) == nal.AVC_SPS else nal.avc_pps_ids(u))
    }
    free = next((i for i in range(1, nal.AVC_MAX_SPS_ID + 1) if i not in used), None)
    profile = X264_PROFILES.get(str(info.get("profile")))
    level = _number(info.get("level"))
    if free is None or profile is None or level is None or level < 10:
        raise Unsafe(f"H.264 profile {info.get('profile')} level {info.get('level')} has no matching libx264 setting")
    pairs = [f"sps-id={free}"]
    if int(info.get("has_b_frames") or 0) == 0:
        pairs.append("bframes=0")  # the source shows frames in decode order: so does the segment
    return pairs, ["-profile:v", profile, "-level:v", f"{level / 10:g}"]


def keyframe_expr(ranks: Sequence[int]) -> str:
    """``-force_key_frames`` by output frame number: the source's keyframe positions."""
    return "expr:" + "+".join(f"eq(n,{r})" for r in ranks)


@dataclass(frozen=True)
class Joint:
    """How the two streams become one: the decoder configuration and sample entry of the spliced
    stream, and parameter sets carried in-band before the segment and before the cut."""

    config: bytes
    entry: bytes  # avc1 | hvc1 | hev1
    before_segment: bytes = b""  # length-prefixed NAL units
    before_cut: bytes = b""


def check_segment(source: Demuxed, segment: Demuxed, codec: str, frames: int, in_band: bool) -> Joint:
    """How to join the segment to the source, or ``Unsafe`` when it does not fit. ``in_band``: the
    sample entry allows parameter sets inside the samples (MP4 ``hev1``, Matroska)."""
    if len(segment.packets) != frames or len({p.pts for p in segment.packets}) != frames:
        raise Unsafe(f"the encoder returned {len(segment.packets)} frames for the {frames} before the cut")
    if codec == "hevc":
        ours, theirs = nal.parse_hvcc(source.config), nal.parse_hvcc(segment.config)
        if ours.length_size != theirs.length_size:
            raise Unsafe("the re-encoded HEVC stream uses another NAL length size")
        if set(ours.parameter_sets) == set(theirs.parameter_sets):
            return Joint(source.config, b"hvc1")
        if not in_band:
            raise Unsafe(
                "x265 wrote HEVC parameter sets that differ from the source's, and an hvc1 sample entry keeps them out of the samples"
            )
        # hev1: the segment opens with its own VPS/SPS/PPS and the cut restores the source's
        size = ours.length_size
        return Joint(source.config, b"hev1", nal.join(list(theirs.parameter_sets), size), nal.join(list(ours.parameter_sets), size))
    old, new = nal.parse_avcc(source.config), nal.parse_avcc(segment.config)
    if old.length_size != new.length_size or new.used_ids() & old.used_ids():
        raise Unsafe("the re-encoded H.264 parameter sets collide with the source's")
    return Joint(old.with_sets(new.sps, new.pps).to_bytes(), b"avc1")


# --- splicing -----------------------------------------------------------------------------------


def _decode_times(pts: Sequence[int], delay: int = 0, before: int | None = None) -> list[int]:
    """Decode times for packets with presentation times ``pts`` (decode order): the sorted times
    shifted back by the reordering delay (at least ``delay``), and with ``before`` (the next
    packet's decode time) far enough to end before it."""
    ordered = sorted(pts)
    delay = max(delay, 0, *(o - p for o, p in zip(ordered, pts, strict=True)))
    if before is not None:
        delay = max(delay, ordered[-1] - before + 1)
    return [o - delay for o in ordered]


def _sample(demuxed: Demuxed, packet: Packet, pts: int, dts: int, data: bytes | None = None) -> mp4write.Sample:
    size = packet.size if data is None else len(data)
    return mp4write.Sample(pts, dts, size, packet.key, demuxed.data, packet.offset, data)


def splice(source: Demuxed, segment: Demuxed, cut: Cut, codec: str, joint: Joint, stream: Stream, dst: Path) -> Outcome:
    packets = source.packets
    copied = [p for i, p in enumerate(packets) if i >= cut.at and i not in cut.leading]
    given = [p.dts for p in copied]
    valid = all(d is not None and d <= p.pts for d, p in zip(given, copied, strict=True))
    copy_dts = [int(d or 0) for d in given]
    if not valid or any(b <= a for a, b in itertools.pairwise(copy_dts)):
        copy_dts = _decode_times([p.pts for p in copied])  # Matroska keeps no decode times: derived
    rank = {pts: i for i, pts in enumerate(sorted(p.pts for p in segment.packets))}
    seg_pts = [cut.shown[rank[p.pts]] for p in segment.packets]
    # the source's own delay at the cut keeps the step into the copied part one frame long
    seg_dts = _decode_times(seg_pts, copied[0].pts - copy_dts[0], copy_dts[0])
    samples = [_sample(segment, p, t, d) for p, t, d in zip(segment.packets, seg_pts, seg_dts, strict=True)]
    if joint.before_segment:
        first = segment.packets[0]
        samples[0] = _sample(segment, first, seg_pts[0], seg_dts[0], joint.before_segment + segment.payload(first))
    for packet, dts in zip(copied, copy_dts, strict=True):
        samples.append(_sample(source, packet, packet.pts, dts))
    if cut.marked is not None or joint.before_cut:
        units = _units(source, copied[0], codec)
        if cut.marked is not None:
            units = [nal.with_hevc_type(u, cut.marked) if nal.hevc_type(u) in nal.HEVC_IRAP else u for u in units]
        length = nal.parse_hvcc(joint.config).length_size
        samples[len(segment.packets)] = _sample(source, copied[0], copied[0].pts, copy_dts[0], joint.before_cut + nal.join(units, length))
    last = packets[-1].duration or (copied[-1].pts - copied[-2].pts if len(copied) > 1 else 1)
    entry = mp4write.Entry(joint.entry, joint.config, stream.width, stream.height, stream.sar, stream.colour)
    try:
        mp4write.write(dst, entry, samples, _timescale(stream), last)
    except ValueError as exc:
        raise Unsafe(str(exc)) from exc
    rewritten = int(cut.marked is not None or bool(joint.before_cut))
    return Outcome(len(segment.packets), len(copied), rewritten, float(copied[0].pts * _time_base(stream)))


def _time_base(stream: Stream) -> Fraction:
    try:
        base = Fraction(stream.time_base)
    except (ValueError, ZeroDivisionError) as exc:
        raise Unsafe(f"unusable time base {stream.time_base!r}") from exc
    if base.numerator != 1 or base <= 0:
        raise Unsafe(f"time base {stream.time_base} is not 1/N")
    return base


def _timescale(stream: Stream) -> int:
    return _time_base(stream).denominator


def disposition(info: dict[str, Any]) -> str:
    """The source stream's disposition flags as an ffmpeg ``-disposition`` value."""
    flags = [name for name, value in (info.get("disposition") or {}).items() if value == 1 and re.fullmatch(r"[a-z_]+", str(name))]
    return "".join(f"+{name}" for name in flags) or "0"


def remux_command(
    spliced: Path, src: Path, dst: Path, stream: Stream, muxer: str, kept: Sequence[Stream], extra: Sequence[str], flags: str = "0"
) -> list[str]:
    """The spliced video (input 0) in the source's place among its other streams (input 1, copied),
    every stream with the source's tags (one per-stream mapping turns ffmpeg's own copy off for all)
    and the video with its disposition ``flags``."""
    maps = [arg for s in kept for arg in ("-map", "0:0" if s.index == stream.index else f"1:{s.index}")]
    at = [s.index for s in kept].index(stream.index)
    video = [arg for i, s in enumerate(kept) for arg in (f"-map_metadata:s:{i}", f"1:s:{s.index}")]
    video += [f"-disposition:{at}", flags]
    if muxer in ("mp4", "mov", "ipod"):
        video += ["-video_track_timescale", str(_timescale(stream))]
        video += [f"-tag:{at}", stream.codec_tag] if stream.codec_tag in MP4_TAGS else []
    return ["-y", "-copyts", "-i", str(spliced), "-i", str(src), *maps, "-c", "copy", *video,
            "-map_metadata", "1", "-map_chapters", "1", *extra, "-f", muxer, str(dst)]  # fmt: skip


def eligible(stream: Stream, muxer: str, persist: bool) -> None:
    """``Unsafe`` for what smart rendering does not cover, before anything is decoded."""
    if persist:
        raise Unsafe("the notice stays on every frame (--persist)")
    if muxer not in MUXERS:
        raise Unsafe(f"smart rendering covers MP4, MOV and Matroska, not {muxer}")
    if stream.codec not in CODECS:
        raise Unsafe(f"smart rendering covers H.264 and HEVC, not {stream.codec}")
    if stream.rotation:
        raise Unsafe("the video is rotated: the full render writes it upright")
    if stream.hdr is not None or stream.colour.get("color_transfer") in ("smpte2084", "arib-std-b67"):
        raise Unsafe("HDR video: its in-band metadata is carried by the full render")
    _time_base(stream)


# --- the whole step -------------------------------------------------------------------------------


def segment_command(
    src: Path, banner: Path, segment: Path, info: Probe, job: Plan, container: str, cut: Cut, pairs: list[str], options: list[str]
) -> list[str]:
    """Decode the frames shown before the cut, overlay the banner as the full render does, encode."""
    _, video = explicit.video_args(src, banner, info, job, container, ":0", pairs)
    return ["-y", "-i", str(src), "-map", f"0:{job.stream.index}", *video, *options, "-frames:v", str(len(cut.shown)),
            "-force_key_frames:0", keyframe_expr(cut.keyframes), "-fps_mode", "passthrough", "-f", "mp4", str(segment)]  # fmt: skip


def render(
    src: Path, dst: Path, banner: Path, info: Probe, job: Plan, muxer: str, container: str, extra: Callable[[Plan], list[str]]
) -> Plan:
    """Write ``dst`` by smart rendering and return the plan with what was done; ``Unsafe`` (nothing
    usable written) when the stream does not allow it. ``extra(plan)``: the remux's own options."""
    stream = job.stream
    end = job.window.end
    eligible(stream, muxer, end is None)
    assert end is not None
    kept = [s for s in info.streams if not explicit.left_out(s, muxer)]
    with ExitStack() as stack:

        def scratch(suffix: str) -> Path:
            return stack.enter_context(scratch_file(dst, suffix))

        try:
            source = demux(src, stream.index, scratch(".video"))
            cut = find_cut(source, stream.codec, end, _time_base(stream), info.start_time)
            if cut.marked is not None and muxer == "matroska":
                # Matroska stores no decode times: ffmpeg's guesses went wrong around the re-marked IRAP (measured)
                raise Unsafe("an HEVC cut with leading pictures in Matroska")
            pairs, options = segment_params(source, stream.codec)
            encoded = scratch(".mp4")
            ffmpeg.run(segment_command(src, banner, encoded, info, job, container, cut, pairs, options), path=src)
            segment = demux(encoded, 0, scratch(".video"))
            in_band = muxer == "matroska" or stream.codec_tag == "hev1"
            joint = check_segment(source, segment, stream.codec, len(cut.shown), in_band)
            spliced = scratch(".mp4")
            outcome = splice(source, segment, cut, stream.codec, joint, stream, spliced)
            done = replace(job, rendering={"mode": "smart", "reencoded_frames": outcome.reencoded, "copied_frames": outcome.copied, "rewritten_frames": outcome.rewritten,
                                           "copied_from_s": round(outcome.until - info.start_time, 3)})  # fmt: skip
            ffmpeg.run(remux_command(spliced, src, dst, stream, muxer, kept, extra(done), disposition(source.info)), path=src)
        except nal.BitstreamError as exc:
            raise Unsafe(f"the video packets do not parse as {stream.codec} ({exc})") from exc
        except (ValueError, LookupError) as exc:  # ffprobe's output not as expected
            raise Unsafe(f"the stream description could not be read ({exc})") from exc
        except InputError as exc:
            raise Unsafe(f"ffmpeg could not do it ({exc})") from exc
        return done
