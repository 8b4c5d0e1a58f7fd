"""The C2PA step of ``label_file``: decide (plan) and sign (last write, inside the atomic output)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..label import Label
from ..model import Action, Step
from .formats import mime_type, stored_zip, unsignable_kind
from .read import read_c2pa
from .scan import has_jumbf, windows
from .settings import C2paSettings
from .sign import SIDECAR_SUFFIX, sign_embedded, sign_sidecar


@dataclass(frozen=True)
class SignPlan:
    mode: str | None  # "embed", "sidecar", or None (nothing to sign)
    mime: str | None
    action: Action  # the LabelResult action; its step is SIGN when something will be signed
    expected: bool = True  # the output must carry a valid manifest (False: format skipped)
    parent: Path | None = None  # the input, whose own manifest becomes the parentOf ingredient


def _compressed_zip(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(info.compress_type != zipfile.ZIP_STORED for info in archive.infolist())


def _store_zip(src: Path, dst: Path) -> None:
    """Rewrite a ZIP with every entry stored: c2pa-python 0.38 cannot read deflated entries (it
    fails with "compression method not supported: 8"), and Office writes deflated ones. Names,
    order, dates, extra fields and comments are kept; the parts' bytes are the same."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as new:
        new.comment = old.comment
        for info in old.infolist():
            data = old.read(info)
            info.compress_type = zipfile.ZIP_STORED
            new.writestr(info, data)


def plan_signing(src: Path, settings: C2paSettings, label: Label | None, *, content_changes: bool) -> SignPlan:
    parts = windows(src)
    mime = mime_type(src.name, parts[0].data[:64] if parts else b"")
    kind = unsignable_kind(src.name, parts[0].data[:64] if parts else b"")
    if mime is None and not settings.sidecar:
        return SignPlan(
            None,
            None,
            Action(
                Step.SKIP_SIGNATURE,
                f"C2PA not signed: c2pa cannot embed a manifest in {kind} files (pass --c2pa-sidecar for NAME{SIDECAR_SUFFIX})",
            ),
            expected=False,
        )
    mode = "embed" if mime else "sidecar"
    existing = read_c2pa(src, mime, parts)
    if (
        not content_changes
        and existing is not None
        and existing.valid
        and existing.tc260 == label
        and existing.embedded == (mode == "embed")
    ):
        return SignPlan(
            None,
            mime,
            Action(
                Step.KEEP_SIGNATURE,
                f"C2PA manifest already up to date ({existing.state}, signed by {(existing.signer or {}).get('common_name', '?')})",
            ),
        )
    parent = src if mode == "embed" and existing is not None and existing.embedded and existing.state != "Unreadable" else None
    where = f"embedded ({mime})" if mode == "embed" else f"sidecar NAME{SIDECAR_SUFFIX}"
    if parent is not None and existing is not None:
        where += (
            f"; the input's own manifest ({existing.state}, {existing.claim_generator or 'unknown generator'}) kept as parentOf ingredient"
        )
    if stored_zip(mime):
        where += "; ZIP entries stored uncompressed, as c2pa 0.38 requires"
    return SignPlan(
        mode,
        mime,
        Action(
            Step.SIGN, f"sign C2PA manifest {where} with {settings.alg}" + (f", time-stamped by {settings.tsa}" if settings.tsa else "")
        ),
        parent=parent,
    )


def sign_output(
    plan: SignPlan, unsigned: Path, final: Path, label: Label | None, source_type: str, settings: C2paSettings, title: str
) -> bytes | None:
    """Embed: ``unsigned`` + manifest -> ``final``. Sidecar: ``final`` is already complete; the
    manifest bytes are returned for the caller to write once ``final`` is in place."""
    if plan.mode == "embed" and plan.mime:
        if stored_zip(plan.mime) and _compressed_zip(unsigned):
            stored = unsigned.with_name(unsigned.name + ".stored")
            try:
                _store_zip(unsigned, stored)
                sign_embedded(stored, final, plan.mime, label, source_type, settings, title, plan.parent)
            finally:
                stored.unlink(missing_ok=True)
        else:
            sign_embedded(unsigned, final, plan.mime, label, source_type, settings, title, plan.parent)
        return None
    return sign_sidecar(final, label, source_type, settings, title)


def stale_manifest_note(src: Path) -> Action | None:
    """When labelling without signing changes a file that carries a manifest, say it will break."""
    if not has_jumbf(windows(src)):
        return None
    return Action(
        Step.NOTE, "note: the file's C2PA manifest will no longer validate after this change (re-sign with --c2pa-cert/--c2pa-key)"
    )
