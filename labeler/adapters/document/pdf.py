"""PDF: ``/AIGC`` in the Document Information Dictionary, mirrored into XMP; a notice on page 1.

Carriers read (each its own ``Found``):

    pdf:Info:AIGC         the Info dictionary key (canonical; any key whose name contains AIGC)
    pdf:xmp:TC260:AIGC    the XMP metadata stream (``TC260:AIGC``, element or attribute form)

The Info dictionary and XMP are two synchronised views of the same document metadata (ISO 32000
14.3), so labeler writes the label to both, and an XMP value *identical* to the Info value is one
label, reported once with the carrier ``pdf:Info:AIGC+pdf:xmp:TC260:AIGC``. Values that differ
are separate ``Found``s, which ``verify`` reports as a conflict (``invalid``).

Writes are incremental (see ``pdfdoc``), so signatures survive and unchanged bytes stay put.
Scanned pages without a text layer are read by OCR when ``labeler.detect`` has an OCR backend;
without one the explicit check is UNKNOWN ("no text layer; OCR backend not installed").
"""

from __future__ import annotations

import importlib
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from ...errors import InputError
from ...facts import MAGIC, C2pa, Format, Signature
from ...label import Label
from ...lazy import lazy_module
from ...model import Backend, Evidence, Found, Presence, WriteOptions
from ...notice import Notice
from ...xmp import AI_SOURCE_TYPES, NS_TC260, merge_xmp, parse_xmp
from ..base import Adapter
from ..textnotice import Candidate, judge
from .pdfdoc import PASSWORD_ENV, editing, opened
from .pdfnotice import draw_notice, find_notice, size_problems

if TYPE_CHECKING:
    import pymupdf
else:
    pymupdf = lazy_module("pymupdf")

INFO_CARRIER = "pdf:Info:AIGC"
XMP_CARRIER = "pdf:xmp:TC260:AIGC"
MIRRORED_CARRIER = f"{INFO_CARRIER}+{XMP_CARRIER}"
_MAGIC = b"%PDF-"
#: Real PDFs may have junk before the header; readers accept it within the first 1024 bytes.
_HEADER_WINDOW = 1024
OCR_DPI = 150
#: A poster-sized page is rendered at a lower resolution so the bitmap stays bounded.
OCR_MAX_PIXELS = 12_000_000


def _info_xref(doc: pymupdf.Document) -> int | None:
    kind, value = doc.xref_get_key(-1, "Info")
    return int(value.split()[0]) if kind == "xref" else None


def _info_labels(doc: pymupdf.Document) -> list[Found]:
    xref = _info_xref(doc)
    if xref is None:
        kind, value = doc.xref_get_key(-1, "Info/AIGC")  # a direct Info dictionary (not allowed, but seen)
        return [Found.of(INFO_CARRIER, value)] if kind != "null" else []
    found = []
    for key in doc.xref_get_keys(xref):
        if "AIGC" not in key.upper():
            continue
        kind, value = doc.xref_get_key(xref, key)
        carrier = INFO_CARRIER if key == "AIGC" else f"pdf:Info:{key}"
        found.append(Found.of(carrier, value))
    return found


def _xmp_text(doc: pymupdf.Document) -> str:
    try:
        return doc.get_xml_metadata() or ""
    except (RuntimeError, ValueError):
        return ""


def _xmp_labels(doc: pymupdf.Document) -> list[Found]:
    text = _xmp_text(doc)
    if "AIGC" not in text:
        return []
    info = parse_xmp(text.encode("utf-8"))
    if not info.aigc and any(p.is_error for p in info.problems):  # the label is in there, in XMP nobody can parse
        return [Found.of(XMP_CARRIER, "", info.problems)]
    return [Found.of(XMP_CARRIER if v.namespace == NS_TC260 else "pdf:xmp:AIGC", v.text, info.problems) for v in info.aigc]


def _fold_mirror(info: list[Found], xmp: list[Found]) -> list[Found]:
    """One ``Found`` for an Info label whose XMP mirror is identical; every other value on its own."""
    if len(info) == 1 and info[0].carrier == INFO_CARRIER and [(f.carrier, f.raw) for f in xmp] == [(XMP_CARRIER, info[0].raw)]:
        return [Found(MIRRORED_CARRIER, info[0].raw, info[0].parsed)]
    return info + xmp


def _ocr_backend() -> Any | None:
    """The shared OCR wrapper (``labeler.detect.ocr``) if it and its engine are installed, else None."""
    try:
        module = importlib.import_module("labeler.detect.ocr")
    except ImportError:
        return None
    if not (callable(getattr(module, "read_lines", None)) and callable(getattr(module, "available", None)) and module.available()):
        return None
    return module


class PdfAdapter(Adapter):
    name = "pdf"
    media = "document"
    formats = (Format("PDF", ("pdf",), "application/pdf", (Signature(0, _MAGIC),), C2pa.EMBEDDED, "PyMuPDF"),)
    carrier = INFO_CARRIER
    description = "PDF; /AIGC in the Info dictionary (mirrored to XMP TC260:AIGC), notice drawn on page 1"

    def score(self, name: str, head: bytes) -> int:
        magic = self.signature_score(head)
        if magic:
            return magic + self.extension_score(name)
        # junk before the header (readers accept it within 1 KB): also ask for a version and an object
        late = re.search(rb"%PDF-\d\.\d", head[:_HEADER_WINDOW])
        return MAGIC - 2 + self.extension_score(name) if late and re.search(rb"\d+\s+\d+\s+obj\b", head) else 0

    def read_labels(self, path: Path) -> list[Found]:
        with opened(path) as doc:
            return _fold_mirror(_info_labels(doc), _xmp_labels(doc))

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        label_json = label.to_json()
        with opened(src) as doc:
            existing = _xmp_text(doc)
            found = _fold_mirror(_info_labels(doc), _xmp_labels(doc))
        info = parse_xmp(existing.encode("utf-8")) if existing.strip() else None
        if info is not None and any(p.is_error for p in info.problems):
            raise InputError(
                f"the PDF's XMP metadata stream is malformed ({info.problems[0].message}); repair it or remove it "
                "(e.g. exiftool -XMP:all= FILE.pdf) and label again",
                src,
            )
        source_ok = options.source_type is None or (
            info is not None and info.digital_source_type in AI_SOURCE_TYPES | {options.source_type}
        )
        if [(f.carrier, f.raw) for f in found] == [(MIRRORED_CARRIER, label_json)] and source_ok:
            shutil.copyfile(src, dst)  # already exactly this label: keep the bytes
            return
        packet = merge_xmp(existing.encode("utf-8") if existing.strip() else None, label_json, options.source_type)
        with editing(src, dst) as doc:
            xref = _info_xref(doc)
            if xref is None:  # none, or a direct dictionary: make it an indirect object, keeping its entries
                kind, value = doc.xref_get_key(-1, "Info")
                xref = doc.get_new_xref()
                doc.update_object(xref, value if kind == "dict" else "<<>>")
                doc.xref_set_key(-1, "Info", f"{xref} 0 R")
            for key in doc.xref_get_keys(xref):
                if "AIGC" in key.upper() and key != "AIGC":  # one label per file
                    doc.xref_set_key(xref, key, "null")
            doc.xref_set_key(xref, "AIGC", pymupdf.get_pdf_str(label_json))
            doc.set_xml_metadata(packet.decode("utf-8"))

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        with editing(src, dst, page_content=True) as doc:
            draw_notice(doc, notice, notice.text_for(self.media))

    def detect_explicit(self, path: Path) -> Evidence:
        with opened(path) as doc:
            seen, trust_text = find_notice(doc)
            candidates = [
                Candidate(u.text, f"page {u.page + 1}", {"page": u.page + 1, "bbox": list(u.bbox), "font_size": u.size, "font": u.font})
                for u in seen
            ]
            evidence = judge(
                candidates, "no notice (a short statement with both elements, 'AI'/'人工智能' and '生成'/'合成') on the first or last page"
            )
            if evidence.state is Presence.PRESENT:
                size = evidence.detail["font_size"]
                return replace(evidence, summary=f"{evidence.summary} ({size:g} pt)", problems=evidence.problems + size_problems(size))
            if trust_text:
                return evidence
            return self._ocr_first_page(doc)

    def _ocr_first_page(self, doc: pymupdf.Document) -> Evidence:
        ocr = _ocr_backend()
        if ocr is None:
            return Evidence.unknown("no text layer; OCR backend not installed (pip install 'gb45438-labeler[ocr]')")
        page = doc[0]
        area_in2 = max(page.rect.width * page.rect.height / 72 / 72, 1e-6)
        dpi = max(36, min(OCR_DPI, int((OCR_MAX_PIXELS / area_in2) ** 0.5)))
        pixmap = page.get_pixmap(dpi=dpi)
        image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
        candidates = [
            Candidate(
                hit.text,
                "page 1 (OCR, no text layer)",
                {"page": 1, "ocr": True, "box_px": list(hit.box), "dpi": dpi, "glyph_pt": round(hit.glyph_height * 72 / dpi, 1)},
            )
            for hit in ocr.read_lines(image)
        ]
        return judge(candidates, "no text layer; OCR of page 1 found no notice (a short statement with both elements)")

    def backends(self) -> list[Backend]:
        ocr = _ocr_backend() is not None
        return [
            Backend("pymupdf", True, f"PyMuPDF {pymupdf.VersionBind}; encrypted PDFs open with {PASSWORD_ENV}"),
            Backend(
                "ocr", ocr, "reads the notice on scanned pages without a text layer", "" if ocr else "pip install 'gb45438-labeler[ocr]'"
            ),
        ]
