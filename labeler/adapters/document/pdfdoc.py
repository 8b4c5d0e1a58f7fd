"""Opening and saving PDFs safely: passwords, signatures, incremental and deterministic saves.

Every write is an *incremental* update when MuPDF allows it: the original bytes stay an exact
prefix of the output, so existing digital signatures keep covering exactly what they signed, and a
300-page PDF grows only by the appended objects. Saves use ``no_new_id`` so the same input always
gives the same output bytes (relabelling is byte-stable).

An encrypted PDF needs its password in the environment variable ``LABELER_PDF_PASSWORD`` (the
adapter contract has no password parameter); the output keeps the original encryption.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import InputError, LabelerError, reason
from ...lazy import lazy_module

if TYPE_CHECKING:
    import pymupdf
else:
    pymupdf = lazy_module("pymupdf")

PASSWORD_ENV = "LABELER_PDF_PASSWORD"
#: /SigFlags bit 1: the document holds at least one signature field.
SIGNATURES_EXIST = 1
#: %%EOF must be near the end of the file (ISO 32000 7.5.5: within the last 1024 bytes).
EOF_WINDOW = 1024


def mupdf_errors() -> tuple[type[BaseException], ...]:
    """What MuPDF raises on a damaged file, at open or later when a page or object is first parsed
    (TypeError: bindings choking on odd bytes). A function, so that importing this module does not
    load PyMuPDF; ``except`` evaluates it only when something was raised."""
    return (RuntimeError, ValueError, TypeError, pymupdf.mupdf.FzErrorBase)


def is_mupdf_failure(exc: BaseException) -> bool:
    """A damaged file as MuPDF reports it, or as PyMuPDF's bindings trip over it: a null MuPDF object
    reaching Python code (``'NoneType' object has no attribute 'm_internal'``, found by fuzzing
    ``label``). Only that AttributeError, and only when raised inside pymupdf: one in labeler's own
    code is a bug and must surface as one."""
    if isinstance(exc, mupdf_errors()):
        return True
    if not (isinstance(exc, AttributeError) and "m_internal" in str(exc)):
        return False
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and f"{os.sep}pymupdf{os.sep}" in frame.tb_frame.f_code.co_filename


@functools.cache
def _quiet_mupdf() -> None:
    """MuPDF prints damage warnings to stderr; labeler reports them itself."""
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)


def open_pdf(path: Path) -> pymupdf.Document:
    """Open (and unlock) a PDF, or raise ``InputError`` saying what is wrong and how to fix it."""
    _quiet_mupdf()
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except mupdf_errors() as exc:
        raise InputError(f"not a readable PDF ({exc}); repair it (e.g. qpdf or mutool clean) and try again", path) from exc
    if not doc.is_pdf:
        doc.close()
        raise InputError("not a PDF", path)
    if doc.is_repaired and not _has_eof_marker(path):
        doc.close()
        raise InputError(
            "the PDF is truncated (no %%EOF marker; MuPDF had to rebuild it): pages or objects are missing; download or export it again",
            path,
        )
    if doc.needs_pass:
        password = os.environ.get(PASSWORD_ENV)
        if not password:
            doc.close()
            raise InputError(f"the PDF is encrypted with a password; set {PASSWORD_ENV}=PASSWORD in the environment to open it", path)
        if not doc.authenticate(password):
            doc.close()
            raise InputError(f"the PDF is encrypted and the password in {PASSWORD_ENV} does not open it; check the password", path)
    if doc.page_count == 0:
        doc.close()
        raise InputError("the PDF has no pages (truncated or damaged?); repair it and try again", path)
    return doc


def _has_eof_marker(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - EOF_WINDOW))
        return b"%%EOF" in handle.read()


def damaged(path: Path, exc: Exception) -> InputError:
    return InputError(
        f"the PDF is damaged ({type(exc).__name__}: {reason(exc)}); repair it (e.g. qpdf or mutool clean) and try again", path
    )


@contextlib.contextmanager
def opened(path: Path) -> Iterator[pymupdf.Document]:
    """An open PDF; MuPDF errors raised while using it become ``InputError`` (the file is damaged)."""
    doc = open_pdf(path)
    try:
        yield doc
    except LabelerError:
        raise
    except Exception as exc:
        if not is_mupdf_failure(exc):
            raise
        raise damaged(path, exc) from exc
    finally:
        doc.close()


def is_signed(doc: pymupdf.Document) -> bool:
    return bool(doc.get_sigflags() >= SIGNATURES_EXIST)


def docmdp_permission(doc: pymupdf.Document) -> int | None:
    """The /P of a certification (DocMDP) signature: 1 = no changes allowed; None = not certified."""
    kind, value = doc.xref_get_key(doc.pdf_catalog(), "Perms/DocMDP")
    if kind != "xref":
        return None
    signature = doc.xref_object(int(value.split()[0]), compressed=True)
    match = re.search(r"/TransformParams\s*<<[^>]*?/P\s+(\d)", signature)
    return int(match.group(1)) if match else 2  # /P defaults to 2 (form filling and signing)


def _require_changes_allowed(doc: pymupdf.Document, path: Path, page_content: bool) -> None:
    """Refuse what would break a certification signature (DocMDP): P=1 allows no change at all;
    P=2 and P=3 allow form filling and annotations, never new page content such as a notice."""
    permission = docmdp_permission(doc)
    if permission == 1:
        raise InputError(
            "the PDF is certified with a signature that allows no changes (DocMDP P=1); any label would invalidate "
            "the certification: label the document before it is certified",
            path,
        )
    if permission is not None and page_content:
        raise InputError(
            f"the PDF is certified (DocMDP P={permission}): a visible notice changes page content, which breaks the "
            "certification; label it before it is certified, or write only the implicit label (--no-explicit)",
            path,
        )


@contextlib.contextmanager
def editing(src: Path, dst: Path, page_content: bool = False) -> Iterator[pymupdf.Document]:
    """Yield ``dst`` opened for editing; on clean exit save it (incrementally when possible).

    ``dst`` is a copy of ``src``; incremental saves append to it. ``page_content`` says the edit
    draws on pages (refused on certified PDFs). A signed PDF that cannot be
    saved incrementally (a damaged cross-reference table MuPDF had to repair) is refused, because
    a full rewrite would break its signatures.
    """
    with opened(src) as probe:
        incremental = probe.can_save_incrementally() and not probe.is_repaired
        signed = is_signed(probe)
        if signed:
            _require_changes_allowed(probe, src, page_content)
    if signed and not incremental:
        raise InputError(
            "the PDF is digitally signed but its cross-reference table is damaged, so it cannot be updated "
            "incrementally without breaking the signatures; repair it and sign it again",
            src,
        )
    if incremental:
        shutil.copyfile(src, dst)
        doc = open_pdf(dst)
    else:
        doc = open_pdf(src)
    try:
        yield doc
        if incremental:
            doc.save(dst, incremental=True, encryption=pymupdf.mupdf.PDF_ENCRYPT_KEEP, no_new_id=True)
        else:
            doc.save(dst, garbage=1, deflate=True, encryption=pymupdf.mupdf.PDF_ENCRYPT_KEEP, no_new_id=True)
    except LabelerError:
        raise
    except Exception as exc:
        if not is_mupdf_failure(exc):
            raise
        raise damaged(src, exc) from exc
    finally:
        doc.close()
