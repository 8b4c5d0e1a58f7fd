"""Find and run ffmpeg / ffprobe (shared by the audio and video families).

Resolution order, per binary: the environment override (``LABELER_FFMPEG`` / ``LABELER_FFPROBE``)
→ ``PATH`` → for ffmpeg only, the static binary bundled by ``imageio-ffmpeg`` (it ships no
ffprobe). Commands are argument lists, never shell strings. A failed run raises ``InputError``
(the input could not be decoded) or ``OutputError`` with the few lines of ffmpeg's log that say
why, not the whole banner.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import BackendMissingError, InputError

INSTALL_HINT = "pip install imageio-ffmpeg, or apt-get install ffmpeg (which also provides ffprobe)"
_ENV = {"ffmpeg": "LABELER_FFMPEG", "ffprobe": "LABELER_FFPROBE"}
#: Log lines that carry the reason of a failure (ffmpeg prints many lines of banner and stream info).
_REASON_MARKERS = (
    "error",
    "invalid",
    "could not",
    "no such",
    "unknown",
    "not found",
    "unsupported",
    "failed",
    "truncat",
    "does not",
    "cannot",
    "unable",
)
_MAX_REASON_LINES = 4


@dataclass(frozen=True)
class Binary:
    name: str
    path: str | None
    source: str  # env | PATH | imageio-ffmpeg | missing


def _imageio_ffmpeg() -> str | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (RuntimeError, OSError):
        return None


@functools.cache
def resolve(name: str) -> Binary:
    """Where ``ffmpeg`` or ``ffprobe`` comes from (cached; call ``resolve.cache_clear()`` after env changes)."""
    override = os.environ.get(_ENV[name])
    if override:
        found = shutil.which(override)
        return Binary(name, found, "env") if found else Binary(name, None, f"missing ({_ENV[name]}={override} is not executable)")
    on_path = shutil.which(name)
    if on_path:
        return Binary(name, on_path, "PATH")
    if name == "ffmpeg":
        bundled = _imageio_ffmpeg()
        if bundled:
            return Binary(name, bundled, "imageio-ffmpeg")
    return Binary(name, None, "missing")


def available(name: str = "ffmpeg") -> bool:
    return resolve(name).path is not None


def executable(name: str = "ffmpeg") -> str:
    """The binary's path, or ``BackendMissingError`` with the install hint."""
    binary = resolve(name)
    if binary.path is None:
        raise BackendMissingError(f"{name} is needed for this step but was not found ({binary.source}); {INSTALL_HINT}")
    return binary.path


def describe() -> str:
    """One line for ``labeler formats``: which ffmpeg / ffprobe is used."""
    parts = []
    for name in ("ffmpeg", "ffprobe"):
        binary = resolve(name)
        parts.append(f"{name}: {binary.path} ({binary.source})" if binary.path else f"{name}: {binary.source}")
    return "; ".join(parts)


def encoders() -> frozenset[str]:
    """Encoder names the resolved ffmpeg offers (empty when ffmpeg is missing)."""
    return _encoders_of(resolve("ffmpeg").path) if available() else frozenset()


def _candidates() -> list[str]:
    """Every ffmpeg we could use, in resolution order (env override, PATH, imageio-ffmpeg)."""
    found = [resolve("ffmpeg").path, shutil.which("ffmpeg"), _imageio_ffmpeg()]
    return list(dict.fromkeys(p for p in found if p))


def for_encoder(encoder: str) -> str:
    """The first ffmpeg (in resolution order) that has ``encoder``, e.g. imageio-ffmpeg's static build
    without libopus falls back to the system ffmpeg; ``BackendMissingError`` if none has it."""
    for path in _candidates():
        if encoder in _encoders_of(path):
            return path
    raise BackendMissingError(f"no ffmpeg with the {encoder} encoder was found ({describe()}); {INSTALL_HINT}")


@functools.cache
def _encoders_of(path: str) -> frozenset[str]:
    listing = subprocess.run([path, "-hide_banner", "-encoders"], capture_output=True, text=True, check=False).stdout
    names = set()
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 2 and len(fields[0]) == 6 and fields[0][0] in "AVS":
            names.add(fields[1])
    return frozenset(names)


def summarise(log: str) -> str:
    """The lines of an ffmpeg log that explain a failure, joined; the last line when none match."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    reasons = [line for line in lines if any(marker in line.lower() for marker in _REASON_MARKERS)]
    picked = list(dict.fromkeys(reasons))[-_MAX_REASON_LINES:] or lines[-1:]
    return " | ".join(picked) or "no message"


def _command(name: str, args: Sequence[str], *, no_stdin: bool) -> list[str]:
    # -nostdin keeps ffmpeg from reading the terminal; ffprobe does not know the option.
    quiet = ["-nostdin"] if no_stdin and name == "ffmpeg" else []
    return [executable(name), "-hide_banner", *quiet, *args]


def run(args: Sequence[str], *, path: Path | None = None, stdin: bytes | IO[bytes] | None = None, name: str = "ffmpeg") -> bytes:
    """Run ``name`` with ``args`` (a list, no shell); return stdout. A failure raises ``InputError``."""
    command = _command(name, args, no_stdin=stdin is None)
    feed, handle = (stdin, None) if isinstance(stdin, bytes) else (None, stdin)
    result = subprocess.run(command, input=feed, stdin=handle, capture_output=True, check=False)
    if result.returncode != 0:
        log = result.stderr.decode("utf-8", errors="replace")
        raise InputError(f"{name} failed: {summarise(log)}", path)
    return result.stdout


def popen(
    args: Sequence[str], *, stdin: int | None = None, stdout: int | None = None, stderr: IO[bytes] | None = None, binary: str | None = None
) -> subprocess.Popen[bytes]:
    """Start ffmpeg (or ``binary``, see ``for_encoder``) with pipes; the caller waits and checks."""
    command = _command("ffmpeg", args, no_stdin=stdin is None)
    if binary is not None:
        command[0] = binary
    return subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=stderr)
