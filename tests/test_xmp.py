from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from labeler import InputError, Label
from labeler.xmp import DEFAULT_SOURCE_TYPE, NS_TC260, build_xmp, merge_xmp, parse_xmp

from .conftest import PRODUCER

LABEL = Label(content_producer=PRODUCER, produce_id="p1").to_json()
EXISTING = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:dc="http://purl.org/dc/elements/1.1/" pdfaid:part="2">'
    b'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Campaign</rdf:li></rdf:Alt></dc:title>'
    b'</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
)


def test_build_then_parse() -> None:
    info = parse_xmp(build_xmp(LABEL))
    assert [v.text for v in info.aigc] == [LABEL]
    assert info.aigc[0].form == "element" and info.aigc[0].namespace == NS_TC260
    assert info.digital_source_type == DEFAULT_SOURCE_TYPE
    assert b"&quot;" in build_xmp(LABEL)  # element form escapes quotes as real producers do


def test_attribute_form() -> None:
    packet = EXISTING.replace(
        b'pdfaid:part="2"',
        b'pdfaid:part="2" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" TC260:AIGC="' + LABEL.replace('"', "&quot;").encode() + b'"',
    )
    (value,) = parse_xmp(packet).aigc
    assert value.form == "attribute" and value.text == LABEL


def test_merge_keeps_everything_else_and_replaces_old_label() -> None:
    once = merge_xmp(EXISTING, Label(content_producer="old", produce_id="o").to_json())
    twice = merge_xmp(once, LABEL)
    info = parse_xmp(twice)
    assert [v.text for v in info.aigc] == [LABEL]
    for kept in (b'pdfaid:part="2"', b'<rdf:li xml:lang="x-default">Campaign</rdf:li>', b'<?xpacket end="w"?>'):
        assert kept in twice
    ET.fromstring(twice.split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0])  # still well-formed


def test_relabelling_does_not_accumulate_descriptions() -> None:
    counts = []
    packet = EXISTING
    for n in range(5):
        packet = merge_xmp(packet, Label(content_producer="p", produce_id=f"id{n}").to_json())
        counts.append(packet.count(b"<rdf:Description"))
    assert counts[1:] == [counts[1]] * 4 and counts[-1] <= 3  # original, kept source type, label
    assert merge_xmp(packet, LABEL) == merge_xmp(merge_xmp(packet, LABEL), LABEL)


def test_merge_keeps_ai_source_type_and_replaces_capture() -> None:
    composite = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
    capture = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
    assert parse_xmp(merge_xmp(build_xmp(LABEL, composite), LABEL)).digital_source_type == composite
    assert parse_xmp(merge_xmp(build_xmp(LABEL, capture), LABEL)).digital_source_type == DEFAULT_SOURCE_TYPE


BOMB = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&lol2;</x:xmpmeta>'
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&e;</x:xmpmeta>'


@pytest.mark.parametrize(
    ("packet", "rule"),
    [
        (BOMB, "xmp.hostile"),
        (EXTERNAL, "xmp.hostile"),
        (b"<x:xmpmeta><unclosed>", "xmp.malformed"),
        (b"<a>" + b" " * (17 * 1024 * 1024) + b"</a>", "xmp.too-large"),
    ],
)
def test_hostile_packets_are_reported_not_expanded(packet: bytes, rule: str) -> None:
    info = parse_xmp(packet)
    assert info.aigc == () and [p.rule for p in info.problems] == [rule]
    with pytest.raises(InputError):
        merge_xmp(packet, LABEL)


def test_foreign_namespace_is_read_with_warning() -> None:
    packet = build_xmp(LABEL).replace(NS_TC260.encode(), b"http://example.com/aigc/")
    info = parse_xmp(packet)
    assert [v.text for v in info.aigc] == [LABEL]
    assert [p.rule for p in info.problems] == ["xmp.namespace"]
