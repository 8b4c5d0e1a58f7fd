"""Text that is not plain text: the signatures that keep a notice line out of structured files.

Plain text is recognised positively: it decodes (see ``encoding``) and shows none of the
signatures below. A notice line written before the first byte of an XMP sidecar, a KML track, a
property list, an RTF document, a FITS header or a MusePack stream makes it unreadable, so those
files are reported as what they are and left alone. Each row names the kind and why labeler does
not touch it; the message reaches the user through ``registry.unsniffable_reason``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

_LEADING = b"\xef\xbb\xbf \t\r\n"  # a UTF-8 BOM and blank lines do not hide a signature


@dataclass(frozen=True)
class Kind:
    """A structured or binary format that merely looks like text (or carries a text header)."""

    name: str
    pattern: re.Pattern[bytes]  # matched against the head with leading BOM/whitespace removed
    why: str
    parses: bool = False  # the pattern alone is too weak: the head must also parse as JSON


def _kind(name: str, pattern: bytes, why: str, flags: int = 0, *, parses: bool = False) -> Kind:
    return Kind(name, re.compile(pattern, flags), why, parses)


def _parses_as_json(body: bytes) -> bool:
    try:
        json.loads(body.decode("utf-8"))
    except ValueError:  # includes UnicodeDecodeError
        return False
    return True


_STRUCTURED = "a notice line would break its syntax"
_BINARY = "binary data behind a text-looking header; a notice line would corrupt it"

#: Content signatures, most specific first (RTF before JSON: both open with a brace).
KINDS: tuple[Kind, ...] = (
    _kind("XMP sidecar", rb"(<\?xpacket|<\?xml[^>]*\?>\s*(<!--.*?-->\s*)*<x:xmpmeta)", _STRUCTURED, re.S),
    _kind("property list (XML)", rb"<\?xml[^>]*\?>\s*<!DOCTYPE\s+plist", _STRUCTURED),
    _kind("KML (XML)", rb"<\?xml[^>]*\?>\s*(<!--.*?-->\s*)*<kml[\s>]", _STRUCTURED, re.S),
    _kind("GPX (XML)", rb"<\?xml[^>]*\?>\s*(<!--.*?-->\s*)*<gpx[\s>]", _STRUCTURED, re.S),
    _kind("XML document", rb"(<\?xml|<!DOCTYPE|<[A-Za-z_][\w.:-]*[\s/>])", _STRUCTURED),
    _kind("RTF document", rb"\{\\rtf", _STRUCTURED),
    _kind("PostScript/EPS", rb"%!", _STRUCTURED),
    _kind("PDF document", rb"%PDF-", _BINARY),
    _kind("FITS image/table", rb"SIMPLE  =", _BINARY),
    _kind("vCard", rb"BEGIN:VCARD", _STRUCTURED, re.I),
    _kind("iCalendar", rb"BEGIN:VCALENDAR", _STRUCTURED, re.I),
    _kind("MusePack audio", rb"(MPCK|MP\+)", _BINARY),
    _kind("binary property list", rb"bplist0", _BINARY),
    _kind("PEM key or certificate", rb"-----BEGIN [A-Z0-9 ]+-----", _STRUCTURED),
    _kind("YAML document", rb"%YAML", _STRUCTURED),
    _kind("JSON", rb"(\{\s*(\"|\}|$)|\[\s*(\{|\[|\"|\]))", _STRUCTURED),
    # "[1] Smith, J." and "[2026-01-02 10:00] started" are text: an array of numbers or literals
    # counts as JSON only when the whole head parses
    _kind("JSON", rb"\[\s*(-?\d|true\b|false\b|null\b)", _STRUCTURED, parses=True),
    _kind("script", rb"#!/", _STRUCTURED),
    _kind("M3U playlist", rb"#EXTM3U", _STRUCTURED),
    _kind("ASS/SSA subtitles", rb"\[Script Info\]", _STRUCTURED, re.I),
)

#: Extensions of structured text (their syntax breaks under a notice line) and of formats with a
#: text header, when the content alone does not give them away.
EXTENSIONS: dict[str, str] = {
    **dict.fromkeys(("json", "jsonl", "ndjson", "geojson"), "JSON"),
    **dict.fromkeys(("csv", "tsv"), "delimited table"),
    **dict.fromkeys(("xml", "xsl", "xslt", "xsd", "rss", "atom", "svg", "gml", "dae", "plist", "kml", "gpx", "xmp"), "XML document"),
    **dict.fromkeys(("yaml", "yml", "toml", "ini", "cfg", "conf", "properties", "env"), "configuration file"),
    **dict.fromkeys(
        ("js", "mjs", "ts", "css", "py", "sh", "bash", "rb", "pl", "php", "c", "h", "cpp", "java", "go", "rs", "sql", "bat", "ps1"),
        "source code",
    ),
    **dict.fromkeys(("rtf",), "RTF document"),
    **dict.fromkeys(("ps", "eps", "epsf", "ai"), "PostScript/EPS"),
    **dict.fromkeys(("fits", "fit", "fts"), "FITS image/table"),
    **dict.fromkeys(("vcf", "vcard"), "vCard"),
    **dict.fromkeys(("ics", "ical", "ifb"), "iCalendar"),
    **dict.fromkeys(("mpc", "mpp", "mp+"), "MusePack audio"),
    **dict.fromkeys(("tex", "bib", "sty"), "TeX source"),
    **dict.fromkeys(("m3u", "m3u8", "pls", "cue"), "playlist"),
    **dict.fromkeys(("ass", "ssa"), "ASS/SSA subtitles"),
    **dict.fromkeys(("pem", "crt", "key", "csr"), "PEM key or certificate"),
}


def kind_of(name: str, head: bytes) -> Kind | None:
    """The structured or binary kind this text-looking file really is, or None for plain text."""
    body = head.lstrip(_LEADING)
    for kind in KINDS:
        if kind.pattern.match(body) and (not kind.parses or _parses_as_json(body)):
            return kind
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in EXTENSIONS:
        named = EXTENSIONS[suffix]
        return next((k for k in KINDS if k.name == named), Kind(named, re.compile(b""), _STRUCTURED))
    return None
