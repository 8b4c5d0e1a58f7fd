"""OOXML adapter: custom-property label, notices in Word/PowerPoint/Excel, byte-for-byte survival
of every untouched zip entry, and bad packages. python-docx, python-pptx and openpyxl are the
independent readers (test extra); exiftool when installed."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from labeler import Label, LabelOptions, Notice, label_file, verify_file
from labeler.adapters.document import OoxmlAdapter
from labeler.adapters.document.safezip import Limits, Package
from labeler.errors import InputError
from labeler.model import Presence
from labeler.registry import sniff

from .conftest import FIXTURES, PRODUCER, sha256

docx = pytest.importorskip("docx")
pptx = pytest.importorskip("pptx")
openpyxl = pytest.importorskip("openpyxl")

SAMPLES = FIXTURES / "samples" / "document"
CASES = FIXTURES / "cases" / "document"
OOXML = OoxmlAdapter()
NOTICE = "本内容由人工智能生成"
OFFICE_SAMPLES = sorted(p for p in SAMPLES.iterdir() if p.suffix != ".pdf")
NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"


def labelled(src: Path, tmp_path: Path, name: str | None = None, **options: object) -> Path:
    out = tmp_path / "out" / (name or src.name)
    result = label_file(src, out, LabelOptions(producer=PRODUCER, produce_id="ooxml-1", **options))
    assert result.ok, result.error
    assert result.verdict.status == "compliant", result.verdict.to_dict()
    return out


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def custom_properties(path: Path) -> list[tuple[str, str, str]]:
    root = ET.fromstring(entries(path)["docProps/custom.xml"])
    return [(p.get("name"), p.get("pid"), "".join(p.itertext())) for p in root.iter(f"{NS_CUSTOM}property")]


@pytest.mark.parametrize("sample", OFFICE_SAMPLES, ids=[p.name for p in OFFICE_SAMPLES])
def test_untouched_entries_survive_byte_for_byte(sample: Path, tmp_path: Path) -> None:
    out = labelled(sample, tmp_path)
    before, after = entries(sample), entries(out)
    assert list(after)[: len(before)] == list(before), "entry order must be kept"
    edited = {name for name in before if after[name] != before[name]}
    allowed = {
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/custom.xml",
        "word/document.xml",
        "ppt/slides/slide1.xml",
        "xl/worksheets/sheet1.xml",
    }
    assert edited <= allowed, edited
    for name in before:
        if name.endswith((".bin", ".png")) or "comments" in name or "media" in name:
            assert after[name] == before[name], name


@pytest.mark.parametrize("sample", OFFICE_SAMPLES, ids=[p.name for p in OFFICE_SAMPLES])
def test_custom_property_registered_once(sample: Path, tmp_path: Path) -> None:
    out = labelled(sample, tmp_path)
    expected = Label(content_producer=PRODUCER, produce_id="ooxml-1").to_json()
    aigc = [p for p in custom_properties(out) if p[0] == "AIGC"]
    assert len(aigc) == 1 and aigc[0][2] == expected
    parts = entries(out)
    types = parts["[Content_Types].xml"].decode()
    assert types.count('PartName="/docProps/custom.xml"') == 1
    assert "custom-properties+xml" in types
    assert parts["_rels/.rels"].decode().count("relationships/custom-properties") == 1
    if shutil.which("exiftool"):
        tags = subprocess.run(["exiftool", "-a", "-G1", "-s", str(out)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"AIGC\s*:\s*" + re.escape(expected), tags), tags


def test_existing_custom_properties_kept_and_label_updated_not_duplicated(tmp_path: Path) -> None:
    first = labelled(SAMPLES / "memo-macros-comments.docm", tmp_path)
    names = [p[0] for p in custom_properties(first)]
    assert names == ["Department", "AIGC"]
    assert custom_properties(first)[0] == ("Department", "2", "Sales")
    assert custom_properties(first)[1][1] == "3"  # next free pid
    second = tmp_path / "again.docm"
    OOXML.write_implicit(first, second, Label(content_producer=PRODUCER, produce_id="updated"))
    props = custom_properties(second)
    assert [p[0] for p in props] == ["Department", "AIGC"] and "updated" in props[1][2] and props[1][1] == "3"
    assert sha256(first) != sha256(second)


def test_reads_third_party_custom_label() -> None:
    found = OOXML.read_labels(CASES / "docx-custom-aigc.docx")
    assert [f.carrier for f in found] == ["ooxml:custom:AIGC"]
    assert found[0].label.content_producer == PRODUCER
    assert verify_file(CASES / "docx-custom-aigc.docx").status == "missing-explicit"


def test_docx_notice_first_paragraph_tracked_changes_kept(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "memo-macros-comments.docm", tmp_path)
    document = docx.Document(io.BytesIO(_as_docx(out)))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == NOTICE and texts[1] == "Quarterly report"
    body = entries(out)["word/document.xml"].decode()
    assert "<w:delText>deleted</w:delText>" in body and "<w:ins " in body and "commentReference" in body


@pytest.mark.parametrize(("position", "first", "last"), [("end", "Quarterly report", NOTICE), ("both", NOTICE, NOTICE)])
def test_docx_notice_end_and_both(position: str, first: str, last: str, tmp_path: Path) -> None:
    out = labelled(SAMPLES / "memo.docx", tmp_path, notice=Notice(position=position))
    texts = [p.text for p in docx.Document(str(out)).paragraphs]
    assert texts[0] == first and texts[-1] == last


def test_docx_notice_in_page_header(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "memo.docx", tmp_path, notice=Notice(position="top"))
    document = docx.Document(str(out))
    assert [p.text for p in document.sections[0].header.paragraphs] == [NOTICE]
    assert NOTICE not in [p.text for p in document.paragraphs]
    evidence = OOXML.detect_explicit(out)
    assert evidence.state is Presence.PRESENT and evidence.where == "page header"


def test_pptx_text_box_on_first_slide(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "deck.pptx", tmp_path)
    deck = pptx.Presentation(str(out))
    texts = [[s.text_frame.text for s in slide.shapes if s.has_text_frame] for slide in deck.slides]
    assert texts == [["Slide 1", NOTICE], ["Slide 2"]]
    box = next(s for s in deck.slides[0].shapes if s.has_text_frame and s.text_frame.text == NOTICE)
    assert box.left + box.width <= deck.slide_width and box.top + box.height <= deck.slide_height
    assert box.left > deck.slide_width / 2 and box.top > deck.slide_height / 2  # bottom-right
    assert len({s.shape_id for s in deck.slides[0].shapes}) == 2


def test_pptx_every_slide(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "deck.pptx", tmp_path, notice=Notice(pages="all"))
    deck = pptx.Presentation(str(out))
    assert all(any(s.has_text_frame and s.text_frame.text == NOTICE for s in slide.shapes) for slide in deck.slides)


@pytest.mark.parametrize("sample", ["sales.xlsx", "sales-template.xltx"])
def test_xlsx_cell_and_header_formulas_untouched(sample: str, tmp_path: Path) -> None:
    out = labelled(SAMPLES / sample, tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(_as_xlsx(out)))
    sheet = book.worksheets[0]
    assert sheet["E1"].value == NOTICE and sheet["D1"].value is None
    assert sheet["C2"].value == "=B2*2" and sheet["A1"].value == "Region"
    assert sheet.oddHeader.left.text == NOTICE
    assert book.worksheets[1]["A1"].value is None
    evidence = OOXML.detect_explicit(out)
    assert evidence.state is Presence.PRESENT and evidence.where == "cell E1"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("docx-encrypted-ole.docx", "encrypted or password-protected"),
        ("docx-corrupt-zip.docx", "not a readable ZIP"),
        ("docx-not-office.docx", "not an Office Open XML document"),
        ("docx-zip-bomb.docx", "zip bomb"),
    ],
)
def test_bad_packages_clean_error_no_output(case: str, message: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / case
    result = label_file(CASES / case, out, LabelOptions(producer=PRODUCER))
    assert not result.ok and message in result.error, result.error
    assert not out.exists()
    assert not (out.parent.exists() and any(out.parent.iterdir()))


def test_encrypted_office_file_is_sniffed_and_explained() -> None:
    sniffed = sniff(CASES / "docx-encrypted-ole.docx")
    assert sniffed is not None and sniffed.adapter.name == "ooxml"
    verdict = verify_file(CASES / "docx-encrypted-ole.docx")
    assert verdict.status == "error" and "password" in verdict.error


def test_entry_count_and_size_limits(tmp_path: Path) -> None:
    many = tmp_path / "many.docx"
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(50):
            archive.writestr(f"part{number}.xml", "<a/>")
    with pytest.raises(InputError, match="entries"):
        Package(many, Limits(entries=20))
    with pytest.raises(InputError, match="zip bomb"):
        Package(SAMPLES / "memo.docx", Limits(part_bytes=100))
    with pytest.raises(InputError, match="zip bomb"):
        Package(SAMPLES / "memo.docx", Limits(total_bytes=1000))
    with Package(SAMPLES / "memo.docx") as pkg:  # the limits hold again while inflating (a size header may lie)
        pkg.limits = Limits(part_bytes=100)
        with pytest.raises(InputError, match="zip bomb"):
            pkg.read("word/document.xml")
    assert verify_file(CASES / "docx-zip-bomb.docx").status == "error"


def _as_docx(path: Path) -> bytes:
    """python-docx refuses the macro-enabled content type; present the same package as a .docx."""
    data = entries(path)
    data["[Content_Types].xml"] = data["[Content_Types].xml"].replace(
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    )
    return _zip(data)


def _as_xlsx(path: Path) -> bytes:
    """openpyxl loads templates only under their workbook content type; swap it for reading."""
    data = entries(path)
    data["[Content_Types].xml"] = data["[Content_Types].xml"].replace(b"spreadsheetml.template.main+xml", b"spreadsheetml.sheet.main+xml")
    return _zip(data)


def _zip(data: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in data.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_xlsx_every_sheet(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "sales.xlsx", tmp_path, notice=Notice(pages="all"))
    book = openpyxl.load_workbook(str(out))
    assert book.worksheets[0]["E1"].value == NOTICE and book.worksheets[1]["A1"].value == NOTICE
    assert all(sheet.oddHeader.left.text == NOTICE for sheet in book.worksheets)


def _library_packages(folder: Path) -> list[Path]:
    """Packages written by the libraries' own (Office-authored) templates: styles, themes, settings."""
    folder.mkdir(parents=True, exist_ok=True)
    document = docx.Document()
    document.add_heading("Library report", 1)
    document.add_paragraph("Body text in the default Word template.")
    document.sections[0].header.paragraphs[0].text = "Existing header"
    document.save(str(folder / "library.docx"))
    deck = pptx.Presentation()
    for title in ("One", "Two"):
        deck.slides.add_slide(deck.slide_layouts[1]).shapes.title.text = title
    deck.save(str(folder / "library.pptx"))
    book = openpyxl.Workbook()
    book.active.append(["Region", "Sales"])
    book.active.append(["North", 120])
    book.active.oddFooter.center.text = "Page &P"
    book.save(str(folder / "library.xlsx"))
    return sorted(folder.iterdir())


def test_packages_from_office_templates(tmp_path: Path) -> None:
    for src in _library_packages(tmp_path / "in"):
        out = labelled(src, tmp_path)
        before, after = entries(src), entries(out)
        changed = sorted(name for name in before if after[name] != before[name])
        assert len(changed) <= 4, (src.name, changed)  # content types, rels, custom.xml-or-none, the one edited part
        assert OOXML.read_labels(out)[0].label.produce_id == "ooxml-1"
    assert docx.Document(str(tmp_path / "out" / "library.docx")).paragraphs[0].text == NOTICE
    assert docx.Document(str(tmp_path / "out" / "library.docx")).sections[0].header.paragraphs[0].text == "Existing header"
    slide = pptx.Presentation(str(tmp_path / "out" / "library.pptx")).slides[0]
    assert [s.text_frame.text for s in slide.shapes if s.has_text_frame][-1] == NOTICE
    sheet = openpyxl.load_workbook(str(tmp_path / "out" / "library.xlsx")).active
    assert sheet["D1"].value == NOTICE and sheet["B2"].value == 120 and sheet.oddFooter.center.text == "Page &P"


def test_docx_header_position_reuses_existing_header(tmp_path: Path) -> None:
    src = _library_packages(tmp_path / "in")[0]
    out = labelled(src, tmp_path, notice=Notice(position="top"))
    header = [p.text for p in docx.Document(str(out)).sections[0].header.paragraphs]
    assert header == [NOTICE, "Existing header"]
    assert not [name for name in entries(out) if "header-aigc" in name]


def test_strict_ooxml_presentation(tmp_path: Path) -> None:
    data = entries(SAMPLES / "deck.pptx")
    for name in list(data):
        if name.endswith(".xml"):
            data[name] = (
                data[name]
                .replace(b"http://schemas.openxmlformats.org/presentationml/2006/main", b"http://purl.oclc.org/ooxml/presentationml/main")
                .replace(b"http://schemas.openxmlformats.org/drawingml/2006/main", b"http://purl.oclc.org/ooxml/drawingml/main")
            )
    src = tmp_path / "strict.pptx"
    src.write_bytes(_zip(data))
    out = labelled(src, tmp_path)
    slide = entries(out)["ppt/slides/slide1.xml"].decode()
    assert "schemas.openxmlformats.org/presentationml" not in slide and NOTICE in slide


@pytest.mark.parametrize("run_properties", ["<w:vanish/>", '<w:color w:val="FFFFFF"/>'])
def test_docx_hidden_or_white_notice_does_not_count(run_properties: str, tmp_path: Path) -> None:
    data = entries(SAMPLES / "memo.docx")
    data["word/document.xml"] = data["word/document.xml"].replace(
        b"<w:body>", f"<w:body><w:p><w:r><w:rPr>{run_properties}</w:rPr><w:t>{NOTICE}</w:t></w:r></w:p>".encode(), 1
    )
    src = tmp_path / "hidden.docx"
    src.write_bytes(_zip(data))
    assert OOXML.detect_explicit(src).state is Presence.ABSENT
    shaded = tmp_path / "shaded.docx"
    data["word/document.xml"] = data["word/document.xml"].replace(
        b'<w:color w:val="FFFFFF"/>', b'<w:color w:val="FFFFFF"/><w:shd w:val="clear" w:fill="000000"/>'
    )
    shaded.write_bytes(_zip(data))
    expected = Presence.PRESENT if "color" in run_properties else Presence.ABSENT
    assert OOXML.detect_explicit(shaded).state is expected


@pytest.mark.parametrize("sample", ["deck.pptx", "memo.docx", "sales.xlsx"])
def test_notice_text_with_markup_characters_is_escaped(sample: str, tmp_path: Path) -> None:
    text = "AI生成 \"官方\" <b>&amp; '内容'"  # quotes once broke the slide shape's descr="..." attribute
    out = labelled(SAMPLES / sample, tmp_path, notice=Notice(text=text))
    for name, data in entries(out).items():
        if name.endswith((".xml", ".rels")):
            ET.fromstring(data)  # every part still well-formed
    assert any(
        text in "".join(ET.fromstring(data).itertext()) for name, data in entries(out).items() if name.endswith(".xml") and b"AI" in data
    )
