"""Document-family fixtures: clean PDFs and OOXML packages (built by hand with zipfile, so no Office
library is needed) and odd or bad cases (signed, corrupt, zip bomb, malformed XMP, labels in one or
both PDF carriers, disagreeing labels, scanned page without a text layer, an encrypted Office file).

An encrypted PDF is made by the tests instead: MuPDF draws a random file key, so it cannot be a
deterministic fixture."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pymupdf

PRODUCER = "001191110102MACQD9K64010000"
GOOD = (
    '{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"doubao-7f3a","ReservedCode1":"",'
    '"ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
)
SUSPECTED = GOOD.replace('"Label":"1"', '"Label":"3"')
BODY = "Quarterly report. Revenue grew in every region; details follow on the next pages."
CJK = "春季新品发布会将于下周举行。"
PDFA_XMP = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part>2</pdfaid:part>'
    "<pdfaid:conformance>B</pdfaid:conformance></rdf:Description>"
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt>'
    '<rdf:li xml:lang="x-default">Report</rdf:li></rdf:Alt></dc:title></rdf:Description>'
    '</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
)
FIXED_DATE = "D:20250901000000Z"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _pdf(
    pages: int = 1,
    *,
    top: float = 90,
    rotate: int = 0,
    size: tuple[float, float] = (595, 842),
    xmp: str | None = None,
    info: dict[str, str] | None = None,
    cjk: bool = False,
) -> pymupdf.Document:
    doc = pymupdf.open()
    for number in range(pages):
        page = doc.new_page(width=size[0], height=size[1])
        page.set_rotation(rotate)
        page.insert_text((72, top), f"Page {number + 1}. {BODY}", fontsize=11)
        if cjk:
            page.insert_text((72, top + 20), CJK, fontname="china-s", fontsize=11)
    doc.set_metadata(
        {
            "title": "Report",
            "creator": "fixtures_document",
            "creationDate": FIXED_DATE,
            "modDate": FIXED_DATE,
            "producer": "labeler fixtures",
        }
    )
    if xmp is not None:
        doc.set_xml_metadata(xmp)
    for key, value in (info or {}).items():
        info_xref = int(doc.xref_get_key(-1, "Info")[1].split()[0])
        doc.xref_set_key(info_xref, key, pymupdf.get_pdf_str(value))
    return doc


def _pdf_bytes(doc: pymupdf.Document, **save: object) -> bytes:
    data = doc.tobytes(garbage=3, deflate=True, no_new_id=True, **save)
    doc.close()
    return data


def _signed_pdf() -> bytes:
    """A PDF with a signature field and a (structurally real, cryptographically dummy) signature value.

    The /ByteRange covers the whole file except /Contents, as a real signer writes it; tests check
    that labelling leaves every signed byte where it was.
    """
    doc = _pdf()
    sig = doc.get_new_xref()
    placeholder = "0" * 64
    doc.update_object(
        sig,
        f"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 1111111111 2222222222 3333333333]/Contents<{placeholder}>/M(D:20250901000000Z)>>",
    )
    field = doc.get_new_xref()
    page_xref = doc[0].xref
    doc.update_object(field, f"<</Type/Annot/Subtype/Widget/FT/Sig/T(Signature1)/V {sig} 0 R/Rect[0 0 0 0]/F 132/P {page_xref} 0 R>>")
    doc.xref_set_key(page_xref, "Annots", f"[{field} 0 R]")
    doc.xref_set_key(doc.pdf_catalog(), "AcroForm", f"<</Fields[{field} 0 R]/SigFlags 3>>")
    data = _pdf_bytes(doc)
    start = data.index(b"/Contents<") + len(b"/Contents")
    end = start + len(placeholder) + 2
    ranges = f"[0 {start} {end} {len(data) - end}]".encode()
    old = b"[0 1111111111 2222222222 3333333333]"
    return data.replace(old, ranges.ljust(len(old)), 1)


def _scanned_pdf() -> bytes:
    """One page that is only a 150-dpi greyscale image of a notice and a line of text (a scan, no text layer)."""
    source = pymupdf.open()
    page = source.new_page(width=300, height=120)
    page.insert_text((20, 40), "本内容由人工智能生成", fontname="china-s", fontsize=16)
    page.insert_text((20, 80), "Scanned page, no text layer", fontsize=12)
    pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
    source.close()
    doc = pymupdf.open()
    doc.new_page(width=300, height=120).insert_image(pymupdf.Rect(0, 0, 300, 120), pixmap=pix)
    return _pdf_bytes(doc)


def _pdf_malformed_xmp() -> bytes:
    doc = _pdf(xmp="<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><unclosed></x:xmpmeta>")
    return _pdf_bytes(doc)


def generate_pdfs(samples: Path, cases: Path) -> None:
    _write(samples / "report.pdf", _pdf_bytes(_pdf(3)))
    _write(samples / "report-pdfa-xmp.pdf", _pdf_bytes(_pdf(1, xmp=PDFA_XMP)))
    _write(samples / "full-page-text.pdf", _pdf_bytes(_pdf(1, top=14)))
    _write(samples / "landscape-rotated.pdf", _pdf_bytes(_pdf(2, rotate=90)))
    _write(samples / "cjk-body.pdf", _pdf_bytes(_pdf(1, cjk=True)))

    _write(cases / "pdf-info-aigc.pdf", _pdf_bytes(_pdf(info={"AIGC": GOOD})))
    _write(
        cases / "pdf-xmp-tc260.pdf",
        _pdf_bytes(
            _pdf(
                xmp=PDFA_XMP.replace(
                    "</rdf:RDF>",
                    f'<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"><TC260:AIGC>{GOOD.replace(chr(34), "&quot;")}</TC260:AIGC></rdf:Description></rdf:RDF>',
                )
            )
        ),
    )
    _write(
        cases / "pdf-info-and-xmp-disagree.pdf",
        _pdf_bytes(
            _pdf(
                info={"AIGC": GOOD},
                xmp=f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" TC260:AIGC=\'{SUSPECTED}\'/></rdf:RDF></x:xmpmeta>',
            )
        ),
    )
    _write(cases / "pdf-signed.pdf", _signed_pdf())
    _write(cases / "pdf-scanned-notice-no-text-layer.pdf", _scanned_pdf())
    _write(cases / "pdf-malformed-xmp.pdf", _pdf_malformed_xmp())
    report = (samples / "report.pdf").read_bytes()
    _write(cases / "pdf-truncated.pdf", report[: len(report) // 3])
    _write(cases / "pdf-notice-tiny.pdf", _pdf_bytes(_tiny_notice()))


def _tiny_notice() -> pymupdf.Document:
    doc = _pdf()
    doc[0].insert_text((72, 30), "AI生成", fontname="china-s", fontsize=4)
    return doc


# --- OOXML -----------------------------------------------------------------------------------

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
CORE_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
CORE = (
    f'{DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Fixture</dc:title></cp:coreProperties>'
)
CUSTOM_OTHER = (
    f'{DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Department"><vt:lpwstr>Sales</vt:lpwstr></property>'
    "</Properties>"
)


def _zip(entries: list[tuple[str, bytes | str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2025, 9, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name.endswith((".png", ".bin")) else zipfile.ZIP_DEFLATED
            archive.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    return buffer.getvalue()


def _types(main: str, main_ct: str, extra: list[tuple[str, str]] = (), defaults: list[tuple[str, str]] = ()) -> str:
    overrides = "".join(
        f'<Override PartName="/{p}" ContentType="{c}"/>'
        for p, c in [(main, main_ct), ("docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"), *extra]
    )
    extra_defaults = "".join(f'<Default Extension="{e}" ContentType="{c}"/>' for e, c in defaults)
    return (
        f'{DECL}<Types xmlns="{CT_NS}"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{extra_defaults}{overrides}</Types>'
    )


def _rels(rels: list[tuple[str, str, str]]) -> str:
    body = "".join(f'<Relationship Id="{i}" Type="{t}" Target="{g}"/>' for i, t, g in rels)
    return f'{DECL}<Relationships xmlns="{REL_NS}">{body}</Relationships>'


def _root_rels(main: str, custom: bool = False) -> str:
    rels = [("rId1", OFFICE_DOC, main), ("rId2", CORE_REL, "docProps/core.xml")]
    if custom:
        rels.append(
            ("rId3", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties", "docProps/custom.xml")
        )
    return _rels(rels)


DOCX_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_CT = "application/vnd.ms-word.document.macroEnabled.main+xml"
COMMENTS_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _document(body: str) -> str:
    return (
        f'{DECL}<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{body}'
        '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" '
        'w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>'
    )


def _para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def docx(*, macro: bool = False, custom: bool = False, extras: bool = False) -> bytes:
    body = _para("Quarterly report") + _para("Revenue grew in every region.")
    entries: list[tuple[str, bytes | str]] = []
    extra_ct: list[tuple[str, str]] = []
    doc_rels: list[tuple[str, str, str]] = []
    if extras:  # tracked changes, a comment, an embedded image
        body += (
            '<w:p><w:r><w:t xml:space="preserve">Kept </w:t></w:r><w:ins w:id="1" w:author="A" w:date="2025-09-01T00:00:00Z">'
            '<w:r><w:t>inserted</w:t></w:r></w:ins><w:del w:id="2" w:author="A" w:date="2025-09-01T00:00:00Z"><w:r>'
            '<w:delText>deleted</w:delText></w:r></w:del><w:commentRangeStart w:id="0"/><w:r><w:t>commented</w:t></w:r>'
            '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r></w:p>'
        )
        entries.append(
            (
                "word/comments.xml",
                f'{DECL}<w:comments xmlns:w="{W}"><w:comment w:id="0" w:author="A"><w:p><w:r><w:t>Check this</w:t></w:r></w:p></w:comment></w:comments>',
            )
        )
        entries.append(("word/media/image1.png", PNG_1PX))
        extra_ct.append(("word/comments.xml", COMMENTS_CT))
        doc_rels += [
            ("rId1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments", "comments.xml"),
            ("rId2", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image", "media/image1.png"),
        ]
    if macro:
        entries.append(("word/vbaProject.bin", b"\xd0\xcf\x11\xe0VBA-project-bytes-that-must-survive\x00\x01\x02"))
        extra_ct.append(("word/vbaProject.bin", "application/vnd.ms-office.vbaProject"))
        doc_rels.append(("rId9", "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin"))
    if custom:
        entries.append(("docProps/custom.xml", CUSTOM_OTHER))
        extra_ct.append(("docProps/custom.xml", "application/vnd.openxmlformats-officedocument.custom-properties+xml"))
    head = [
        (
            "[Content_Types].xml",
            _types("word/document.xml", DOCM_CT if macro else DOCX_CT, extra_ct, [("png", "image/png")] if extras else []),
        ),
        ("_rels/.rels", _root_rels("word/document.xml", custom)),
        ("docProps/core.xml", CORE),
        ("word/document.xml", _document(body)),
    ]
    if doc_rels:
        head.append(("word/_rels/document.xml.rels", _rels(doc_rels)))
    return _zip(head + entries)


P = "http://schemas.openxmlformats.org/presentationml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
PPTX_CT = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
SLIDE_CT = "application/vnd.openxmlformats-officedocument.presentationml.slide+xml"


def _slide(title: str) -> str:
    return (
        f'{DECL}<p:sld xmlns:a="{A}" xmlns:r="{R}" xmlns:p="{P}"><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/>'
        '<p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/><p:sp><p:nvSpPr><p:cNvPr id="2" name="Title 1"/><p:cNvSpPr/><p:nvPr/>'
        '</p:nvSpPr><p:spPr><a:xfrm><a:off x="457200" y="274638"/><a:ext cx="8229600" cy="1143000"/></a:xfrm></p:spPr>'
        f'<p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-US"/><a:t>{title}</a:t></a:r></a:p></p:txBody></p:sp>'
        "</p:spTree></p:cSld></p:sld>"
    )


def pptx(slides: int = 2, macro: bool = False) -> bytes:
    ids = "".join(f'<p:sldId id="{256 + i}" r:id="rId{i + 1}"/>' for i in range(slides))
    presentation = (
        f'{DECL}<p:presentation xmlns:a="{A}" xmlns:r="{R}" xmlns:p="{P}"><p:sldIdLst>{ids}</p:sldIdLst>'
        '<p:sldSz cx="12192000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>'
    )
    rels = _rels(
        [
            (f"rId{i + 1}", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide", f"slides/slide{i + 1}.xml")
            for i in range(slides)
        ]
    )
    main_ct = "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml" if macro else PPTX_CT
    entries = [
        (
            "[Content_Types].xml",
            _types("ppt/presentation.xml", main_ct, [(f"ppt/slides/slide{i + 1}.xml", SLIDE_CT) for i in range(slides)]),
        ),
        ("_rels/.rels", _root_rels("ppt/presentation.xml")),
        ("docProps/core.xml", CORE),
        ("ppt/presentation.xml", presentation),
        ("ppt/_rels/presentation.xml.rels", rels),
    ]
    entries += [(f"ppt/slides/slide{i + 1}.xml", _slide(f"Slide {i + 1}")) for i in range(slides)]
    if macro:
        entries.append(("ppt/vbaProject.bin", b"\xd0\xcf\x11\xe0VBA-bytes\x00"))
    return _zip(entries)


S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SST_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def xlsx(*, template: bool = False, header: bool = False) -> bytes:
    workbook = (
        f'{DECL}<workbook xmlns="{S}" xmlns:r="{R}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/>'
        '<sheet name="Other" sheetId="2" r:id="rId2"/></sheets></workbook>'
    )
    rels = _rels(
        [
            ("rId1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet", "worksheets/sheet1.xml"),
            ("rId2", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet", "worksheets/sheet2.xml"),
            ("rId3", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings", "sharedStrings.xml"),
        ]
    )
    footer = "<headerFooter><oddHeader>&amp;CQuarterly</oddHeader><oddFooter>&amp;CPage &amp;P</oddFooter></headerFooter>" if header else ""
    sheet1 = (
        f'{DECL}<worksheet xmlns="{S}" xmlns:r="{R}"><dimension ref="A1:C3"/><sheetData>'
        '<row r="1" spans="1:3"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2" spans="1:3"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>120</v></c><c r="C2"><f>B2*2</f><v>240</v></c></row>'
        '<row r="3" spans="1:3"><c r="A3" t="s"><v>4</v></c><c r="B3"><v>80</v></c><c r="C3"><f>B3*2</f><v>160</v></c></row>'
        f'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>{footer}</worksheet>'
    )
    sheet2 = f'{DECL}<worksheet xmlns="{S}"><sheetData/></worksheet>'
    strings = ["Region", "Sales", "Double", "North", "South"]
    sst = f'{DECL}<sst xmlns="{S}" count="5" uniqueCount="5">' + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>"
    main_ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml" if template else XLSX_CT
    return _zip(
        [
            (
                "[Content_Types].xml",
                _types(
                    "xl/workbook.xml",
                    main_ct,
                    [("xl/worksheets/sheet1.xml", SHEET_CT), ("xl/worksheets/sheet2.xml", SHEET_CT), ("xl/sharedStrings.xml", SST_CT)],
                ),
            ),
            ("_rels/.rels", _root_rels("xl/workbook.xml")),
            ("docProps/core.xml", CORE),
            ("xl/workbook.xml", workbook),
            ("xl/_rels/workbook.xml.rels", rels),
            ("xl/worksheets/sheet1.xml", sheet1),
            ("xl/worksheets/sheet2.xml", sheet2),
            ("xl/sharedStrings.xml", sst),
        ]
    )


def _zip_bomb() -> bytes:
    """A valid-looking docx whose one part inflates to 260 MB (about 250 KB compressed)."""
    buffer = io.BytesIO()
    base = zipfile.ZipFile(io.BytesIO(docx()))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            archive.writestr(info, base.read(info))
        info = zipfile.ZipInfo("word/media/bomb.bin", date_time=(2025, 9, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as stream:
            chunk = bytes(1 << 20)
            for _ in range(260):
                stream.write(chunk)
    return buffer.getvalue()


def generate_ooxml(samples: Path, cases: Path) -> None:
    _write(samples / "memo.docx", docx())
    _write(samples / "memo-macros-comments.docm", docx(macro=True, custom=True, extras=True))
    _write(samples / "deck.pptx", pptx())
    _write(samples / "deck-macros.pptm", pptx(1, macro=True))
    _write(samples / "sales.xlsx", xlsx())
    _write(samples / "sales-template.xltx", xlsx(template=True, header=True))

    custom = docx(custom=True)
    with zipfile.ZipFile(io.BytesIO(custom)) as z:
        entries = [(i.filename, z.read(i)) for i in z.infolist()]
    labelled = [
        (
            n,
            d.replace(
                b"</Properties>",
                b'<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="AIGC"><vt:lpwstr>'
                + GOOD.replace('"', "&quot;").encode()
                + b"</vt:lpwstr></property></Properties>",
            )
            if n == "docProps/custom.xml"
            else d,
        )
        for n, d in entries
    ]
    _write(cases / "docx-custom-aigc.docx", _zip(labelled))
    _write(
        cases / "docx-encrypted-ole.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"EncryptionInfo EncryptedPackage" + bytes(64)
    )
    _write(cases / "docx-corrupt-zip.docx", docx()[:300])
    _write(cases / "docx-not-office.docx", _zip([("readme.txt", "a plain zip with a .docx name")]))
    _write(cases / "docx-zip-bomb.docx", _zip_bomb())


def generate(root: Path) -> None:
    samples, cases = root / "samples" / "document", root / "cases" / "document"
    generate_pdfs(samples, cases)
    generate_ooxml(samples, cases)
