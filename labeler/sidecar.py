"""The sidecar fallback for formats with no in-file metadata carrier (plain text, BMP, SRT).

``photo.bmp`` gets ``photo.bmp.aigc.json`` holding the bare label JSON. It is reported with the
carrier ``sidecar`` and a warning, so users see it is a fallback that must travel with the file.
"""

from __future__ import annotations

from pathlib import Path

from .adapters.base import Found
from .label import MAX_LABEL_TEXT, Label
from .problems import warning

SUFFIX = ".aigc.json"
CARRIER = "sidecar"
FALLBACK_WARNING = warning(
    "implicit.sidecar",
    f"this format has no in-file metadata carrier; the label is in the sidecar NAME{SUFFIX}, which must be published with the file",
)


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def is_sidecar(path: Path) -> bool:
    # NAME.c2pa beside NAME is a detached C2PA manifest (labeler/c2pa/sign.py), read with NAME.
    return path.name.endswith(SUFFIX) or (path.name.endswith(".c2pa") and path.with_name(path.name[: -len(".c2pa")]).is_file())


def read_sidecar(path: Path) -> list[Found]:
    side = sidecar_path(path)
    if not side.is_file():
        return []
    with open(side, "rb") as handle:
        raw = handle.read(MAX_LABEL_TEXT + 1)
    return [Found.of(CARRIER, raw.rstrip(b"\r\n"), (FALLBACK_WARNING,))]


def sidecar_bytes(label: Label) -> bytes:
    return (label.to_json() + "\n").encode("utf-8")
