"""C2PA signing and reading: round trips per format, tamper detection, trust, relabel detection."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file, verify_file
from labeler.c2pa import C2paSettings, SignalOptions, read_signals
from labeler.c2pa.formats import mime_type
from labeler.c2pa.pipeline import plan_signing, sign_output
from labeler.c2pa.pki import DevPki, make_test_pki
from labeler.label import Label
from labeler.labelling import SOURCE_TYPE_FOR_LABEL
from labeler.registry import sniff

from .c2pa_media import MEDIA, make_media, opens
from .conftest import PRODUCER, PROPAGATOR

AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return make_test_pki(tmp_path_factory.mktemp("pki"), "es256")


@pytest.fixture(scope="session")
def signing(pki: DevPki) -> C2paSettings:
    return C2paSettings(pki.chain, pki.key)


def _label(path: Path) -> Label:
    return Label(label="1", content_producer=PRODUCER, produce_id=path.stem)


#: The media kind each generated file is, so a file is labelled only by an adapter for its kind.
_KIND = {
    ".jpg": "image",
    ".png": "image",
    ".webp": "image",
    ".gif": "image",
    ".tif": "image",
    ".avif": "image",
    ".wav": "audio",
    ".flac": "audio",
    ".mp3": "audio",
    ".m4a": "audio",
    ".pdf": "document",
    ".docx": "document",
    ".mp4": "video",
    ".mov": "video",
}


def sign_or_label(src: Path, dst: Path, settings: C2paSettings) -> Label:
    """label_file with C2PA where an adapter for the format exists; else sign the file directly."""
    sniffed = sniff(src)
    if sniffed is not None and sniffed.adapter.media == _KIND[src.suffix]:
        result = label_file(src, dst, LabelOptions(producer=PRODUCER, c2pa=settings))
        assert result.status == "labelled", (result.error, result.actions)
        assert any(a.startswith("sign C2PA manifest embedded") for a in result.actions)
        assert result.label is not None
        return result.label
    label = _label(src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    plan = plan_signing(src, settings, label, content_changes=True)
    assert plan.mode == "embed", plan.action
    sign_output(plan, src, dst, label, AI, settings, dst.name)
    return label


def _skip_missing(name: str) -> None:
    if MEDIA[name][1] and not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed")


@pytest.mark.parametrize("name", sorted(MEDIA))
def test_round_trip(name: str, tmp_path: Path, signing: C2paSettings) -> None:
    _skip_missing(name)
    src = make_media(name, tmp_path / "in")
    dst = tmp_path / "out" / name
    label = sign_or_label(src, dst, signing)
    signals = read_signals(dst, label)
    c2pa = signals.c2pa
    assert c2pa is not None and c2pa.embedded
    assert c2pa.state == "Valid" and c2pa.untrusted, c2pa
    assert c2pa.actions[0] == "c2pa.created" and c2pa.digital_source_type == AI
    assert c2pa.tc260 == label
    assert c2pa.claim_generator.startswith("labeler ")
    assert (c2pa.signer or {}).get("common_name") == "labeler test signer"
    assert not list(signals.problems), signals.problems
    opens(dst)
    # Thumbnails are off: the manifest adds kilobytes, not a re-encoded copy of the picture.
    assert dst.stat().st_size - src.stat().st_size < 64 * 1024 or sniff(src) is not None


def _tamper_offset(data: bytes) -> int:
    """A byte outside the manifest store: c2pa puts it near the head or appends it at the end."""
    store = data.find(b"jumb")
    return len(data) - 200 if store < len(data) // 2 else store // 2


@pytest.mark.parametrize("name", ["photo.jpg", "photo.png", "voice.wav", "voice.flac", "report.pdf", "clip.mp4"])
def test_one_flipped_byte_is_invalid(name: str, tmp_path: Path, signing: C2paSettings) -> None:
    _skip_missing(name)
    src = make_media(name, tmp_path / "in")
    dst = tmp_path / "out" / name
    label = sign_or_label(src, dst, signing)
    data = bytearray(dst.read_bytes())
    data[_tamper_offset(bytes(data))] ^= 0x01
    dst.write_bytes(bytes(data))
    signals = read_signals(dst, label)
    assert signals.c2pa is not None and signals.c2pa.state == "Invalid"
    assert any(p.rule == "c2pa.invalid" and not p.is_error for p in signals.problems)
    required = read_signals(dst, label, SignalOptions(require_c2pa=True))
    assert any(p.rule == "c2pa.invalid" and p.is_error for p in required.problems)


def test_trust_anchors_make_it_trusted(tmp_path: Path, pki: DevPki, signing: C2paSettings) -> None:
    dst = tmp_path / "out" / "photo.jpg"
    sign_or_label(make_media("photo.jpg", tmp_path / "in"), dst, signing)
    untrusted = verify_file(dst)
    assert untrusted.signals is not None and untrusted.signals.c2pa is not None
    assert untrusted.signals.c2pa.state == "Valid" and "signingCredential.untrusted" in untrusted.signals.c2pa.failures
    trusted = verify_file(dst, signals=SignalOptions(trust_anchors=pki.root))
    assert trusted.signals is not None and trusted.signals.c2pa is not None
    assert trusted.signals.c2pa.state == "Trusted" and not trusted.signals.c2pa.failures
    other = make_test_pki(tmp_path / "other", "es256")
    stranger = verify_file(dst, signals=SignalOptions(trust_anchors=other.root))
    assert stranger.signals is not None and stranger.signals.c2pa is not None and stranger.signals.c2pa.state == "Valid"


@pytest.mark.parametrize("alg", ["ps256", "ed25519"])
def test_other_algorithms(alg: str, tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path / "pki", alg)
    dst = tmp_path / "out" / "photo.png"
    label = sign_or_label(make_media("photo.png", tmp_path / "in"), dst, C2paSettings(pki.chain, pki.key, alg))
    c2pa = read_signals(dst, label, SignalOptions(trust_anchors=pki.root)).c2pa
    assert c2pa is not None and c2pa.state == "Trusted"
    assert (c2pa.signer or {}).get("alg", "").lower() == alg


def test_relabel_after_signing_is_detected(tmp_path: Path, signing: C2paSettings) -> None:
    signed = tmp_path / "out" / "photo.png"
    result = label_file(make_media("photo.png", tmp_path / "in"), signed, LabelOptions(producer=PRODUCER, c2pa=signing))
    assert result.status == "labelled" and result.verdict is not None and result.verdict.status == "compliant"
    relabel = label_file(signed, None, LabelOptions(role="propagator", propagator=PROPAGATOR, in_place=True))
    assert relabel.status == "labelled", relabel.error
    assert any(a.startswith("note: the file's C2PA manifest will no longer validate") for a in relabel.actions)
    verdict = verify_file(signed)
    assert verdict.status == "compliant"  # GB 45438 does not require C2PA: reported, not failed
    assert verdict.signals is not None and verdict.signals.c2pa is not None
    assert verdict.signals.c2pa.state == "Invalid"
    rules = {p.rule for p in verdict.signals.problems}
    assert {"c2pa.invalid", "crosscheck.c2pa-tc260"} <= rules
    required = verify_file(signed, signals=SignalOptions(require_c2pa=True))
    assert required.status == "invalid"
    document = required.to_dict()
    assert any(p.startswith("c2pa.invalid: ") for p in document["signals"]["problems"])


def test_relabel_with_signing_again_is_valid_and_idempotent(tmp_path: Path, signing: C2paSettings) -> None:
    out = tmp_path / "out" / "photo.png"
    label_file(make_media("photo.png", tmp_path / "in"), out, LabelOptions(producer=PRODUCER, c2pa=signing))
    again = label_file(out, None, LabelOptions(producer=PRODUCER, c2pa=signing, in_place=True))
    assert again.status == "unchanged", again.actions
    assert any(a.startswith("C2PA manifest already up to date") for a in again.actions)
    propagated = label_file(out, None, LabelOptions(role="propagator", propagator=PROPAGATOR, c2pa=signing, in_place=True))
    assert propagated.status == "labelled", propagated.error
    signals = read_signals(out, propagated.label)
    assert signals.c2pa is not None and signals.c2pa.state == "Valid" and signals.c2pa.manifests == 2
    assert signals.c2pa.tc260 == propagated.label and not signals.problems
    assert signals.c2pa.actions == ("c2pa.opened", "c2pa.edited") and signals.c2pa.ingredients == ("parentOf: photo.png",)


def test_a_generator_manifest_is_kept_as_parent_ingredient(tmp_path: Path, signing: C2paSettings) -> None:
    from labeler.c2pa.sign import sign_embedded

    generated = tmp_path / "gen" / "photo.png"
    raw = make_media("photo.png", tmp_path / "raw")
    generated.parent.mkdir()
    sign_embedded(raw, generated, "image/png", None, AI, signing, "photo.png")  # stands in for the generator's manifest
    out = tmp_path / "out" / "photo.png"
    result = label_file(generated, out, LabelOptions(producer=PRODUCER, c2pa=signing))
    assert result.status == "labelled", result.error
    assert any("the input's own manifest (Valid, labeler" in a and "kept as parentOf ingredient" in a for a in result.actions)
    c2pa = read_signals(out, result.label).c2pa
    assert c2pa is not None and c2pa.state == "Valid" and c2pa.manifests == 2
    assert c2pa.actions == ("c2pa.opened", "c2pa.edited") and c2pa.digital_source_type == AI
    assert c2pa.ingredients == ("parentOf: photo.png",) and c2pa.tc260 == result.label


def test_label_2_uses_the_composite_source_type(tmp_path: Path, signing: C2paSettings) -> None:
    out = tmp_path / "out" / "photo.jpg"
    result = label_file(make_media("photo.jpg", tmp_path / "in"), out, LabelOptions(producer=PRODUCER, label="2", c2pa=signing))
    assert result.status == "labelled", result.error
    signals = read_signals(out, result.label)
    assert SOURCE_TYPE_FOR_LABEL["2"] == COMPOSITE
    assert signals.c2pa is not None and signals.c2pa.digital_source_type == COMPOSITE
    assert signals.iptc is not None and signals.iptc.digital_source_type == COMPOSITE


def test_failed_signature_leaves_no_output(tmp_path: Path, pki: DevPki) -> None:
    other = make_test_pki(tmp_path / "rsa", "ps256")
    src = make_media("photo.png", tmp_path / "in")
    out = tmp_path / "out"
    wrong_key = C2paSettings(pki.chain, other.key, "es256")
    result = label_file(src, out / "photo.png", LabelOptions(producer=PRODUCER, c2pa=wrong_key))
    assert result.status == "failed" and "C2PA signing failed" in (result.error or "")
    assert not out.exists() or not any(out.iterdir())
    self_signed = C2paSettings(pki.root, pki.key, "es256")
    result = label_file(src, out / "photo.png", LabelOptions(producer=PRODUCER, c2pa=self_signed))
    assert result.status == "failed" and "self-signed" in (result.error or "")
    assert not out.exists() or not any(out.iterdir())


def test_unsignable_formats_get_a_note(tmp_path: Path, signing: C2paSettings) -> None:
    src = tmp_path / "in" / "post.md"
    src.parent.mkdir()
    src.write_text("# Launch\n\nCopy written by a model.\n", encoding="utf-8")
    result = label_file(src, tmp_path / "out" / "post.md", LabelOptions(producer=PRODUCER, c2pa=signing))
    assert result.status == "labelled", result.error
    assert "C2PA not signed: c2pa cannot embed a manifest in MD files (pass --c2pa-sidecar for NAME.c2pa)" in result.actions
    assert result.verdict is not None and result.verdict.signals is not None and result.verdict.signals.c2pa is None
    assert not (tmp_path / "out" / "post.md.c2pa").exists()


def test_sidecar_manifest_for_text(tmp_path: Path, signing: C2paSettings) -> None:
    src = tmp_path / "in" / "note.txt"
    src.parent.mkdir()
    src.write_text("A note written by a model.\n", encoding="utf-8")
    out = tmp_path / "out" / "note.txt"
    sidecar = C2paSettings(signing.cert, signing.key, sidecar=True)
    result = label_file(src, out, LabelOptions(producer=PRODUCER, c2pa=sidecar))
    assert result.status == "labelled", result.error
    manifest = out.with_name("note.txt.c2pa")
    assert manifest.is_file()
    c2pa = read_signals(out, result.label).c2pa
    assert c2pa is not None and not c2pa.embedded and c2pa.state == "Valid" and c2pa.tc260 == result.label
    from labeler.batch import discover

    items, _ = discover([tmp_path / "out"])
    assert [i.path.name for i in items] == ["note.txt"]  # neither sidecar is taken for a file to check
    out.write_text(out.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    broken = read_signals(out, result.label).c2pa
    assert broken is not None and broken.state == "Invalid"


def test_files_without_a_manifest_never_call_c2pa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import c2pa

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("c2pa.Reader called for a file without JUMBF")

    monkeypatch.setattr(c2pa.Reader, "try_create", refuse)
    for name in ("photo.jpg", "voice.wav", "report.pdf"):
        path = make_media(name, tmp_path)
        signals = read_signals(path, None)
        assert signals.c2pa is None and signals.to_dict()["c2pa"] is None


def test_damaged_store_is_a_finding_not_an_error(tmp_path: Path, signing: C2paSettings) -> None:
    dst = tmp_path / "out" / "photo.jpg"
    label = sign_or_label(make_media("photo.jpg", tmp_path / "in"), dst, signing)
    data = bytearray(dst.read_bytes())
    start = data.find(b"jumd")
    data[start + 20 : start + 60] = b"\x00" * 40  # wreck the store's description boxes
    dst.write_bytes(bytes(data))
    verdict = verify_file(dst)
    assert verdict.status != "error"
    assert verdict.signals is not None and verdict.signals.c2pa is not None
    assert verdict.signals.c2pa.state in ("Invalid", "Unreadable")
    assert any(p.rule in ("c2pa.invalid", "c2pa.unreadable") for p in verdict.signals.problems)
    json.dumps(verdict.to_dict())
    del label


def test_mime_sniffing_table() -> None:
    assert mime_type("a.bin", b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert mime_type("a.bin", b"RIFF\0\0\0\0WAVE") == "audio/wav"
    assert mime_type("a.bin", b"\0\0\0\x1cftypavif") == "image/avif"
    assert mime_type("a.bin", b"\0\0\0\x1cftypM4A ") == "audio/mp4"
    assert mime_type("a.bin", b"\0\0\0\x1cftypisom") == "video/mp4"
    assert mime_type("a.ogg", b"OggS\0") is None
    assert mime_type("a.webm", b"\x1aE\xdf\xa3") is None
    assert mime_type("a.txt", b"\xff\xfeh\0i\0") is None  # a UTF-16 BOM is not an MPEG frame
    assert mime_type("a.mp3", b"\xff\xfb\x90\x64") == "audio/mpeg"
    assert mime_type("a.zip", b"PK\x03\x04") is None
    assert mime_type("a.pptx", b"PK\x03\x04").endswith("presentation")


def test_oversized_or_garbage_sidecar_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from labeler.c2pa import read as c2pa_read

    path = make_media("voice.wav", tmp_path)
    side = path.with_name("voice.wav.c2pa")
    side.write_bytes(b"not a manifest store")
    garbage = read_signals(path, None)
    assert garbage.c2pa is not None and garbage.c2pa.state == "Unreadable" and not garbage.c2pa.embedded
    assert [p.rule for p in garbage.problems] == ["c2pa.unreadable"]
    monkeypatch.setattr(c2pa_read, "MAX_SIDECAR_BYTES", 8)
    big = read_signals(path, None)
    assert big.c2pa is not None and big.c2pa.state == "Unreadable" and "limit" in (big.c2pa.error or "")


def test_inspect_text_shows_the_signals(tmp_path: Path, signing: C2paSettings, capsys: pytest.CaptureFixture[str]) -> None:
    from labeler.cli import main

    src = make_media("photo.jpg", tmp_path / "in")
    dst = tmp_path / "out" / src.name
    sign_or_label(src, dst, signing)
    assert main(["inspect", str(dst)]) == 0
    out = capsys.readouterr().out
    assert "  c2pa: Valid (embedded, signed by labeler test signer), actions c2pa.created" in out
    assert "  iptc: DigitalSourceType http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia (AI)" in out
