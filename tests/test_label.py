from __future__ import annotations

import json

import pytest

from labeler import Label, LabelFormatError, parse_label, parse_provider_code
from labeler.label import KEY_NAMES, expand_id_template, provider_problems, uscc_check_char

from .conftest import PRODUCER

GOOD = Label(label="1", content_producer=PRODUCER, produce_id="abc123")


def rules(parsed) -> set[str]:
    return {p.rule for p in parsed.problems}


def test_serialises_in_standard_order_compact() -> None:
    text = GOOD.to_json()
    assert text == (
        '{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"abc123",'
        '"ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
    )
    assert list(json.loads(text)) == list(KEY_NAMES)
    assert GOOD.to_wrapped_json() == '{"AIGC":' + text + "}"


def test_label_is_immutable() -> None:
    with pytest.raises(AttributeError):
        GOOD.label = "2"  # type: ignore[misc]


@pytest.mark.parametrize("text", [GOOD.to_json(), GOOD.to_wrapped_json(), "  " + GOOD.to_json() + "\n"])
def test_parses_bare_wrapped_and_padded(text: str) -> None:
    parsed = parse_label(text)
    assert parsed.label == GOOD
    assert not [p for p in parsed.problems if p.is_error]
    assert parsed.wrapped == text.startswith('{"AIGC"')


def test_xml_entities_tolerated_and_reported() -> None:
    parsed = parse_label(GOOD.to_json().replace('"', "&quot;"))
    assert parsed.label == GOOD
    assert "label.xml-entities" in rules(parsed)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (
            '{"Label":1,"ContentProducer":"a","ProduceID":"b","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
            "label.non-string",
        ),
        ('{"Label":"1","ContentProducer":"a","ProduceID":"b"}', "label.missing-key"),
        (
            '{"Label":"1","ContentProducer":"a","ProduceID":"b","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":"","Extra":"x"}',
            "label.unknown-key",
        ),
        (
            '{"Label":"4","ContentProducer":"a","ProduceID":"b","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
            "label.bad-value",
        ),
        (
            '{"Label":"1","ContentProducer":"豆包","ProduceID":"b","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
            "label.forbidden-char",
        ),
        (
            '{"Label":"1","ContentProducer":"a b","ProduceID":"b","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
            "label.forbidden-char",
        ),
        (
            '{"Label":"1","Label":"2","ContentProducer":"a","ProduceID":"b","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
            "label.duplicate-key",
        ),
        (
            '{"ContentProducer":"a","Label":"1","ProduceID":"b","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
            "label.key-order",
        ),
        (
            '{"Label":"1","ContentProducer":"a\\u0000","ProduceID":"b","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
            "label.forbidden-char",
        ),
        ("not json at all", "label.not-json"),
        ("[1, 2]", "label.not-object"),
        ("[" * 5000 + "]" * 5000, "label.too-deep"),  # refused before json.loads can recurse
    ],
)
def test_each_deviation_is_named(text: str, rule: str) -> None:
    assert rule in rules(parse_label(text))


def test_base64_is_read_but_invalid() -> None:
    import base64

    parsed = parse_label(base64.b64encode(GOOD.to_json().encode()).decode())
    assert parsed.label == GOOD
    assert "label.base64" in rules(parsed)


def test_oversized_and_invalid_utf8() -> None:
    assert "label.too-large" in rules(parse_label(b"{" + b" " * 70000 + b"}"))
    assert "label.invalid-utf8" in rules(parse_label(b'{"Label":"\xff"}'))


def test_strict_write_names_field_and_character() -> None:
    with pytest.raises(LabelFormatError, match=r"ContentProducer.*'豆'"):
        Label(content_producer="豆包", produce_id="x").require_writable()
    with pytest.raises(ValueError, match="Label"):  # LabelFormatError is a ValueError too
        Label(label="9", content_producer="x", produce_id="y").require_writable()
    assert GOOD.require_writable() is GOOD


@pytest.mark.parametrize(
    "code", ["001191110102MACQD9K64010000", "00119144030008867405X210001", "00119144030008867405X220001", "001191440300708461136T1308L"]
)
def test_real_provider_codes_pass(code: str) -> None:
    parsed = parse_provider_code(code)
    assert parsed is not None and parsed.uscc_valid
    assert parsed.version == "00" and parsed.subject_type == "1" and parsed.binding == "1"


def test_provider_code_parts() -> None:
    code = parse_provider_code("00119144030008867405X220001")
    assert code.uscc == "9144030008867405X2" and code.service_type == "2" and code.model_code == "0001"


def test_uscc_check_detects_typo() -> None:
    assert uscc_check_char("91110102MACQD9K64") == "0"
    bad = "001191110102MACQD9K64X10000"  # check character changed
    assert {p.rule for p in provider_problems("ContentProducer", bad)} == {"provider.bad-uscc"}


def test_role_mismatch_and_names() -> None:
    assert {p.rule for p in provider_problems("ContentPropagator", "00119144030008867405X210001")} == {"provider.role-mismatch"}
    assert {p.rule for p in provider_problems("ContentProducer", "00119144030008867405X220001")} == {"provider.role-mismatch"}
    assert parse_provider_code("AcmeAI") is None and provider_problems("ContentProducer", "AcmeAI") == []


def test_id_templates() -> None:
    sha = "ab" * 32
    assert expand_id_template("{sha256:8}-{stem}", sha256=sha, stem="poster") == "abababab-poster"
    assert len(expand_id_template("{uuid}", sha256=sha, stem="x")) == 32
    with pytest.raises(LabelFormatError, match="unknown placeholder"):
        expand_id_template("{nope}", sha256=sha, stem="x")
