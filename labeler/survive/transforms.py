"""The platform-like transforms: one table row each, run with the real tool a platform would use.

Every transform reads ``source`` (a read-only copy of the user's file under a fixed name in a temp
folder, so no user file name reaches a tool's argument list, a shell or a filter graph) and writes
one new file into ``folder``. Commands are argument lists (ffmpeg through ``labeler.ffmpeg``);
``invocation`` shows the same list as a person would type it, with ``IN``/``OUT`` placeholders.

A missing tool raises ``ToolMissing`` with its install hint; a tool that fails raises
``TransformFailed`` with the few lines of its log that say why. Neither ever modifies ``source``.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .. import ffmpeg
from ..errors import LabelerError

#: Seconds one external tool may run before the transform counts as failed (a hung decoder).
TOOL_TIMEOUT = 900.0
#: Formats ImageMagick writes back as themselves; other images become PNG (JPEG XL) or JPEG (MPO).
_IM_WRITES = {"jpg", "jpeg", "png", "webp", "gif", "tif", "tiff", "bmp", "heic", "avif"}
_IM_INSTEAD = {"mpo": "jpg"}
_MAX_LOG_LINES = 3


class ToolMissing(LabelerError):
    """The program a transform runs is not installed."""


class TransformFailed(LabelerError):
    """The program ran and failed (or timed out) on this input."""


@dataclass(frozen=True)
class Transform:
    """One row of the table: a platform-like change and how it is made."""

    name: str
    media: tuple[str, ...]  # the media families it applies to (Verdict.media values)
    description: str
    tool: str  # Pillow | ImageMagick | exiftool | ffmpeg
    invocation: str  # what runs, as a person reads it (IN = the input, OUT = the output)
    make: Callable[[Path, Path, str], Path]  # (source, folder, format) -> the new file in folder
    formats: frozenset[str] | None = None  # only these input formats (None: every format of its media)

    def applies(self, media: str, fmt: str | None) -> bool:
        return media in self.media and (self.formats is None or fmt in self.formats)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "media": list(self.media),
            "formats": sorted(self.formats) if self.formats is not None else None,
            "description": self.description,
            "tool": self.tool,
            "invocation": self.invocation,
        }


def _run(argv: Sequence[str], tool: str) -> None:
    try:
        done = subprocess.run(list(argv), capture_output=True, check=False, timeout=TOOL_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise TransformFailed(f"{tool} did not finish within {TOOL_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        log = [line.strip() for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
        raise TransformFailed(f"{tool} failed (exit {done.returncode}): " + (" | ".join(log[-_MAX_LOG_LINES:]) or "no message"))


def _program(*names: str, hint: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing(f"{' or '.join(names)} is not installed; {hint}")


def _magick() -> list[str]:
    found = _program("magick", "convert", hint="install ImageMagick (apt-get install imagemagick)")
    return [found] if Path(found).name.startswith("convert") else [found, "convert"]


# ----------------------------------------------------------------------------------------------
# command lines (shared by the runner and the displayed invocation)


def _im_args(edit: Sequence[str], out_format: str | None) -> Callable[[str, str], list[str]]:
    return lambda src, out: [f"{src}[0]", *edit, f"{out_format}:{out}" if out_format else out]


def _exiftool_args(src: str, out: str) -> list[str]:
    return ["-q", "-m", "-all=", "-o", out, src]


def _ff_strip(src: str, out: str) -> list[str]:
    return ["-i", src, "-map", "0", "-map_metadata", "-1", "-map_chapters", "-1", "-c", "copy", out]


def _ff_audio(codec: Sequence[str]) -> Callable[[str, str], list[str]]:
    return lambda src, out: ["-i", src, "-vn", "-map", "0:a:0", *codec, out]


#: Fixed filter graphs (no user text): even sizes for H.264, never upscaled.
_SCALE_720 = r"scale=w=-2:h=trunc(min(720\,ih)/2)*2"
_H264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
_AAC = ["-c:a", "aac", "-b:a", "128k"]


def _ff_video(middle: Sequence[str]) -> Callable[[str, str], list[str]]:
    return lambda src, out: ["-i", src, "-map", "0:v:0", "-map", "0:a:0?", *middle, *_AAC, out]


def _shown(program: str, argv: Sequence[str]) -> str:
    return shlex.join([program, *argv])


# ----------------------------------------------------------------------------------------------
# makers


def _same(fmt: str) -> str:
    return fmt if fmt in _IM_WRITES else _IM_INSTEAD.get(fmt, "png")


def _imagemagick(edit: Sequence[str], out_format: str | None) -> Callable[[Path, Path, str], Path]:
    def make(source: Path, folder: Path, fmt: str) -> Path:
        ext = out_format or _same(fmt)
        out = folder / f"out.{ext}"
        _run([*_magick(), *_im_args(edit, ext)(str(source), str(out))], "ImageMagick")
        return out

    return make


def _exiftool(source: Path, folder: Path, fmt: str) -> Path:
    out = folder / f"out.{fmt}"
    program = _program("exiftool", hint="install ExifTool (apt-get install libimage-exiftool-perl)")
    _run([program, *_exiftool_args(str(source), str(out))], "exiftool")
    return out


def _ffmpeg(args: Callable[[str, str], list[str]], out_format: str | None) -> Callable[[Path, Path, str], Path]:
    def make(source: Path, folder: Path, fmt: str) -> Path:
        out = folder / f"out.{out_format or fmt}"
        ffmpeg.run(["-loglevel", "error", "-y", *args(str(source), str(out))], path=source)
        return out

    return make


def _pillow(long_side: int | None, scale: float | None, save_as: str, quality: int | None) -> Callable[[Path, Path, str], Path]:
    """Decode the first frame, flatten transparency onto white for JPEG, resize, save with no
    metadata (Pillow writes none unless asked): what an upload pipeline built on Pillow does."""

    def make(source: Path, folder: Path, fmt: str) -> Path:
        from PIL import UnidentifiedImageError

        _heif_opener()
        try:
            with Image.open(source) as opened:
                opened.seek(0)
                frame = _eight_bit(opened).convert("RGBA")
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise TransformFailed(f"Pillow cannot decode this image ({exc})") from None
        if save_as == "JPEG":
            flat = Image.new("RGB", frame.size, (255, 255, 255))
            flat.paste(frame, mask=frame.getchannel("A"))
            frame = flat
        width, height = frame.size
        factor = scale if scale is not None else min(1.0, (long_side or max(width, height)) / max(width, height))
        if factor != 1.0:
            frame = frame.resize((max(1, round(width * factor)), max(1, round(height * factor))), Image.Resampling.LANCZOS)
        out = folder / ("out.jpg" if save_as == "JPEG" else "out.png")
        frame.save(out, save_as, **({"quality": quality} if quality is not None else {}))
        return out

    return make


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit grey scaled to 8 bits (Pillow's own conversion clips every value above 255 to white)."""
    if image.mode not in ("I", "I;16", "I;16L", "I;16B"):
        return image
    import numpy as np

    return Image.fromarray((np.asarray(image, dtype=np.float64) / 257.0).round().clip(0, 255).astype(np.uint8), "L")


def _heif_opener() -> None:
    """HEIC decodes through pillow-heif when installed (the ``heif`` extra); without it Pillow says so."""
    try:
        import pillow_heif
    except ImportError:
        return
    pillow_heif.register_heif_opener()


_IN, _OUT = "IN", "OUT"


def _im_row(name: str, description: str, edit: Sequence[str], out_format: str | None) -> Transform:
    shown = _shown("convert", _im_args(edit, out_format)(_IN, _OUT + (f".{out_format}" if out_format else "")))
    return Transform(name, ("image",), description, "ImageMagick", shown, _imagemagick(edit, out_format))


def _ff_row(
    name: str, media: tuple[str, ...], description: str, args: Callable[[str, str], list[str]], out_format: str | None
) -> Transform:
    shown = _shown("ffmpeg", args(_IN, _OUT + (f".{out_format}" if out_format else "")))
    return Transform(name, media, description, "ffmpeg", shown, _ffmpeg(args, out_format))


TRANSFORMS: tuple[Transform, ...] = (
    Transform(
        "strip",
        ("image",),
        "metadata stripped (EXIF, XMP, IPTC, ICC), pixels untouched, as many apps do on share (not BMP: no metadata)",
        "exiftool",
        _shown("exiftool", _exiftool_args(_IN, _OUT)),
        _exiftool,
        frozenset({"jpg", "jpeg", "png", "gif", "tif", "tiff", "webp", "heic", "heif", "avif", "jxl", "mpo"}),  # BMP has no metadata
    ),
    _im_row("jpeg-q90", "re-encoded as JPEG quality 90 (metadata kept where ImageMagick keeps it)", ["-quality", "90"], "jpg"),
    _im_row("jpeg-q75", "re-encoded as JPEG quality 75", ["-quality", "75"], "jpg"),
    _im_row("jpeg-q50", "re-encoded as JPEG quality 50 (heavy compression)", ["-quality", "50"], "jpg"),
    _im_row("resize-0.5", "scaled to half width and height, same format", ["-resize", "50%"], None),
    _im_row(
        "crop-10",
        "cropped by 10 %: the central 90 % of width and height kept",
        ["-gravity", "center", "-crop", "90%x90%+0+0", "+repage"],
        None,
    ),
    _im_row("rotate-90", "rotated 90° clockwise, same format", ["-rotate", "90"], None),
    Transform(
        "png-to-jpeg",
        ("image",),
        "PNG converted to JPEG quality 85 by Pillow, transparency on white, no metadata",
        "Pillow",
        "Image.open(IN).convert('RGB').save(OUT.jpg, quality=85)",
        _pillow(None, None, "JPEG", 85),
        frozenset({"png"}),
    ),
    Transform(
        "wechat",
        ("image",),
        "WeChat-like: long side at most 1080 px, JPEG quality 75, metadata stripped (Pillow)",
        "Pillow",
        "im = Image.open(IN).convert('RGB'); im.thumbnail((1080, 1080)); im.save(OUT.jpg, quality=75)",
        _pillow(1080, None, "JPEG", 75),
    ),
    Transform(
        "screenshot",
        ("image",),
        "screenshot-like: redrawn at 0.8x as PNG with no metadata (Pillow)",
        "Pillow",
        "im = Image.open(IN); im.resize((0.8 w, 0.8 h)).save(OUT.png)",
        _pillow(None, 0.8, "PNG", None),
    ),
    _ff_row("strip", ("audio", "video"), "metadata and chapters stripped, streams copied untouched", _ff_strip, None),
    _ff_row(
        "mp3-128k",
        ("audio",),
        "transcoded to MP3 at 128 kbit/s (ffmpeg's default metadata mapping)",
        _ff_audio(["-c:a", "libmp3lame", "-b:a", "128k"]),
        "mp3",
    ),
    _ff_row("aac-96k", ("audio",), "transcoded to AAC at 96 kbit/s in M4A", _ff_audio(["-c:a", "aac", "-b:a", "96k"]), "m4a"),
    _ff_row(
        "mono-16k",
        ("audio",),
        "downmixed to mono and resampled to 16 kHz (voice-message like), same container",
        _ff_audio(["-ac", "1", "-ar", "16000"]),
        None,
    ),
    _ff_row("h264-crf28", ("video",), "re-encoded H.264 CRF 28 + AAC in MP4", _ff_video([*_H264, "-crf", "28"]), "mp4"),
    _ff_row(
        "720p", ("video",), "scaled to at most 720 lines, H.264 CRF 23 in MP4", _ff_video(["-vf", _SCALE_720, *_H264, "-crf", "23"]), "mp4"
    ),
    _ff_row(
        "fps-30", ("video",), "frame rate changed to 30 fps, H.264 CRF 23 in MP4", _ff_video(["-vf", "fps=30", *_H264, "-crf", "23"]), "mp4"
    ),
)

#: Transform names in table order; one name may have a row per media family (``strip``).
NAMES: tuple[str, ...] = tuple(dict.fromkeys(t.name for t in TRANSFORMS))


def select(names: Sequence[str] | None) -> tuple[Transform, ...]:
    """The rows named (every row when ``names`` is None or empty), in table order."""
    wanted = set(names or NAMES)
    return tuple(t for t in TRANSFORMS if t.name in wanted)


__all__ = ["NAMES", "TRANSFORMS", "ToolMissing", "Transform", "TransformFailed", "select"]
