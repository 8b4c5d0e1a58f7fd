"""Contract tests generated from the ADAPTERS table and the clean samples in fixtures/samples/.

For every sample: implicit-only labelling leaves the source byte-identical and round-trips the
label; full labelling verifies compliant, and the output opens in the independent reader its format
row declares (``Format.reader``: Pillow, mutagen, ffprobe, PyMuPDF, zipfile, Python's codecs);
labelling the output again is idempotent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from labeler import Label, LabelOptions, label_file, verify_file
from labeler.registry import ADAPTERS, sniff
from labeler.sidecar import is_sidecar, read_sidecar

from .conftest import FIXTURES, PRODUCER, ROOT, sha256

sys.path.insert(0, str(ROOT / "scripts"))
from fuzz_campaign import READERS, opens_in_reference_reader, reader_of

SAMPLES = sorted(p for p in (FIXTURES / "samples").rglob("*") if p.is_file() and not is_sidecar(p))
IDS = [str(p.relative_to(FIXTURES / "samples")) for p in SAMPLES]


def labels_in(path: Path) -> list[Label | None]:
    adapter = sniff(path).adapter
    found = adapter.read_labels(path) + (read_sidecar(path) if adapter.carrier is None else [])
    return [f.label for f in found]


def test_every_adapter_has_samples() -> None:
    covered = {sniff(p).adapter.name for p in SAMPLES if sniff(p)}
    missing = {a.name for a in ADAPTERS} - covered
    assert not missing, f"adapters without a sample in fixtures/samples/: {sorted(missing)}"


def test_every_format_names_a_reference_reader() -> None:
    unknown = {f"{a.name}/{f.label}: {f.reader!r}" for a in ADAPTERS for f in a.formats if f.reader not in READERS}
    assert not unknown, f"format rows naming a reader the contract cannot run: {sorted(unknown)}"


@pytest.mark.parametrize("reader", sorted(set(READERS) - {"text"}))
def test_reference_readers_can_refuse(reader: str, tmp_path: Path) -> None:
    """Each reader the contract relies on rejects bytes that are not its format (it is a real check)."""
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01junk" * 50)
    try:
        accepted = READERS[reader](junk)
    except Exception:  # noqa: BLE001 - raising is how most readers refuse
        accepted = False
    assert accepted is False


def test_adapter_names_unique() -> None:
    names = [a.name for a in ADAPTERS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_sample_is_sniffed_and_unlabelled(sample: Path) -> None:
    assert sniff(sample) is not None
    verdict = verify_file(sample)
    assert verdict.status in ("unlabelled", "missing-implicit-unverified", "missing-implicit"), verdict.to_dict()
    assert not verdict.implicit.present


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_implicit_round_trip_keeps_source(sample: Path, tmp_path: Path) -> None:
    before = sha256(sample)
    out = tmp_path / sample.name
    result = label_file(sample, out, LabelOptions(producer=PRODUCER, produce_id="contract-1", explicit=False))
    assert result.ok, result.error
    assert sha256(sample) == before
    assert labels_in(out) == [Label(label="1", content_producer=PRODUCER, produce_id="contract-1")]


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_full_label_verifies_and_is_idempotent(sample: Path, tmp_path: Path) -> None:
    before = sha256(sample)
    first, second = tmp_path / "1" / sample.name, tmp_path / "2" / sample.name
    result = label_file(sample, first, LabelOptions(producer=PRODUCER))
    assert result.ok, result.error
    assert result.verdict.status == "compliant", result.verdict.to_dict()
    assert sha256(sample) == before
    assert opens_in_reference_reader(first), f"{reader_of(first)} rejects the labelled {sample.name}"
    again = label_file(first, second, LabelOptions(producer=PRODUCER))
    assert again.ok, again.error
    assert any("already present" in a for a in again.actions), again.actions
    assert sha256(second) == sha256(first), "relabelling a labelled file must not change it"
    assert len(labels_in(second)) == 1
