"""PDF adapter: notice drawing (embedded subset CJK font, margin placement), Info + XMP label,
incremental/signed/encrypted saves, tolerant reading, bad input. Outputs are checked with PyMuPDF
and, when installed, poppler (pdffonts, pdftotext) and exiftool."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from labeler import Label, LabelOptions, Notice, label_file, verify_file
from labeler.adapters.document import PdfAdapter
from labeler.adapters.document.pdf import INFO_CARRIER, MIRRORED_CARRIER, XMP_CARRIER, _ocr_backend
from labeler.adapters.document.pdfdoc import PASSWORD_ENV
from labeler.errors import InputError
from labeler.model import Presence
from labeler.notice import is_compliant_text

from .conftest import FIXTURES, PRODUCER, sha256

SAMPLES = FIXTURES / "samples" / "document"
CASES = FIXTURES / "cases" / "document"
PDF = PdfAdapter()
NOTICE = "本内容由人工智能生成"


def labelled(src: Path, tmp_path: Path, **options: object) -> Path:
    out = tmp_path / "out" / src.name
    result = label_file(src, out, LabelOptions(producer=PRODUCER, produce_id="pdf-1", **options))
    assert result.ok, result.error
    assert result.verdict.status == "compliant", result.verdict.to_dict()
    return out


def info_value(path: Path, key: str = "AIGC") -> str | None:
    with pymupdf.open(path) as doc:
        kind, value = doc.xref_get_key(-1, "Info")
        if kind != "xref":
            return None
        kind, value = doc.xref_get_key(int(value.split()[0]), key)
        return value if kind == "string" else None


def text_blocks(page: pymupdf.Page) -> list[pymupdf.Rect]:
    return [pymupdf.Rect(b[:4]) for b in page.get_text("blocks") if NOTICE not in b[4]]


def notice_rect(page: pymupdf.Page) -> pymupdf.Rect:
    rects = page.search_for(NOTICE)
    assert rects, "notice text not found by PyMuPDF search"
    return rects[0]


def test_notice_is_embedded_subset_cjk_font(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "report.pdf", tmp_path)
    with pymupdf.open(out) as doc:
        fonts = [f for f in doc.get_page_fonts(0) if "DroidSansFallback" in f[3]]
        assert len(fonts) == 1 and fonts[0][1] == "ttf", fonts
        assert re.fullmatch(r"[A-Z]{6}\+DroidSansFallback", fonts[0][3])
        size = next(
            s["size"]
            for b in doc[0].get_text("dict")["blocks"]
            for line in b.get("lines", ())
            for s in line["spans"]
            if NOTICE in s["text"]
        )
        assert size >= 9
    growth = out.stat().st_size - (SAMPLES / "report.pdf").stat().st_size
    assert 0 < growth < 50_000, growth
    if shutil.which("pdffonts"):
        listing = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
        row = next(line for line in listing.splitlines() if "DroidSansFallback" in line)
        assert "CID TrueType" in row and re.search(r"\byes\s+yes\s+yes\b", row), row  # emb sub uni
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert NOTICE in text


def test_notice_in_free_top_margin_not_over_text(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "report.pdf", tmp_path)
    with pymupdf.open(out) as doc:
        page = doc[0]
        rect = notice_rect(page)
        assert rect.y1 < min(r.y0 for r in text_blocks(page)), "notice should sit above the body text"
        assert not any(rect.intersects(r) for r in text_blocks(page))
        assert NOTICE not in doc[1].get_text()  # first page only by default


def test_notice_goes_to_bottom_when_top_is_full(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "full-page-text.pdf", tmp_path)
    with pymupdf.open(out) as doc:
        page = doc[0]
        rect = notice_rect(page)
        assert rect.y0 > max(r.y1 for r in text_blocks(page))
        assert page.rect.contains(rect)


def test_notice_on_every_page_reuses_one_font(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "report.pdf", tmp_path, notice=Notice(pages="all"))
    with pymupdf.open(out) as doc:
        assert all(NOTICE in page.get_text() for page in doc)
        xrefs = {f[0] for page in doc for f in page.get_fonts() if "DroidSansFallback" in f[3]}
        assert len(xrefs) == 1


def test_rotated_page_notice_is_readable_on_page(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "landscape-rotated.pdf", tmp_path)
    with pymupdf.open(out) as doc:
        assert doc[0].rotation == 90
        assert doc[0].rect.contains(notice_rect(doc[0]))


def test_label_in_info_and_xmp_keeping_pdfa_xmp(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "report-pdfa-xmp.pdf", tmp_path)
    expected = Label(content_producer=PRODUCER, produce_id="pdf-1").to_json()
    assert info_value(out) == expected
    with pymupdf.open(out) as doc:
        xmp = doc.get_xml_metadata()
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert expected.replace('"', "&quot;") in xmp
    found = PDF.read_labels(out)
    assert [(f.carrier, f.raw) for f in found] == [(MIRRORED_CARRIER, expected)]
    if shutil.which("exiftool"):
        tags = subprocess.run(["exiftool", "-a", "-G1", "-s", str(out)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^\[PDF\]\s+AIGC\s*:\s*" + re.escape(expected), tags, re.M), tags
        assert re.search(r"^\[XMP-TC260\]\s+Aigc\s*:\s*" + re.escape(expected), tags, re.M), tags


def test_write_is_incremental_deterministic_and_updates(tmp_path: Path) -> None:
    src = SAMPLES / "report.pdf"
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    PDF.write_implicit(src, first, Label(content_producer=PRODUCER, produce_id="one"))
    PDF.write_implicit(src, second, Label(content_producer=PRODUCER, produce_id="one"))
    assert first.read_bytes() == second.read_bytes(), "same input and label must give the same bytes"
    assert first.read_bytes().startswith(src.read_bytes()), "the update must be appended (incremental save)"
    updated = tmp_path / "c.pdf"
    PDF.write_implicit(first, updated, Label(content_producer=PRODUCER, produce_id="two"))
    found = PDF.read_labels(updated)
    assert len(found) == 1 and found[0].label.produce_id == "two"
    unchanged = tmp_path / "d.pdf"
    PDF.write_implicit(updated, unchanged, Label(content_producer=PRODUCER, produce_id="two"))
    assert sha256(unchanged) == sha256(updated)


@pytest.mark.parametrize(
    ("case", "carriers"),
    [
        ("pdf-info-aigc.pdf", [INFO_CARRIER]),
        ("pdf-xmp-tc260.pdf", [XMP_CARRIER]),
        ("pdf-info-and-xmp-disagree.pdf", [INFO_CARRIER, XMP_CARRIER]),
    ],
)
def test_reads_every_carrier(case: str, carriers: list[str]) -> None:
    found = PDF.read_labels(CASES / case)
    assert [f.carrier for f in found] == carriers
    assert all(f.label is not None for f in found)


def test_disagreeing_carriers_are_invalid_and_labelling_resolves_them(tmp_path: Path) -> None:
    verdict = verify_file(CASES / "pdf-info-and-xmp-disagree.pdf")
    assert verdict.status == "invalid"
    assert any(p.rule == "implicit.conflict" for p in verdict.implicit.problems)
    out = labelled(CASES / "pdf-info-and-xmp-disagree.pdf", tmp_path)
    assert [f.carrier for f in PDF.read_labels(out)] == [MIRRORED_CARRIER]


def test_signed_pdf_keeps_signed_bytes(tmp_path: Path) -> None:
    src = CASES / "pdf-signed.pdf"
    original = src.read_bytes()
    out = labelled(src, tmp_path)
    data = out.read_bytes()
    assert data.startswith(original), "a signed PDF must only be appended to"
    a, b, c, d = map(int, re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", original).groups())
    assert data[a : a + b] + data[c : c + d] == original[a : a + b] + original[c : c + d]
    with pymupdf.open(out) as doc:
        assert doc.get_sigflags() == 3


def test_encrypted_pdf_needs_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "encrypted-password-secret.pdf"
    with pymupdf.open(SAMPLES / "report.pdf") as doc:  # made here: MuPDF's random file key is not reproducible
        doc.save(src, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(InputError, match=PASSWORD_ENV):
        PDF.read_labels(src)
    result = label_file(src, tmp_path / "x.pdf", LabelOptions(producer=PRODUCER))
    assert not result.ok and PASSWORD_ENV in result.error and not (tmp_path / "x.pdf").exists()
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    with pytest.raises(InputError, match="does not open"):
        PDF.read_labels(src)
    monkeypatch.setenv(PASSWORD_ENV, "secret")
    out = labelled(src, tmp_path)
    with pymupdf.open(out) as doc:
        assert doc.needs_pass, "the output must stay encrypted"
        assert doc.authenticate("secret")
        assert NOTICE in doc[0].get_text()


def test_scanned_page_uses_ocr_or_says_unknown() -> None:
    evidence = PDF.detect_explicit(CASES / "pdf-scanned-notice-no-text-layer.pdf")
    if _ocr_backend() is None:
        assert evidence.state is Presence.UNKNOWN
        assert "no text layer; OCR backend not installed" in evidence.summary
    else:
        assert evidence.state is Presence.PRESENT and is_compliant_text(evidence.text)
        assert evidence.detail["ocr"] is True


def test_tiny_notice_is_reported() -> None:
    evidence = PDF.detect_explicit(CASES / "pdf-notice-tiny.pdf")
    assert evidence.state is Presence.PRESENT
    assert [p.rule for p in evidence.problems] == ["notice.small"]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("pdf-truncated.pdf", "truncated"),
        ("pdf-malformed-xmp.pdf", "XMP metadata stream is malformed"),
    ],
)
def test_bad_input_is_a_clean_error_without_output(case: str, message: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / case
    result = label_file(CASES / case, out, LabelOptions(producer=PRODUCER))
    assert not result.ok and message in result.error, result.error
    assert not out.exists()
    assert not (out.parent.exists() and any(out.parent.iterdir())), "no partial or temp output may remain"


def test_not_a_pdf_is_input_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    with pytest.raises(InputError):
        PDF.read_labels(fake)


@pytest.mark.slow
def test_thousand_page_pdf_bounded_memory(tmp_path: Path) -> None:
    src = tmp_path / "big.pdf"
    doc = pymupdf.open()
    for number in range(1000):
        doc.new_page().insert_text((72, 90), f"Page {number + 1}", fontsize=11)
    doc.save(src, garbage=3, deflate=True)
    doc.close()
    script = (
        "import re, sys\nfrom labeler import LabelOptions, label_file\n"
        f"r = label_file({str(src)!r}, {str(tmp_path / 'out.pdf')!r}, LabelOptions(producer={PRODUCER!r}))\n"
        "print(r.verdict.status if r.verdict else r.error)\n"
        # VmHWM, not ru_maxrss: Linux carries the parent's peak over fork+exec into ru_maxrss
        "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    status, peak_kb = run.stdout.split()
    assert status == "compliant"
    assert int(peak_kb) < 250 * 1024, f"peak RSS {int(peak_kb) // 1024} MB"
    assert (tmp_path / "out.pdf").read_bytes().startswith(src.read_bytes())


def test_certified_no_changes_pdf_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "certified.pdf"
    with pymupdf.open(CASES / "pdf-signed.pdf") as doc:
        sig = next(x for x in range(1, doc.xref_length()) if doc.xref_get_key(x, "Type")[1] == "/Sig")
        doc.xref_set_key(sig, "Reference", "[<</Type/SigRef/TransformMethod/DocMDP/TransformParams<</Type/TransformParams/P 1/V/1.2>>>>]")
        doc.xref_set_key(doc.pdf_catalog(), "Perms", f"<</DocMDP {sig} 0 R>>")
        doc.save(src)
    result = label_file(src, tmp_path / "out.pdf", LabelOptions(producer=PRODUCER))
    assert not result.ok and "DocMDP P=1" in result.error
    assert not (tmp_path / "out.pdf").exists()


def test_invisible_notice_text_does_not_count(tmp_path: Path) -> None:
    path = tmp_path / "hidden.pdf"
    with pymupdf.open() as doc:
        page = doc.new_page()
        page.insert_text((72, 90), "Body text that everyone sees.", fontsize=11)
        page.insert_text((72, 40), "AI生成", fontname="china-s", fontsize=12, render_mode=3)
        doc.save(path)
    assert "AI生成" in pymupdf.open(path)[0].get_text()
    assert PDF.detect_explicit(path).state is not Presence.PRESENT


def test_direct_info_dictionary_is_read_and_kept(tmp_path: Path) -> None:
    src = tmp_path / "direct-info.pdf"
    with pymupdf.open(SAMPLES / "report.pdf") as doc:
        doc.xref_set_key(-1, "Info", f"<</Title(Direct title)/AIGC{pymupdf.get_pdf_str(Label(content_producer=PRODUCER).to_json())}>>")
        doc.save(src)
    assert [f.carrier for f in PDF.read_labels(src)] == [INFO_CARRIER]
    out = labelled(src, tmp_path)
    with pymupdf.open(out) as doc:
        assert doc.metadata["title"] == "Direct title"
    assert [f.label.produce_id for f in PDF.read_labels(out)] == ["pdf-1"]


def test_page_without_free_margin_gets_notice_on_white_box(tmp_path: Path) -> None:
    src = tmp_path / "crowded.pdf"
    with pymupdf.open() as doc:
        page = doc.new_page(width=300, height=200)
        for y in range(12, 200, 12):
            page.insert_text((10, y), "crowded line of body text " * 3, fontsize=10)
        doc.save(src)
    out = labelled(src, tmp_path)
    with pymupdf.open(out) as doc:
        page = doc[0]
        rect = notice_rect(page)
        assert page.rect.contains(rect) and rect.y0 < 40  # top edge
        white = [d for d in page.get_drawings() if d.get("fill") == (1.0, 1.0, 1.0) and d["rect"].contains(rect)]
        assert white, "the notice must sit on a white box when it has to cover text"


@pytest.mark.parametrize("layout", ["object-streams", "linearized"])
def test_pdfs_written_by_another_library(layout: str, tmp_path: Path) -> None:
    import pikepdf

    src = tmp_path / f"{layout}.pdf"
    with pikepdf.open(SAMPLES / "report-pdfa-xmp.pdf") as pdf:
        pdf.save(src, object_stream_mode=pikepdf.ObjectStreamMode.generate, linearize=layout == "linearized")
    out = labelled(src, tmp_path)
    assert out.read_bytes().startswith(src.read_bytes())
    with pikepdf.open(out) as pdf:  # an independent parser reads the update
        assert str(pdf.docinfo["/AIGC"]) == Label(content_producer=PRODUCER, produce_id="pdf-1").to_json()
        assert b"<pdfaid:part>2</pdfaid:part>" in pdf.Root.Metadata.read_bytes()
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-l", "1", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert NOTICE in text


def test_bottom_right_position(tmp_path: Path) -> None:
    out = labelled(SAMPLES / "report.pdf", tmp_path, notice=Notice(position="bottom-right"))
    with pymupdf.open(out) as doc:
        page = doc[0]
        rect = notice_rect(page)
        assert rect.y0 > max(r.y1 for r in text_blocks(page)) and rect.x0 > page.rect.width / 2
    refused = label_file(SAMPLES / "report.pdf", tmp_path / "x.pdf", LabelOptions(producer=PRODUCER, notice=Notice(position="left")))
    assert not refused.ok and "does not apply to PDFs" in refused.error


def test_label_inside_malformed_xmp_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "broken-xmp-label.pdf"
    with pymupdf.open(SAMPLES / "report.pdf") as doc:
        doc.set_xml_metadata(f"<x:xmpmeta xmlns:x='adobe:ns:meta/'><TC260:AIGC>{Label(content_producer=PRODUCER).to_json()}</x:xmpmeta>")
        doc.save(path)
    verdict = verify_file(path)
    assert verdict.status == "invalid"
    assert any(p.rule == "xmp.malformed" for p in verdict.implicit.problems)


def test_poster_page_gets_a_proportionally_larger_notice(tmp_path: Path) -> None:
    src = tmp_path / "poster.pdf"
    with pymupdf.open() as doc:
        doc.new_page(width=2384, height=3370).insert_text((200, 400), "Poster headline", fontsize=96)
        doc.save(src)
    out = labelled(src, tmp_path)
    with pymupdf.open(out) as doc:
        size = next(
            s["size"]
            for b in doc[0].get_text("dict")["blocks"]
            for line in b.get("lines", ())
            for s in line["spans"]
            if NOTICE in s["text"]
        )
    assert size == pytest.approx(10 * 2384 / 595, rel=0.01)


def test_sniffing_pdf_with_leading_junk_but_not_prose() -> None:
    real = (SAMPLES / "report.pdf").read_bytes()
    assert PDF.score("x.bin", b"\x00junk\r\n" + real[:4000]) >= 8
    assert PDF.score("notes.md", b"# Notes\nA PDF starts with %PDF-1.7 and then objects.\n") == 0
