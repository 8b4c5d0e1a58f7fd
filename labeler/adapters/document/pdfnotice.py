"""Drawing and finding the visible notice in a PDF.

Drawing: the notice is set in PyMuPDF's bundled Droid Sans Fallback (a TrueType CJK font),
subset with fontTools to just the notice's glyphs and embedded as a Type0/CIDFontType2 font with a
ToUnicode map, so it renders in every viewer and extracts as text; the file grows by a few KB. The
font gets a deterministic six-letter subset tag (``ABCDEF+DroidSansFallback``) as PDF requires for
subset fonts. It goes into the free top margin (else the bottom one; ``Notice.position`` ``bottom``,
``end`` or ``bottom-*`` tries the bottom first), aligned with the left edge of the text column
(``*-right``: its right edge); when a page has no free margin it goes at the edge on a white box.

Finding: the text blocks (paragraphs) of the first and last page, and the lines of a block that are
sentences of their own (visible text only: not render mode 3, not fully transparent, inside the
page), are judged by ``labeler.noticerule``: a short statement, elements close, not negated.
"""

from __future__ import annotations

import functools
import hashlib
import io
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import InputError, LabelFormatError
from ...lazy import lazy_module
from ...notice import Notice, has_ai_element, has_generation_element
from ...noticerule import is_notice
from ...problems import Problem, warning

if TYPE_CHECKING:
    import pymupdf
    from fontTools import subset, ttLib
else:
    pymupdf = lazy_module("pymupdf")
    subset = lazy_module("fontTools.subset")
    ttLib = lazy_module("fontTools.ttLib")

FONT_SIZE = 10.0  # points, on pages up to A4/Letter size: at least 9 pt is legible in print
A4_SHORT_SIDE = 595.0
MIN_LEGIBLE = 6.0  # a found notice smaller than this is reported
EDGE_GAP = 18.0  # distance from the page edge, points
PAD = 3.0
FONT_FAMILY = "DroidSansFallback"
RESOURCE_NAME = "AIGCNotice"
#: Notice.position values -> the margins to try, in order.
MARGINS = {
    None: ("top", "bottom"),
    "top": ("top", "bottom"),
    "start": ("top", "bottom"),
    "top-left": ("top", "bottom"),
    "top-right": ("top", "bottom"),
    "bottom": ("bottom", "top"),
    "end": ("bottom", "top"),
    "bottom-left": ("bottom", "top"),
    "bottom-right": ("bottom", "top"),
}
_SENTENCE_END = ("。", "！", "？", "!", "?", ".", "；", ";")
#: MuPDF span char_flags: the glyphs are filled or stroked (render mode 3 text is neither).
_PAINTED = 8 | 16


@dataclass(frozen=True)
class NoticeFont:
    buffer: bytes
    tag: str

    @property
    def base_font(self) -> str:
        return f"{self.tag}+{FONT_FAMILY}"


@functools.lru_cache(maxsize=16)
def notice_font(text: str) -> NoticeFont:
    """The CJK font subset to exactly the glyphs of ``text`` (cached per text)."""
    cjk = pymupdf.Font("cjk")
    missing = sorted({ch for ch in text if not ch.isspace() and not cjk.has_glyph(ord(ch))})
    if missing:
        raise LabelFormatError(f"the notice text has characters the embedded CJK font cannot draw: {''.join(missing)!r}")
    font = ttLib.TTFont(io.BytesIO(cjk.buffer))
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = [1, 2]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    tag = "".join(string.ascii_uppercase[b % 26] for b in digest[:6])
    return NoticeFont(out.getvalue(), tag)


def _content_box(page: pymupdf.Page) -> pymupdf.Rect | None:
    """The union of the text and image blocks (visible page coordinates), or None for a blank page."""
    box = pymupdf.Rect()
    for block in page.get_text("blocks"):
        rect = pymupdf.Rect(block[:4]) & page.rect
        if not rect.is_empty:
            box |= rect
    return None if box.is_empty else box


def place(page: pymupdf.Page, width: float, height: float, position: str | None) -> tuple[pymupdf.Rect, bool]:
    """Where the notice box goes, and whether it covers content (no free margin)."""
    area = page.rect
    content = _content_box(page)
    if position is not None and position.endswith("-right"):  # right-aligned with the text column
        right = area.x1 - EDGE_GAP if content is None else min(area.x1 - EDGE_GAP, max(content.x1, area.x0 + EDGE_GAP + width))
        left = right - width
    else:  # left-aligned with the text column
        left = area.x0 + EDGE_GAP if content is None else max(area.x0 + EDGE_GAP, min(content.x0, area.x1 - EDGE_GAP - width))
    left = max(area.x0, min(left, area.x1 - width))
    free = {
        "top": (area.y0, area.y1 if content is None else content.y0),
        "bottom": (area.y0 if content is None else content.y1, area.y1),
    }
    try:
        order = MARGINS[position]
    except KeyError:
        raise LabelFormatError(f"notice position {position!r} does not apply to PDFs; use {', '.join(p for p in MARGINS if p)}") from None
    for margin in order:
        low, high = free[margin]
        room = high - low
        if room >= height + 2 * PAD:
            gap = min(EDGE_GAP, (room - height) / 2)
            y0 = low + gap if margin == "top" else high - gap - height
            return pymupdf.Rect(left, y0, left + width, y0 + height), False
    y0 = area.y0 + min(EDGE_GAP, max(0.0, (area.height - height) / 2)) if order[0] == "top" else area.y1 - EDGE_GAP - height
    return pymupdf.Rect(left, y0, left + width, y0 + height), True


def _tag_font(doc: pymupdf.Document, xref: int, font: NoticeFont) -> None:
    """Give the embedded font its subset tag in /BaseFont and /FontName (pdffonts then says 'sub yes')."""
    name = f"/{font.base_font}"
    if doc.xref_get_key(xref, "BaseFont")[1] == name:
        return
    doc.xref_set_key(xref, "BaseFont", name)
    kind, value = doc.xref_get_key(xref, "DescendantFonts")
    for ref in value.strip("[]").split(" R"):
        parts = ref.split()
        if kind == "array" and len(parts) == 2:
            descendant = int(parts[0])
            doc.xref_set_key(descendant, "BaseFont", name)
            fkind, fvalue = doc.xref_get_key(descendant, "FontDescriptor")
            if fkind == "xref":
                doc.xref_set_key(int(fvalue.split()[0]), "FontName", name)


def draw_notice(doc: pymupdf.Document, notice: Notice, text: str) -> None:
    """Draw the notice on the first (or every) page."""
    font = notice_font(text)
    metrics = pymupdf.Font(fontbuffer=font.buffer)
    pages = range(doc.page_count) if notice.pages == "all" else range(1)
    for number in pages:
        page = doc[number]
        # 10 pt on A4/Letter; a poster grows it with its short side, so it reads at the same zoom
        size = FONT_SIZE * max(1.0, min(page.rect.width, page.rect.height) / A4_SHORT_SIDE)
        width = metrics.text_length(text, fontsize=size)
        limit = page.rect.width - 2 * PAD
        fitted = size if width <= limit else max(1.0, size * limit / width)
        width = metrics.text_length(text, fontsize=fitted)
        box, covers = place(page, width + 2 * PAD, fitted * 1.3 + 2 * PAD, notice.position)
        xref = page.insert_font(fontname=RESOURCE_NAME, fontbuffer=font.buffer)
        _tag_font(doc, xref, font)
        if covers:  # no free margin: keep the notice legible over whatever is underneath
            page.draw_rect(box, color=None, fill=(1, 1, 1), overlay=True)
        baseline = pymupdf.Point(box.x0 + PAD, box.y0 + PAD + fitted * 1.05)
        page.insert_text(baseline, text, fontname=RESOURCE_NAME, fontsize=fitted, color=(0, 0, 0), overlay=True)


@dataclass(frozen=True)
class Seen:
    """A line of visible text on a page."""

    page: int
    text: str
    bbox: tuple[float, float, float, float]
    size: float
    font: str


def visible_lines(page: pymupdf.Page, visible_only: bool = True) -> list[list[Seen]]:
    """The lines of each text block of a page (visible text only, unless ``visible_only`` is off)."""
    blocks = []
    for block in page.get_text("dict", flags=pymupdf.TEXT_PRESERVE_WHITESPACE)["blocks"]:
        lines = []
        for line in block.get("lines", ()):
            spans = line["spans"]
            if visible_only:
                spans = [s for s in spans if s.get("alpha", 255) > 0 and s.get("char_flags", _PAINTED) & _PAINTED]
                spans = [s for s in spans if pymupdf.Rect(s["bbox"]).intersects(page.rect)]
            if spans:
                text = "".join(s["text"] for s in spans)
                biggest = max(spans, key=lambda s: s["size"])
                lines.append(Seen(page.number, text, tuple(round(v, 1) for v in line["bbox"]), round(biggest["size"], 2), biggest["font"]))
        if lines:
            blocks.append(lines)
    return blocks


def units(blocks: list[list[Seen]]) -> list[Seen]:
    """What a reader sees as one piece: each block (a paragraph), and each line of a longer block
    that is a sentence of its own (a wrapped fragment of a paragraph is not)."""
    found = []
    for lines in blocks:
        box = (min(u.bbox[0] for u in lines), min(u.bbox[1] for u in lines), max(u.bbox[2] for u in lines), max(u.bbox[3] for u in lines))
        biggest = max(lines, key=lambda u: u.size)
        found.append(Seen(lines[0].page, " ".join(u.text for u in lines), box, biggest.size, biggest.font))
        for index, line in enumerate(lines if len(lines) > 1 else ()):
            starts = index == 0 or lines[index - 1].text.rstrip().endswith(_SENTENCE_END)
            if starts and (index == len(lines) - 1 or line.text.rstrip().endswith(_SENTENCE_END)):
                found.append(line)
    return found


def find_notice(doc: pymupdf.Document) -> tuple[list[Seen], bool]:
    """The candidate units on the first and last page, and whether to trust the text layer.

    The second value is False when those pages have no text at all, or when a notice is there
    only as invisible text (the OCR layer of a scan): the caller then reads the page image.
    """
    any_text = hidden_notice = False
    found: list[Seen] = []
    for number in dict.fromkeys((0, doc.page_count - 1)):
        try:
            page = doc[number]
        except IndexError as exc:  # the page count says it exists, the page tree cannot reach it
            raise InputError(
                f"page {number + 1} of {doc.page_count} cannot be loaded (the page tree is damaged); repair the PDF (e.g. qpdf)"
            ) from exc
        plain = page.get_text("text")
        any_text = any_text or bool(plain.strip())
        if not (has_ai_element(plain) or has_generation_element(plain)):  # cheap pre-check: nothing to judge
            continue
        shown = units(visible_lines(page))
        found += shown
        if not any(is_notice(u.text) for u in shown) and any(is_notice(u.text) for u in units(visible_lines(page, visible_only=False))):
            hidden_notice = True
    return found, any_text and not hidden_notice


def size_problems(size: float) -> tuple[Problem, ...]:
    if size < MIN_LEGIBLE:
        return (warning("notice.small", f"the notice is set in {size:g} pt, below {MIN_LEGIBLE:g} pt: hard to read"),)
    return ()
