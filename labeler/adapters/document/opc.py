"""Open Packaging Conventions plumbing: content types, relationships, custom properties.

Parts are parsed with defusedxml (to read) and edited by splicing text (to write), so every byte
of a part outside the spliced element survives; each edited part is re-parsed before it is used.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from html import escape  # xml.sax.saxutils would import urllib and ssl (~50 ms)

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ...errors import InputError
from ...xmp import parse_xml

CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
CUSTOM_PART = "docProps/custom.xml"
CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
NS_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'


def parse(data: bytes, name: str) -> ET.Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(
            f"the part {name!r} declares a DTD or entities (possibly hostile); refused: Office never writes them, "
            "so open and re-save the file in Office"
        ) from exc
    except ET.ParseError as exc:
        raise InputError(f"the part {name!r} is not well-formed XML ({exc}); the file is corrupt: re-save it in Office") from exc


def parse_carrier(data: bytes, name: str) -> ET.Element:
    """A part that carries the label, parsed within labeler's carrier size and depth limits."""
    try:
        return parse_xml(data, f"the part {name!r}")
    except ValueError as exc:
        raise InputError(f"{exc}; the file is corrupt or hostile: re-save it in Office") from exc


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the part {name!r} is not UTF-8 XML; re-save the file in Office") from exc


def prefix_for(text: str, namespace: str) -> str | None:
    """``"w:"`` for ``xmlns:w="ns"``, ``""`` for a default namespace, None if undeclared."""
    match = re.search(r"xmlns(?::([\w.-]+))?\s*=\s*[\"']" + re.escape(namespace) + r"[\"']", text)
    if match is None:
        return None
    return f"{match.group(1)}:" if match.group(1) else ""


def insert_before_close(text: str, root_local: str, fragment: str) -> str:
    """Put ``fragment`` as the last child of the root element (expanding ``<root/>``)."""
    closing = re.search(rf"</((?:[\w.-]+:)?){root_local}\s*>\s*$", text)
    if closing:
        return text[: closing.start()] + fragment + text[closing.start() :]
    empty = re.search(rf"<((?:[\w.-]+:)?){root_local}\b([^>]*?)/>", text)
    if empty is None:
        raise InputError(f"cannot find the <{root_local}> element to edit; the package is damaged: open and re-save it in Office")
    return (
        text[: empty.start()]
        + f"<{empty.group(1)}{root_local}{empty.group(2)}>{fragment}</{empty.group(1)}{root_local}>"
        + text[empty.end() :]
    )


# --- relationships ---------------------------------------------------------------------------


def rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def relationships(data: bytes | None, name: str) -> list[dict[str, str]]:
    if data is None:
        return []
    return [dict(el.attrib) for el in parse(data, name) if local(el.tag) == "Relationship"]


def resolve(source_part: str, target: str) -> str:
    """A relationship target as a package part name (no leading slash)."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def add_relationship(data: bytes | None, rel_type: str, target: str) -> tuple[bytes, str]:
    """The .rels part with one more relationship, and the new relationship id."""
    text = decode(data, "rels") if data is not None else f'{XML_DECL}<Relationships xmlns="{NS_RELS}"></Relationships>'
    ids = set(re.findall(r"\bId\s*=\s*[\"']([^\"']+)[\"']", text))
    numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(r"rId(\d+)", i))]
    rel_id = f"rId{max(numbers, default=0) + 1}"
    prefix = prefix_for(text, NS_RELS) or ""
    fragment = f'<{prefix}Relationship Id="{escape(rel_id)}" Type="{escape(rel_type)}" Target="{escape(target)}"/>'
    return insert_before_close(text, "Relationships", fragment).encode("utf-8"), rel_id


# --- content types ---------------------------------------------------------------------------


def content_type_of(data: bytes, part: str) -> str | None:
    root = parse(data, CONTENT_TYPES)
    wanted = "/" + part.lower()
    for el in root:
        if local(el.tag) == "Override" and el.get("PartName", "").lower() == wanted:
            return el.get("ContentType")
    extension = posixpath.splitext(part)[1].lstrip(".").lower()
    for el in root:
        if local(el.tag) == "Default" and el.get("Extension", "").lower() == extension:
            return el.get("ContentType")
    return None


def add_override(data: bytes, part: str, content_type: str) -> bytes:
    text = decode(data, CONTENT_TYPES)
    prefix = prefix_for(text, "http://schemas.openxmlformats.org/package/2006/content-types") or ""
    fragment = f'<{prefix}Override PartName="{escape("/" + part)}" ContentType="{escape(content_type)}"/>'
    return insert_before_close(text, "Types", fragment).encode("utf-8")


# --- custom properties -----------------------------------------------------------------------

_PROPERTY = re.compile(r"<((?:[\w.-]+:)?)property\b([^>]*?)(?:/>|>(.*?)</\1property\s*>)", re.S)
_NAME = re.compile(r"\bname\s*=\s*(\"[^\"]*\"|'[^']*')")
_PID = re.compile(r"\bpid\s*=\s*[\"'](\d+)[\"']")


def custom_labels(data: bytes) -> list[tuple[str, str]]:
    """(property name, value) for every custom property whose name contains AIGC."""
    root = parse_carrier(data, CUSTOM_PART)
    found = []
    for prop in root:
        name = prop.get("name", "")
        if local(prop.tag) == "property" and "AIGC" in name.upper():
            value = next((child.text or "" for child in prop), prop.text or "")
            found.append((name, value))
    return found


def set_custom_label(data: bytes | None, label_json: str) -> bytes:
    """custom.xml with exactly one ``AIGC`` property holding ``label_json``; other properties kept."""
    if data is None:
        return (
            f'{XML_DECL}<Properties xmlns="{NS_CUSTOM}" xmlns:vt="{NS_VT}">'
            f'<property fmtid="{FMTID}" pid="2" name="AIGC"><vt:lpwstr>{escape(label_json)}</vt:lpwstr></property>'
            "</Properties>"
        ).encode()
    parse_carrier(data, CUSTOM_PART)
    text = decode(data, CUSTOM_PART)
    vt = prefix_for(text, NS_VT)
    value = (
        f"<{vt}lpwstr>{escape(label_json)}</{vt}lpwstr>"
        if vt is not None
        else f'<vt:lpwstr xmlns:vt="{NS_VT}">{escape(label_json)}</vt:lpwstr>'
    )
    named = [(m, n.group(1)[1:-1].upper()) for m in _PROPERTY.finditer(text) if (n := _NAME.search(m.group(2)))]
    matches = [m for m, name in named if "AIGC" in name]
    exact = next((m for m, name in named if name == "AIGC"), matches[0] if matches else None)
    prefix = prefix_for(text, NS_CUSTOM) or ""
    if exact is not None:
        kept = _PID.search(exact.group(2))
        pid = kept.group(1) if kept else str(max([int(p) for p in _PID.findall(text)] + [1]) + 1)
        element = f'<{exact.group(1)}property fmtid="{FMTID}" pid="{pid}" name="AIGC">{value}</{exact.group(1)}property>'
        for match in sorted(matches, key=lambda m: m.start(), reverse=True):  # one label per file
            text = text[: match.start()] + (element if match is exact else "") + text[match.end() :]
    else:
        pids = [int(p) for p in _PID.findall(text)]
        element = f'<{prefix}property fmtid="{FMTID}" pid="{max(pids + [1]) + 1}" name="AIGC">{value}</{prefix}property>'
        text = insert_before_close(text, "Properties", element)
    result = text.encode("utf-8")
    if custom_labels(result) != [("AIGC", label_json)]:
        raise InputError("editing docProps/custom.xml did not leave exactly one AIGC property; the part is unusual: re-save it in Office")
    return result
