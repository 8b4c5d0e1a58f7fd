"""The format rows (``labeler.facts``) are true of real files, and what is generated from them agrees.

Each adapter declares its formats once; sniffing and the C2PA MIME lookup read those rows. These
tests hold the rows to the clean samples made by independent tools (fixtures/samples/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labeler.c2pa.formats import mime_type, unsignable_kind
from labeler.facts import MAGIC, WEAK, C2pa, Signature, extensions_of, identify, suffix_of
from labeler.registry import ADAPTERS, HEAD_SIZE, WEAK_SCORE, sniff
from labeler.sidecar import is_sidecar

from .conftest import FIXTURES

SAMPLES = sorted(p for p in (FIXTURES / "samples").rglob("*") if p.is_file() and not is_sidecar(p))
IDS = [str(p.relative_to(FIXTURES / "samples")) for p in SAMPLES]


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD_SIZE)


def test_every_adapter_declares_its_formats() -> None:
    for adapter in ADAPTERS:
        assert adapter.formats, adapter.name
        assert adapter.extensions == extensions_of(adapter.formats), adapter.name
        for fmt in adapter.formats:
            assert fmt.extensions and fmt.mime and fmt.reader, (adapter.name, fmt.label)
            assert all(e == e.lower() and "." not in e for e in fmt.extensions), fmt.label


def test_score_constants() -> None:
    assert WEAK_SCORE == WEAK < MAGIC
    sig = Signature(0, b"RIFF", ((8, b"WAVE"),))
    assert sig.matches(b"RIFF\0\0\0\0WAVEfmt ") and not sig.matches(b"RIFF\0\0\0\0AVI ")
    assert sig.specificity == 8 and sig.weight == MAGIC


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_sample_matches_its_declared_row(sample: Path) -> None:
    """A sample's content shows a signature of a row of the adapter that took it, or that adapter
    declares a row without signatures (recognised by content) for its extension."""
    head = _head(sample)
    sniffed = sniff(sample)
    assert sniffed is not None
    rows = sniffed.adapter.formats
    matched = [f for f in rows if f.matched(head) is not None]
    by_content = [f for f in rows if not f.signatures and suffix_of(sample.name) in f.extensions]
    assert matched or by_content, f"{sample.name}: no signature of {sniffed.adapter.name}'s rows is in the head"


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_c2pa_mime_follows_the_row(sample: Path) -> None:
    """c2pa gets a MIME type exactly for the rows declared signable."""
    head = _head(sample)
    adapter = sniff(sample).adapter  # type: ignore[union-attr]
    row = next(f for f in adapter.formats if suffix_of(sample.name) in f.extensions)
    if row.c2pa is C2pa.NONE:
        assert mime_type(sample.name, head) is None
        assert unsignable_kind(sample.name, head)
    else:
        assert mime_type(sample.name, head) is not None, row.label


def test_zip_packages_are_told_apart_by_extension() -> None:
    rows = [f for a in ADAPTERS for f in a.formats]
    assert identify(rows, "a.pptx", b"PK\x03\x04").label == "PPTX"  # type: ignore[union-attr]
    assert identify(rows, "a.zip", b"PK\x03\x04") is None
    assert mime_type("a.dotx", b"PK\x03\x04") is None  # templates: c2pa 0.38 does not sign them
    assert unsignable_kind("a.dotx", b"PK\x03\x04") == "DOTX/DOTM"
    assert unsignable_kind("a.ogg", b"OggS\0") == "OGG Vorbis/Opus"
    assert unsignable_kind("a.md", b"# title\n") == "MD"


def test_the_most_specific_signature_names_the_format() -> None:
    assert mime_type("a.bin", b"\0\0\0\x1cftypqt  ") == "video/quicktime"  # ftyp + brand beats ftyp alone
    assert mime_type("a.bin", b"\0\0\0\x1cftypmif1") == "image/heif"
    assert mime_type("a.mov", b"\0\0\0\x08moov") is None  # QuickTime without ftyp: c2pa cannot embed
    assert mime_type("a.tif", b"II+\0") is None  # BigTIFF
