"""Contract tests generated from the ADAPTERS table and the clean samples in fixtures/samples/.

For every sample: implicit-only labelling leaves the source byte-identical and round-trips the
label; full labelling verifies compliant, and the output opens in the independent reader its format
row declares (``Format.reader``: Pillow, mutagen, ffprobe, PyMuPDF, zipfile, Python's codecs);
labelling the output again is idempotent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labeler import Label, LabelOptions, label_file, verify_file
from labeler.adapters.base import Adapter
from labeler.c2pa import C2paSettings, read_signals
from labeler.c2pa.pki import make_test_pki
from labeler.facts import C2pa, Format, suffix_of
from labeler.registry import ADAPTERS, sniff
from labeler.sidecar import is_sidecar, read_sidecar

from .conftest import FIXTURES, PRODUCER, ROOT, sha256

EXIFTOOL_CONFIG = ROOT / "labeler" / "data" / "exiftool-tc260.config"
sys.path.insert(0, str(ROOT / "scripts"))
from fuzz_campaign import READERS, opens_in_reference_reader, reader_of  # noqa: E402

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


def _first_sample(rows: tuple[Format, ...]) -> Path | None:
    """The first clean sample whose extension is one of ``rows``' and which sniffs to their adapter."""
    return next(
        (
            p
            for p in SAMPLES
            if any(suffix_of(p.name) in f.extensions for f in rows) and (s := sniff(p)) is not None and rows[0] in s.adapter.formats
        ),
        None,
    )


XMP_ADAPTERS = [a for a in ADAPTERS if (a.carrier or "").startswith("xmp:")]


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is the independent reader")
@pytest.mark.parametrize("adapter", XMP_ADAPTERS, ids=[a.name for a in XMP_ADAPTERS])
def test_exiftool_reads_the_xmp_label(adapter: Adapter, tmp_path: Path) -> None:
    """Every XMP-carrier format: ExifTool, with the shipped TC260 namespace config, reads the label."""
    sample = _first_sample(adapter.formats)
    assert sample is not None, adapter.name
    out = tmp_path / sample.name
    assert label_file(sample, out, LabelOptions(producer=PRODUCER, produce_id="exif-1", explicit=False)).ok
    shown = subprocess.run(
        ["exiftool", "-config", str(EXIFTOOL_CONFIG), "-j", "-XMP-TC260:AIGC", str(out)], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(json.loads(shown)[0]["AIGC"])["ProduceID"] == "exif-1"


BACKED = [(a, f) for a in ADAPTERS for f in a.formats if f.backend]


@pytest.mark.parametrize(("adapter", "fmt"), BACKED, ids=[f"{a.name}-{f.label}" for a, f in BACKED])
def test_missing_backend_refuses_the_notice_and_keeps_the_label(
    adapter: Adapter, fmt: Format, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the optional backend a format still takes its implicit label, and refuses the notice
    with a message naming the pip extra that installs it."""
    sample = _first_sample((fmt,))
    if sample is None:
        pytest.skip(f"no sample of {fmt.label}")
    monkeypatch.setitem(sys.modules, fmt.backend, None)  # import fails as when it is not installed
    implicit = label_file(sample, tmp_path / "implicit" / sample.name, LabelOptions(producer=PRODUCER, explicit=False))
    assert implicit.ok, implicit.error
    full = label_file(sample, tmp_path / "full" / sample.name, LabelOptions(producer=PRODUCER))
    assert not full.ok and f"[{fmt.extra}]" in (full.error or ""), full.error
    assert not (tmp_path / "full" / sample.name).exists()


SIGNABLE = [pytest.param(a, f, id=f"{a.name}-{f.label}") for a in ADAPTERS for f in a.formats if f.c2pa is not C2pa.NONE]


@pytest.fixture(scope="module")
def c2pa_settings(tmp_path_factory: pytest.TempPathFactory) -> C2paSettings:
    pki = make_test_pki(tmp_path_factory.mktemp("pki"), "es256")
    return C2paSettings(pki.chain, pki.key)


@pytest.mark.parametrize(("adapter", "fmt"), SIGNABLE)
def test_signable_formats_carry_a_valid_manifest(adapter: Adapter, fmt: Format, tmp_path: Path, c2pa_settings: C2paSettings) -> None:
    """Every row declared signable gets an embedded manifest that c2pa then validates, with the label."""
    sample = _first_sample((fmt,))
    if sample is None:
        pytest.skip(f"no sample of {fmt.label}")
    out = tmp_path / sample.name
    result = label_file(sample, out, LabelOptions(producer=PRODUCER, explicit=False, c2pa=c2pa_settings))
    assert result.ok, result.error
    assert any(a.startswith("sign C2PA manifest embedded") for a in result.actions), result.actions
    c2pa = read_signals(out, result.label).c2pa
    assert c2pa is not None and c2pa.embedded and c2pa.state == "Valid", c2pa
    assert c2pa.tc260 == result.label


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
