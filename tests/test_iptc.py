"""IPTC DigitalSourceType from a format-agnostic XMP scan, and the TC260 cross-checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from labeler import LabelOptions, label_file, verify_file
from labeler.c2pa import IptcSignal, SignalOptions, read_signals, scan
from labeler.c2pa.read import C2paSignal
from labeler.c2pa.signals import cross_check, read_iptc
from labeler.label import Label
from labeler.xmp import DST_BASE, build_xmp

from .c2pa_media import make_media
from .conftest import PRODUCER

LABEL_1 = Label(label="1", content_producer=PRODUCER, produce_id="x1")


def _packet(source_type: str) -> bytes:
    return build_xmp(LABEL_1.to_json(), source_type)


def test_scan_finds_a_packet_in_any_bytes(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00junk" * 100 + _packet(DST_BASE + "digitalCapture") + b"\xfftrailer")
    signals = read_signals(path, None)
    assert signals.iptc == IptcSignal(DST_BASE + "digitalCapture") and not signals.iptc.ai
    assert signals.c2pa is None


def test_scan_reads_head_and_tail_of_large_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "WHOLE_LIMIT", 4096)
    monkeypatch.setattr(scan, "EDGE", 1024)
    path = tmp_path / "big.bin"
    path.write_bytes(b"\x00" * 8192 + _packet(DST_BASE + "trainedAlgorithmicMedia"))
    parts = scan.windows(path)
    assert [p.offset for p in parts] == [0, path.stat().st_size - 1024]
    assert read_iptc(scan.xmp_packets(parts)) == IptcSignal(DST_BASE + "trainedAlgorithmicMedia")
    buried = tmp_path / "buried.bin"
    buried.write_bytes(b"\x00" * 4096 + _packet(DST_BASE + "digitalCapture") + b"\x00" * 4096)
    assert read_iptc(scan.xmp_packets(scan.windows(buried))) is None  # documented limit


def test_unterminated_or_oversized_packet_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    part = scan.Window(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b"a" * 2000, 0)
    assert scan.xmp_packets([part]) == []
    monkeypatch.setattr(scan, "MAX_XMP_BYTES", 100)
    long = scan.Window(b"<x:xmpmeta>" + b"a" * 200 + b"</x:xmpmeta>", 0)
    assert scan.xmp_packets([long]) == []


def test_hostile_packet_gives_no_signal() -> None:
    hostile = b'<!DOCTYPE x [<!ENTITY e "boom">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&e;</x:xmpmeta>'
    assert read_iptc(scan.xmp_packets([scan.Window(hostile, 0)])) is None


@pytest.mark.parametrize(
    ("label", "source", "finding"),
    [
        ("1", "digitalCapture", True),
        ("1", "compositeCapture", True),
        ("1", "trainedAlgorithmicMedia", False),
        ("1", "compositeSynthetic", False),
        ("2", "digitalCapture", False),  # "possibly AI" next to a capture type is not a contradiction
    ],
)
def test_label_1_next_to_a_non_ai_source_type(label: str, source: str, finding: bool) -> None:
    tc260 = Label(label=label, content_producer=PRODUCER, produce_id="x1")
    iptc = IptcSignal(DST_BASE + source)
    c2pa = C2paSignal(state="Valid", embedded=True, digital_source_type=DST_BASE + source, tc260=tc260)
    rules = [p.rule for p in cross_check(tc260, c2pa, iptc, SignalOptions())]
    assert rules.count("crosscheck.source-type") == (2 if finding else 0)
    assert all(not p.is_error for p in cross_check(tc260, c2pa, iptc, SignalOptions()))


def test_c2pa_assertion_disagreeing_with_the_file_label() -> None:
    other = LABEL_1.with_fields(produce_id="someone-else")
    c2pa = C2paSignal(state="Valid", embedded=True, tc260=other)
    problems = cross_check(LABEL_1, c2pa, None, SignalOptions())
    assert [p.rule for p in problems] == ["crosscheck.c2pa-tc260"]
    assert "someone-else" in problems[0].message and not problems[0].is_error
    assert cross_check(LABEL_1, C2paSignal(state="Valid", embedded=True, tc260=LABEL_1), None, SignalOptions()) == []


def test_require_c2pa_fails_a_file_without_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out" / "photo.jpg"
    result = label_file(make_media("photo.jpg", tmp_path / "in"), out, LabelOptions(producer=PRODUCER))
    assert result.status == "labelled", result.error
    plain = verify_file(out)
    assert plain.status == "compliant" and plain.signals is not None and plain.signals.c2pa is None
    assert plain.signals.iptc is not None and plain.signals.iptc.ai
    required = verify_file(out, signals=SignalOptions(require_c2pa=True))
    assert required.status == "invalid"
    assert [str(p).split(":")[0] for p in required.problems() if p.is_error] == ["c2pa.missing"]


def test_labelled_capture_source_type_is_reported(tmp_path: Path) -> None:
    out = tmp_path / "out" / "photo.png"
    options = LabelOptions(producer=PRODUCER, source_type="digitalCapture")
    result = label_file(make_media("photo.png", tmp_path / "in"), out, options)
    assert result.status == "labelled", result.error
    verdict = verify_file(out)
    assert verdict.status == "compliant"  # a warning, never a failure on its own
    assert verdict.signals is not None and verdict.signals.iptc == IptcSignal(DST_BASE + "digitalCapture")
    assert [p.rule for p in verdict.signals.problems] == ["crosscheck.source-type"]
    assert verdict.to_dict()["signals"]["warnings"][0].startswith("crosscheck.source-type: TC260 Label 1")
