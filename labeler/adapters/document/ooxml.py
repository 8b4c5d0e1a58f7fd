"""Office Open XML (Word, PowerPoint, Excel, with macro-enabled and template variants).

Implicit label: ``docProps/custom.xml`` property ``AIGC`` (``vt:lpwstr``, the standard fmtid),
registered in ``[Content_Types].xml`` and ``_rels/.rels`` when the part is new; an existing
property is updated, other custom properties are kept. Carrier read: ``ooxml:custom:AIGC`` (any
custom property whose name contains AIGC).

Explicit notice: per application (``wordml``, ``presentationml``, ``spreadsheetml``). Every zip
entry that is not edited is copied with identical uncompressed bytes (``safezip``).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import ModuleType

from ...errors import InputError
from ...facts import MAGIC, WEAK, C2pa, Format, Signature
from ...label import Label
from ...model import Evidence, Found, WriteOptions
from ...notice import Notice
from ..base import Adapter
from . import presentationml, spreadsheetml, wordml
from .opc import (
    CONTENT_TYPES,
    CUSTOM_CT,
    CUSTOM_PART,
    CUSTOM_REL,
    ROOT_RELS,
    add_override,
    add_relationship,
    content_type_of,
    custom_labels,
    relationships,
    resolve,
    set_custom_label,
)
from .safezip import OLE_MAGIC, ZIP_MAGIC, Package

CARRIER = "ooxml:custom:AIGC"
#: Main-part content type marker -> (format family, notice module).
APPLICATIONS: tuple[tuple[tuple[str, ...], str, ModuleType], ...] = (
    (("wordprocessingml", "ms-word."), "docx", wordml),
    (("presentationml", "ms-powerpoint."), "pptx", presentationml),
    (("spreadsheetml", "ms-excel."), "xlsx", spreadsheetml),
)
_OXML = "application/vnd.openxmlformats-officedocument."
_ZIP = (Signature(0, ZIP_MAGIC),)


def _package(label: str, extensions: tuple[str, ...], mime: str, c2pa: C2pa = C2pa.STORED_ZIP) -> Format:
    """A ZIP package: the magic is shared, so the extension tells the formats apart (c2pa needs the MIME type)."""
    return Format(label, extensions, mime, _ZIP, c2pa, "zipfile")


#: c2pa 0.38 signs documents, presentations and workbooks (macro-enabled too), not templates or shows.
FORMATS = (
    _package("DOCX", ("docx",), _OXML + "wordprocessingml.document"),
    _package("DOCM", ("docm",), "application/vnd.ms-word.document.macroenabled.12"),
    _package("DOTX/DOTM", ("dotx", "dotm"), _OXML + "wordprocessingml.template", C2pa.NONE),
    _package("PPTX", ("pptx",), _OXML + "presentationml.presentation"),
    _package("PPTM", ("pptm",), "application/vnd.ms-powerpoint.presentation.macroenabled.12"),
    _package("POTX/POTM", ("potx", "potm"), _OXML + "presentationml.template", C2pa.NONE),
    _package("PPSX/PPSM", ("ppsx", "ppsm"), _OXML + "presentationml.slideshow", C2pa.NONE),
    _package("XLSX", ("xlsx",), _OXML + "spreadsheetml.sheet"),
    _package("XLSM", ("xlsm",), "application/vnd.ms-excel.sheet.macroenabled.12"),
    _package("XLTX/XLTM", ("xltx", "xltm"), _OXML + "spreadsheetml.template", C2pa.NONE),
)
#: Entry-name prefixes that tell the application from the head of the file.
_HEAD_HINTS = ((b"word/", "docx"), (b"ppt/", "pptx"), (b"xl/", "xlsx"))


def main_part(pkg: Package) -> tuple[str, ModuleType]:
    """The officeDocument part and the module that handles its application."""
    rels = relationships(pkg.read(ROOT_RELS), ROOT_RELS)
    target = next((r.get("Target", "") for r in rels if r.get("Type", "").endswith("/officeDocument")), None)
    types = pkg.read(CONTENT_TYPES)
    if target is None or types is None:
        raise InputError(
            "not an Office Open XML document (no [Content_Types].xml or officeDocument relationship); re-save it in Office", pkg.path
        )
    part = resolve("", target)
    content_type = (content_type_of(types, part) or "").lower()
    for markers, _, module in APPLICATIONS:
        if any(m in content_type for m in markers):
            return part, module
    raise InputError(
        f"unsupported Office package: main part {part} has content type {content_type or 'unknown'!r} (labeler handles Word, PowerPoint and Excel): save it as .docx, .pptx or .xlsx",
        pkg.path,
    )


def _custom_part(pkg: Package) -> str | None:
    rels = relationships(pkg.read(ROOT_RELS), ROOT_RELS)
    return next((resolve("", r.get("Target", "")) for r in rels if r.get("Type", "").endswith("/custom-properties")), None)


def _write(src: Path, dst: Path, edits: dict[str, bytes], added: dict[str, bytes], pkg: Package) -> None:
    present = {k: v for k, v in edits.items() if pkg.has(k)}
    added = {**added, **{k: v for k, v in edits.items() if not pkg.has(k)}}
    if not added and all(pkg.read(k) == v for k, v in present.items()):
        shutil.copyfile(src, dst)  # nothing changes: keep the bytes (relabelling is byte-stable)
        return
    pkg.rewrite(dst, present, added)


class OoxmlAdapter(Adapter):
    name = "ooxml"
    media = "document"
    formats = FORMATS
    carrier = CARRIER
    description = "Word/PowerPoint/Excel (OOXML); docProps/custom.xml AIGC property, notice paragraph / text box / cell + header"

    def score(self, name: str, head: bytes) -> int:
        ext = self.extension_score(name)
        if self.signature_score(head):
            if b"[Content_Types].xml" in head and (ext or any(h in head for h, _ in _HEAD_HINTS)):
                return MAGIC + ext
            return (WEAK - 1) * ext  # a ZIP named like a package: ours to explain what is wrong
        if head.startswith(OLE_MAGIC):
            return WEAK * ext  # encrypted OOXML is an OLE file: claim it to explain, never to edit
        return ext

    def format_of(self, name: str, head: bytes) -> str:
        suffix = Path(name).suffix.lower().lstrip(".")
        if suffix in self.extensions:
            return suffix
        return next((fmt for hint, fmt in _HEAD_HINTS if hint in head), "docx")

    def read_labels(self, path: Path) -> list[Found]:
        with Package(path) as pkg:
            pkg.check_integrity()  # verify (and label, which verifies) must not pass a damaged part
            main_part(pkg)
            part = _custom_part(pkg) or CUSTOM_PART
            data = pkg.read(part)
            if data is None:
                return []
            return [Found.of(CARRIER if name == "AIGC" else f"ooxml:custom:{name}", value) for name, value in custom_labels(data)]

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        with Package(src) as pkg:
            main_part(pkg)
            part = _custom_part(pkg)
            edits: dict[str, bytes] = {}
            if part is None:
                part = CUSTOM_PART
                edits[ROOT_RELS], _ = add_relationship(pkg.read(ROOT_RELS), CUSTOM_REL, part)
            types = pkg.read(CONTENT_TYPES) or b""
            if content_type_of(types, part) != CUSTOM_CT:
                edits[CONTENT_TYPES] = add_override(types, part, CUSTOM_CT)
            edits[part] = set_custom_label(pkg.read(part), label.to_json())
            _write(src, dst, edits, {}, pkg)

    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        with Package(src) as pkg:
            part, module = main_part(pkg)
            edits, added = module.write_notice(pkg, part, notice, notice.text_for(self.media))
            _write(src, dst, edits, added, pkg)

    def detect_explicit(self, path: Path) -> Evidence:
        with Package(path) as pkg:
            part, module = main_part(pkg)
            evidence: Evidence = module.detect(pkg, part)
            return evidence
