"""The sidecar fallback for formats with no in-file metadata carrier (plain text, BMP, SRT).

A sidecar beside any other format (some tools write one for every file) is read too and reported
``implicit.sidecar-not-in-file``.

``photo.bmp`` gets ``photo.bmp.aigc.json`` holding the bare label JSON. It is reported with the
carrier ``sidecar`` and a warning, so users see it is a fallback that must travel with the file.
"""

from __future__ import annotations

import errno
from pathlib import Path

from .label import MAX_LABEL_TEXT, Label
from .model import Found
from .problems import error, warning

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


def companion_exists(path: Path) -> bool:
    """True when the companion file (sidecar, detached manifest) exists. A name over the file
    system's NAME_MAX cannot exist: absent, not an error (labelling refuses to need one)."""
    try:
        return path.is_file()
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return False
        raise


#: A sidecar beside a format that has an in-file carrier (third-party tools write them for any
#: file): with no label in the file it is the only label and does not travel with the file (error);
#: beside an in-file label it is a second one (GB 45438 6.1 c) expects one).
STRAY = {
    False: error(
        "implicit.sidecar-not-in-file",
        f"the label is only in the sidecar NAME{SUFFIX}, but this format carries labels in the file "
        "and a published copy of the file alone has none; relabel to write it into the file",
    ),
    True: warning(
        "implicit.sidecar-not-in-file",
        f"a sidecar NAME{SUFFIX} sits beside a file that carries its own label; GB 45438 6.1 c) expects one label: remove the sidecar",
    ),
}


def read_sidecar(path: Path, labelled_in_file: bool | None = None) -> list[Found]:
    """The sidecar label beside ``path``. ``labelled_in_file`` is None for carrier-less formats
    (the sidecar is their documented fallback), else whether the file carries a label itself."""
    side = sidecar_path(path)
    if not companion_exists(side):
        return []
    with open(side, "rb") as handle:
        raw = handle.read(MAX_LABEL_TEXT + 1)
    return [Found.of(CARRIER, raw.rstrip(b"\r\n"), (FALLBACK_WARNING if labelled_in_file is None else STRAY[labelled_in_file],))]


def sidecar_bytes(label: Label) -> bytes:
    return (label.to_json() + "\n").encode("utf-8")
