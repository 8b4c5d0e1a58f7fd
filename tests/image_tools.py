"""Independent readers for the image tests: exiftool tags before/after, ImageMagick identify.

Inputs for these tests are made by ImageMagick and exiftool (and a few bytes by hand where no tool
writes the structure); outputs are judged by the same independent tools, never by labeler alone.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HAS_EXIFTOOL = shutil.which("exiftool") is not None
HAS_CONVERT = shutil.which("convert") is not None and shutil.which("identify") is not None
needs_exiftool = pytest.mark.skipif(not HAS_EXIFTOOL, reason="exiftool not installed")
needs_imagemagick = pytest.mark.skipif(not HAS_CONVERT, reason="ImageMagick not installed")

#: exiftool groups that describe the file on disk or are computed, not carried by it.
_VOLATILE_GROUPS = ("SourceFile", "ExifTool:", "System:", "Composite:")
#: What labelling adds or owns: the label, the IPTC source type next to it, the notice receipt.
_OURS = ("XMP-TC260:", "XMP-lbln:", "XMP-iptcExt:DigitalSourceType")


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def exif_tags(path: Path) -> dict[str, object]:
    """``exiftool -j -G1 -a`` of ``path`` without volatile groups and labeler's own properties."""
    data = json.loads(run("exiftool", "-j", "-G1", "-a", "-n", str(path)))[0]
    return {k: v for k, v in data.items() if not k.startswith(_VOLATILE_GROUPS) and not k.startswith(_OURS)}


def lost_tags(before: Path, after: Path, changed_ok: tuple[str, ...] = ()) -> dict[str, tuple[object, object]]:
    """Tags of ``before`` that are missing or different in ``after`` (keys in ``changed_ok`` may differ)."""
    a, b = exif_tags(before), exif_tags(after)
    return {k: (v, b.get(k, "<missing>")) for k, v in a.items() if b.get(k, "<missing>") != v and k not in changed_ok}


def identify(path: Path, fmt: str = "%w %h %z %[colorspace] %T %D %[type]\\n") -> list[str]:
    """One line per frame from ImageMagick's ``identify`` (also proves the file decodes)."""
    return run("identify", "-format", fmt, str(path)).splitlines()
