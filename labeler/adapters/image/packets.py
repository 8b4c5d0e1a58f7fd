"""XMP packet work shared by every image container: labels found, label merged, receipt stored.

The render receipt (how labeler drew its notice) lives in a private namespace next to
``TC260:AIGC``. The explicit step writes it; the implicit step merges the label into the same
packet, so the receipt survives (``labeler.xmp.merge_xmp`` keeps every other property).
"""

from __future__ import annotations

import html
import re

from ...errors import InputError
from ...label import Label
from ...model import Found
from ...problems import Problem
from ...xmp import AI_SOURCE_TYPES, NS_RDF, NS_TC260, PACKET_ID, merge_xmp, parse_xmp

NS_NOTICE = "urn:labeler:notice:1.0/"
NOTICE_PREFIX = "lbln"
RECEIPT_PROPERTY = "NoticeReceipt"
_EMPTY_DESCRIPTION = re.compile(
    r"<([\w.-]+):Description((?:\s+(?:xmlns:[\w.-]+|[\w.-]+:about)\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?:/>|>\s*</\1:Description\s*>)"
)


def labels_in_xmp(packet: bytes, carrier: str = "xmp:TC260:AIGC") -> list[Found]:
    """One ``Found`` per ``AIGC`` property in the packet (a malformed packet is reported, not raised)."""
    info = parse_xmp(packet)
    errors = tuple(p for p in info.problems if p.is_error)
    if errors and not info.aigc:
        if b"AIGC" in packet.upper():
            return [Found.of(carrier, b"", errors)]
        return []
    found = []
    for value in info.aigc:
        extra: tuple[Problem, ...] = tuple(p for p in info.problems if not p.is_error)
        name = carrier if value.namespace == NS_TC260 else f"xmp:{value.namespace or '?'}:AIGC"
        found.append(Found.of(name, value.text, extra))
    return found


def _prefixes(text: str, namespace: str) -> list[str]:
    pattern = r"xmlns:([\w.-]+)\s*=\s*[\"']" + re.escape(namespace) + r"[\"']"
    return list(dict.fromkeys(re.findall(pattern, text)))


def _drop_property(text: str, prefix: str, local: str) -> str:
    name = re.escape(f"{prefix}:{local}")
    return re.sub(rf"<{name}\b[^>]*/>|<{name}\b[^>]*>.*?</{name}\s*>", "", text, flags=re.DOTALL)


def tidy(packet: bytes) -> bytes:
    """Drop ``rdf:Description`` elements left with no properties by earlier merges."""
    return _EMPTY_DESCRIPTION.sub("", packet.decode("utf-8")).encode("utf-8")


def implicit_packet(existing: bytes | None, label: Label, source_type: str | None) -> bytes | None:
    """The packet with the label merged in, or None when ``existing`` already says exactly that."""
    label_json = label.require_writable().to_json()
    if existing:
        info = parse_xmp(existing)
        same = [v.text for v in info.aigc] == [label_json] and info.aigc[0].namespace == NS_TC260
        if same and (source_type is None or info.digital_source_type in AI_SOURCE_TYPES | {source_type}):
            return None
    return tidy(merge_xmp(existing, label_json, source_type))


def receipt_in(packet: bytes | None) -> str | None:
    if not packet or RECEIPT_PROPERTY.encode() not in packet:
        return None
    try:
        text = packet.decode("utf-8")
    except UnicodeDecodeError:
        return None
    for prefix in _prefixes(text, NS_NOTICE):
        match = re.search(
            rf"<{re.escape(prefix)}:{RECEIPT_PROPERTY}\b[^>]*>(.*?)</{re.escape(prefix)}:{RECEIPT_PROPERTY}\s*>", text, re.DOTALL
        )
        if match:
            return html.unescape(match.group(1))
    return None


def with_receipt(existing: bytes | None, receipt_json: str) -> bytes:
    """``existing`` (or a fresh packet) with the render receipt set, everything else kept."""
    description = (
        f'<rdf:Description rdf:about="" xmlns:{NOTICE_PREFIX}="{NS_NOTICE}">'
        f"<{NOTICE_PREFIX}:{RECEIPT_PROPERTY}>{html.escape(receipt_json)}</{NOTICE_PREFIX}:{RECEIPT_PROPERTY}></rdf:Description>"
    )
    if not existing or not existing.strip(b"\0 \t\r\n"):
        text = (
            f'<?xpacket begin="\ufeff" id="{PACKET_ID}"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
            f'<rdf:RDF xmlns:rdf="{NS_RDF}"></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
        )
    else:
        info = parse_xmp(existing)
        if any(p.is_error for p in info.problems):
            raise InputError(
                f"the existing XMP packet cannot be updated: {info.problems[0].message}; remove or repair it (e.g. exiftool -xmp:all= FILE)"
            )
        try:
            text = existing.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError("the existing XMP packet is not UTF-8; re-save it as UTF-8 XMP") from exc
        for prefix in _prefixes(text, NS_NOTICE):
            text = _drop_property(text, prefix, RECEIPT_PROPERTY)
    rdf = next(iter(_prefixes(text, NS_RDF)), None)
    closing = text.rfind(f"</{rdf}:RDF>") if rdf else -1
    if closing < 0:
        raise InputError("the existing XMP packet has no rdf:RDF element; remove or repair it")
    if rdf != "rdf":
        description = description.replace("rdf:", f"{rdf}:")
    return tidy((text[:closing] + description + text[closing:]).encode("utf-8"))
