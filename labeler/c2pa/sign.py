"""Sign a C2PA manifest into a file (or into a ``NAME.c2pa`` sidecar) with c2pa-python.

The manifest says what the TC260 label says, in C2PA terms: the first action is ``c2pa.created``
with the IPTC digital source type written beside the label (trainedAlgorithmicMedia for Label 1,
compositeWithTrainedAlgorithmicMedia for 2/3, or ``--source-type``), labeler as softwareAgent, and
an assertion ``TC260_ASSERTION`` carrying the seven-field label. Signing is always the last write:
any later byte change breaks the hash the signature covers.
"""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import InputError, LabelFormatError
from ..label import Label
from .settings import ALGORITHMS, C2paSettings

#: Our assertion label for the GB 45438 implicit label (TC260 defines none for C2PA).
TC260_ASSERTION = "labeler.gb45438.aigc"
SOFTWARE_AGENT = {"name": "labeler", "version": __version__}
#: MIME type given to c2pa for a detached (sidecar) manifest: a plain data hash over every byte.
SIDECAR_MIME = "application/octet-stream"
SIDECAR_SUFFIX = ".c2pa"
#: The ingredient id that links ``c2pa.opened`` to the input's own manifest.
PARENT_ID = "labeler-input"


def sidecar_manifest_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def manifest_definition(label: Label | None, source_type: str, title: str, mime: str, *, parent: bool = False) -> dict[str, Any]:
    """The manifest JSON handed to ``c2pa.Builder``.

    Without a ``parent`` the content starts here: ``c2pa.created``. With one (the input carried a
    manifest, e.g. from the generator) C2PA forbids ``created``: the input becomes the parentOf
    ingredient, opened, then edited by labeler — so its provenance is kept, not replaced.
    """
    doing = {"softwareAgent": SOFTWARE_AGENT, "description": "labelled per GB 45438-2025 (explicit notice and implicit AIGC label)"}
    if parent:
        actions = [
            {"action": "c2pa.opened", "digitalSourceType": source_type, "parameters": {"ingredientIds": [PARENT_ID]}},
            {"action": "c2pa.edited", **doing},
        ]
    else:
        actions = [{"action": "c2pa.created", "digitalSourceType": source_type, **doing}]
    assertions: list[dict[str, Any]] = [{"label": "c2pa.actions", "data": {"actions": actions}}]
    if label is not None:
        assertions.append({"label": TC260_ASSERTION, "data": {"standard": "GB 45438-2025", "AIGC": label.as_dict()}})
    return {"claim_generator_info": [SOFTWARE_AGENT], "title": title, "format": mime, "assertions": assertions}


def _context(thumbnail: bool) -> Any:
    # c2pa-python refuses a Context in any process but the one that made it ("Context is not valid"),
    # and a forked worker inherits the parent's cache: cache per process.
    return _context_in_process(thumbnail, os.getpid())


@lru_cache(maxsize=8)
def _context_in_process(thumbnail: bool, pid: int) -> Any:
    import c2pa

    settings = {"builder": {"thumbnail": {"enabled": thumbnail}}, "verify": {"remote_manifest_fetch": False}}
    return c2pa.Context(c2pa.Settings.from_dict(settings))


def _signer(settings: C2paSettings) -> Any:
    import c2pa

    try:
        cert, key = settings.cert.read_bytes(), settings.key.read_bytes()
    except OSError as exc:
        raise LabelFormatError(f"cannot read the C2PA credentials ({exc.strerror or exc}: {exc.filename})") from exc
    algorithm = getattr(c2pa.C2paSigningAlg, ALGORITHMS[settings.alg])
    tsa = settings.tsa.encode() if settings.tsa else None
    try:
        return c2pa.Signer.from_info(c2pa.C2paSignerInfo(algorithm, cert, key, tsa))
    except c2pa.C2paError as exc:
        raise LabelFormatError(_explain(exc, settings)) from exc


def _explain(exc: Exception, settings: C2paSettings) -> str:
    return (
        f"C2PA signing failed ({exc}). Check that {settings.cert} is a PEM chain with the leaf first, that "
        f"{settings.key} is that leaf's private key, that --c2pa-alg {settings.alg} matches the key type, and that the "
        "leaf is not self-signed (c2pa needs root -> intermediate -> leaf with KeyUsage digitalSignature and "
        "EKU emailProtection/documentSigning; scripts/make_test_pki.py makes a throwaway chain)"
    )


def _build(definition: dict[str, Any], settings: C2paSettings) -> Any:
    import c2pa

    return c2pa.Builder(definition, _context(settings.thumbnail))


def _with_parent(label: Label | None, source_type: str, title: str, mime: str, settings: C2paSettings, parent: Path) -> Any:
    """A builder with ``parent`` (the unmodified input) as parentOf ingredient, or None if c2pa
    cannot take that input's manifest as an ingredient."""
    import c2pa

    builder = _build(manifest_definition(label, source_type, title, mime, parent=True), settings)
    try:
        with open(parent, "rb") as stream:
            builder.add_ingredient_from_stream({"title": parent.name, "relationship": "parentOf", "label": PARENT_ID}, mime, stream)
    except c2pa.C2paError:
        builder.close()
        return None
    return builder


def sign_embedded(
    src: Path, dst: Path, mime: str, label: Label | None, source_type: str, settings: C2paSettings, title: str, parent: Path | None = None
) -> None:
    """Write ``src`` plus an embedded, signed manifest to ``dst`` (which must not be ``src``).
    ``parent``: the original input, when it carried a manifest of its own to keep as ingredient."""
    import c2pa

    signer = _signer(settings)
    try:
        builder = _with_parent(label, source_type, title, mime, settings, parent) if parent else None
        builder = builder or _build(manifest_definition(label, source_type, title, mime), settings)
        with open(src, "rb") as source, open(dst, "w+b") as dest:
            builder.sign(signer, mime, source, dest)
    except c2pa.C2paError as exc:
        if "Signature" in type(exc).__name__ or "Cose" in str(exc) or "certificate" in str(exc).lower():
            raise LabelFormatError(_explain(exc, settings)) from exc
        raise InputError(f"c2pa cannot embed a manifest in this {mime} file ({exc}); the file may be damaged", src) from exc
    finally:
        signer.close()


class _Discard(io.RawIOBase):
    """A seekable sink: a detached manifest needs no copy of the asset."""

    def __init__(self) -> None:
        self._pos = self._end = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._pos += len(data)
        self._end = max(self._end, self._pos)
        return len(data)

    def readinto(self, buffer: Any) -> int:
        return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = {0: offset, 1: self._pos + offset, 2: self._end + offset}[whence]
        return self._pos

    def tell(self) -> int:
        return self._pos


def sign_sidecar(path: Path, label: Label | None, source_type: str, settings: C2paSettings, title: str) -> bytes:
    """A detached manifest store (the bytes of ``NAME.c2pa``) whose data hash covers all of ``path``."""
    import c2pa

    signer = _signer(settings)
    try:
        builder = _build(manifest_definition(label, source_type, title, SIDECAR_MIME), settings)
        builder.set_no_embed()
        with open(path, "rb") as source:
            return bytes(builder.sign(signer, SIDECAR_MIME, source, _Discard()))
    except c2pa.C2paError as exc:
        raise LabelFormatError(_explain(exc, settings)) from exc
    finally:
        signer.close()
