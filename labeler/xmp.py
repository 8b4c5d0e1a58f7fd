"""Build, parse and merge XMP packets carrying ``TC260:AIGC`` and IPTC ``DigitalSourceType``.

Parsing is defused (no DTDs, no entity expansion, no external references) and size-limited.
Merging edits the packet text rather than re-serialising a tree, so every other property,
namespace prefix and byte of an existing packet survives; the result is re-parsed to prove it is
still well-formed XML.
"""

from __future__ import annotations

import functools
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape  # xml.sax.saxutils would import urllib and ssl (~50 ms)

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from .errors import InputError
from .label import MAX_CARRIER_BYTES, MAX_CARRIER_DEPTH
from .problems import Problem, error, warning

NS_TC260 = "http://www.tc260.org.cn/ns/AIGC/1.0/"
NS_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DST_BASE = "http://cv.iptc.org/newscodes/digitalsourcetype/"
#: IPTC digital source types that say "made by AI" (any of them is consistent with a TC260 label).
AI_SOURCE_TYPES = frozenset(
    DST_BASE + name
    for name in ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia", "compositeSynthetic")
)
DEFAULT_SOURCE_TYPE = DST_BASE + "trainedAlgorithmicMedia"
#: Larger packets are refused: real ones are kilobytes; Photoshop histories reach a few MB.
MAX_XMP_BYTES = MAX_CARRIER_BYTES
PACKET_ID = "W5M0MpCehiHzreSzNTczkc9d"


def source_type_uri(value: str) -> str:
    """Accept a full URI or a bare IPTC code such as ``trainedAlgorithmicMedia``."""
    return value if "://" in value else DST_BASE + value


@dataclass(frozen=True)
class XmpValue:
    """One ``AIGC`` property found in a packet."""

    text: str
    form: str  # "element" or "attribute"
    namespace: str


@dataclass(frozen=True)
class XmpInfo:
    aigc: tuple[XmpValue, ...]
    digital_source_type: str | None
    problems: tuple[Problem, ...]


def _qname(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def parse_xml(data: bytes, what: str) -> ET.Element:
    """Defused parse within the carrier limits; raises ``ValueError`` with a readable reason.

    The size is checked before parsing and the depth while parsing (element by element), so a
    huge or 100,000-deep document is refused at once instead of building a tree of it.
    """
    if len(data) > MAX_CARRIER_BYTES:
        raise ValueError(f"{what} is {len(data):,} bytes, over the {MAX_CARRIER_BYTES:,}-byte limit")
    depth = 0
    root: ET.Element | None = None
    try:
        for event, element in SafeET.iterparse(
            io.BytesIO(data.strip(b"\x00 \t\r\n")), ("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        ):
            depth += 1 if event == "start" else -1
            if depth > MAX_CARRIER_DEPTH:
                raise ValueError(f"{what} nests elements more than {MAX_CARRIER_DEPTH} deep; refused as possibly hostile")
            root = element
    except DefusedXmlException as exc:
        raise ValueError(f"{what} contains a DTD or entity declarations ({type(exc).__name__}); refused as possibly hostile") from exc
    except ET.ParseError as exc:
        raise ValueError(f"{what} is not well-formed XML ({exc})") from exc
    if root is None:
        raise ValueError(f"{what} is empty")
    return root


def _parse_tree(data: bytes) -> ET.Element:
    return parse_xml(data, "XMP packet")


def parse_xmp(data: bytes) -> XmpInfo:
    """Every ``AIGC`` property (element or attribute form, any namespace) and the IPTC source type.
    Memoised (``XmpInfo`` is immutable): a verify reads the same packet for the label and for IPTC."""
    return _parse_xmp(bytes(data))  # the same object when it already is bytes; a buffer cannot be a key


@functools.lru_cache(maxsize=4)
def _parse_xmp(data: bytes) -> XmpInfo:
    try:
        root = _parse_tree(data)
    except ValueError as exc:
        rule = "xmp.too-large" if "limit" in str(exc) else "xmp.hostile" if "refused" in str(exc) else "xmp.malformed"
        return XmpInfo((), None, (error(rule, str(exc)),))
    values: list[XmpValue] = []
    source_type = None
    problems: list[Problem] = []
    for element in root.iter():
        ns, local = _qname(element.tag)
        if local == "AIGC":
            text = element.text or ""
            if not text.strip():  # rdf:Alt / rdf:Seq wrappers
                text = next((li.text or "" for li in element.iter(f"{{{NS_RDF}}}li")), text)
            values.append(XmpValue(text, "element", ns))
        elif (ns, local) == (NS_IPTC_EXT, "DigitalSourceType"):
            source_type = (element.text or "").strip() or element.get(f"{{{NS_RDF}}}resource")
        for key, value in element.attrib.items():
            ans, alocal = _qname(key)
            if alocal == "AIGC":
                values.append(XmpValue(value, "attribute", ans))
            elif (ans, alocal) == (NS_IPTC_EXT, "DigitalSourceType"):
                source_type = value
    for found in values:
        if found.namespace != NS_TC260:
            problems.append(warning("xmp.namespace", f"AIGC property in namespace {found.namespace or '(none)'!r}, expected {NS_TC260}"))
    return XmpInfo(tuple(values), source_type, tuple(problems))


def _description(rdf: str, label_json: str | None, source_type: str | None) -> str:
    declarations, properties = [], []
    if label_json is not None:
        declarations.append(f'xmlns:TC260="{NS_TC260}"')
        properties.append(f"<TC260:AIGC>{escape(label_json)}</TC260:AIGC>")
    if source_type is not None:
        declarations.append(f'xmlns:Iptc4xmpExt="{NS_IPTC_EXT}"')
        properties.append(f"<Iptc4xmpExt:DigitalSourceType>{escape(source_type)}</Iptc4xmpExt:DigitalSourceType>")
    return f'<{rdf}:Description {rdf}:about="" {" ".join(declarations)}>{"".join(properties)}</{rdf}:Description>'


def build_xmp(label_json: str, source_type: str | None = DEFAULT_SOURCE_TYPE) -> bytes:
    """A fresh packet in the canonical layout real producers write."""
    body = (
        f'<?xpacket begin="\ufeff" id="{PACKET_ID}"?>\n'
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{NS_RDF}">'
        f"{_description('rdf', label_json, source_type)}"
        '</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
    )
    return body.encode("utf-8")


def _prefixes(text: str, namespace: str) -> list[str]:
    pattern = r"xmlns:([\w.-]+)\s*=\s*[\"']" + re.escape(namespace) + r"[\"']"
    return list(dict.fromkeys(re.findall(pattern, text)))


def _remove_property(text: str, prefix: str, local: str) -> str:
    name = re.escape(f"{prefix}:{local}")
    text = re.sub(rf"<{name}\b[^>]*/>|<{name}\b[^>]*>.*?</{name}\s*>", "", text, flags=re.S)
    return re.sub(rf"\s{name}\s*=\s*(\"[^\"]*\"|'[^']*')", "", text)


def _drop_empty_descriptions(text: str, rdf: str) -> str:
    """Remove ``rdf:Description`` elements left with no properties (only rdf:about and xmlns)."""
    name = re.escape(f"{rdf}:Description")
    pattern = re.compile(rf"<{name}\b([^>]*?)(?:/>|>\s*</{name}\s*>)", re.S)

    def keep_or_drop(match: re.Match[str]) -> str:
        attributes = re.findall(r"([\w:.-]+)\s*=", match.group(1))
        empty = all(a == f"{rdf}:about" or a.startswith("xmlns") for a in attributes)
        return "" if empty else match.group(0)

    return pattern.sub(keep_or_drop, text)


def merge_xmp(existing: bytes | None, label_json: str, source_type: str | None = DEFAULT_SOURCE_TYPE) -> bytes:
    """Set the single ``TC260:AIGC`` property, keeping everything else in ``existing``.

    Every earlier ``AIGC`` property is removed first (one label per file). An existing IPTC source
    type that already says AI is kept; any other is replaced by ``source_type``.
    Raises ``InputError`` if the existing packet is malformed or hostile.
    """
    if not existing or not existing.strip(b"\x00 \t\r\n"):
        return build_xmp(label_json, source_type)
    info = parse_xmp(existing)
    if info.problems and any(p.is_error for p in info.problems):
        raise InputError(
            f"the existing XMP packet cannot be merged: {info.problems[0].message}; remove or repair it (e.g. exiftool -xmp:all= FILE)"
        )
    try:
        text = existing.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError("the existing XMP packet is not UTF-8; re-save it as UTF-8 XMP") from exc
    for prefix in _prefixes(text, NS_TC260):
        text = _remove_property(text, prefix, "AIGC")
    if source_type is not None and info.digital_source_type in AI_SOURCE_TYPES:
        source_type = None  # already AI; keep the more specific existing value
    if source_type is not None:
        for prefix in _prefixes(text, NS_IPTC_EXT):
            text = _remove_property(text, prefix, "DigitalSourceType")
    rdf_prefix = next(iter(_prefixes(text, NS_RDF)), None)
    if rdf_prefix:
        text = _drop_empty_descriptions(text, rdf_prefix)  # what earlier labels left behind
    closing = text.rfind(f"</{rdf_prefix}:RDF>") if rdf_prefix else -1
    if closing < 0:
        raise InputError("the existing XMP packet has no rdf:RDF element to add the label to; remove or repair it")
    merged = text[:closing] + _description(rdf_prefix or "rdf", label_json, source_type) + text[closing:]
    result = merged.encode("utf-8")
    check = parse_xmp(result)
    if [v.text for v in check.aigc] != [label_json]:
        raise InputError("merging the label into the existing XMP packet did not give exactly one AIGC property")
    return result
