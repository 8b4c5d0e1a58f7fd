"""Bad image input: every case is a clean per-file error (what + how to fix), the batch goes on,
and no partial output is left behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from labeler import LabelOptions, label_file, verify_file
from labeler.cli import main
from labeler.errors import InputError
from labeler.model import WriteOptions
from labeler.registry import sniff

from .conftest import FIXTURES, PRODUCER

CASES = FIXTURES / "cases" / "image"
#: case -> words the error must contain
BAD = {
    "jpeg-truncated.jpg": "truncated",
    "jpeg-empty.jpg": "empty",
    "png-truncated.png": "truncated",
    "png-bad-crc.png": "CRC",
    "png-decompression-bomb.png": "max_pixels",
    "jpeg-xmp-xml-bomb.jpg": "hostile",
    "jpeg-xmp-unclosed-tags.jpg": "not well-formed",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_a_clean_error_without_output(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / name
    result = label_file(CASES / name, out, LabelOptions(producer=PRODUCER))
    assert result.status == "failed"
    assert BAD[name] in result.error, result.error
    assert "internal error" not in result.error and "Traceback" not in result.error
    assert not out.exists()
    assert not any((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


@pytest.mark.parametrize(
    "name", ["jpeg-truncated.jpg", "png-truncated.png", "png-bad-crc.png", "png-decompression-bomb.png", "jpeg-empty.jpg"]
)
def test_verify_reports_error_status(name: str) -> None:
    verdict = verify_file(CASES / name)
    assert verdict.status == "error" and verdict.error


@pytest.mark.parametrize("name", ["jpeg-xmp-xml-bomb.jpg", "jpeg-xmp-unclosed-tags.jpg"])
def test_hostile_or_broken_xmp_with_a_label_is_invalid(name: str) -> None:
    verdict = verify_file(CASES / name)
    assert verdict.status == "invalid"


def test_pixel_limit_can_be_raised(tmp_path: Path) -> None:
    src = tmp_path / "big.png"
    Image.new("RGB", (1200, 900), (40, 90, 160)).save(src)
    adapter = sniff(src).adapter
    with pytest.raises(InputError, match="1,080,000 pixels"):
        adapter.write_explicit(src, tmp_path / "a.png", LabelOptions().notice, WriteOptions(max_pixels=1_000_000))
    adapter.write_explicit(src, tmp_path / "b.png", LabelOptions().notice, WriteOptions(max_pixels=2_000_000))
    assert (tmp_path / "b.png").stat().st_size > 0


def test_wrong_extension_is_sniffed_by_content(tmp_path: Path) -> None:
    src = CASES / "png-really-named.jpg"
    assert sniff(src).adapter.name == "png"
    result = label_file(src, tmp_path / "o.jpg", LabelOptions(producer=PRODUCER))
    assert result.ok and result.verdict.status == "compliant"
    assert (tmp_path / "o.jpg").read_bytes().startswith(b"\x89PNG")


def test_unreadable_path_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "photo.jpg"
    folder.mkdir()
    assert verify_file(folder).status == "error"
    assert label_file(folder, tmp_path / "o.jpg", LabelOptions(producer=PRODUCER)).status == "failed"


def test_large_existing_xmp_and_extended_xmp_label_fine(tmp_path: Path) -> None:
    for name in ("jpeg-xmp-60kb.jpg", "jpeg-extended-xmp.jpg"):
        result = label_file(CASES / name, tmp_path / name, LabelOptions(producer=PRODUCER))
        assert result.ok and result.verdict.status == "compliant", result.error


def test_label_too_big_for_app1_is_a_clear_error(tmp_path: Path) -> None:
    from labeler.adapters.image import jpeg

    src = CASES / "jpeg-xmp-60kb.jpg"
    data = src.read_bytes()
    packet = jpeg.xmp_packet(data)
    pad = 65_400 - len(jpeg.XMP_NS) - len(packet) - 7
    bigger = packet.replace(b"</rdf:RDF>", b"<!--" + b"y" * pad + b"--></rdf:RDF>")
    path = tmp_path / "huge-xmp.jpg"
    path.write_bytes(jpeg.with_xmp(data, bigger))  # fits alone; not with the label added
    result = label_file(path, tmp_path / "o.jpg", LabelOptions(producer=PRODUCER))
    assert not result.ok and "64 KB" in result.error


def test_legacy_label_moves_to_xmp_so_one_label_remains(tmp_path: Path) -> None:
    for name in ("jpeg-exif-usercomment-aigc.jpg", "png-text-aigc-wrapped.png", "jpeg-exif-imagedescription-aigc.jpg"):
        out = tmp_path / name
        result = label_file(CASES / name, out, LabelOptions(producer=PRODUCER))
        assert result.ok, result.error
        found = sniff(out).adapter.read_labels(out)
        assert [f.carrier for f in found] == ["xmp:TC260:AIGC"]
        assert found[0].label.produce_id == "doubao-7f3a"  # the producer's ID is kept
        with Image.open(out) as image:
            image.load()


def test_batch_continues_past_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("jpeg-truncated.jpg", "png-bad-crc.png", "jpeg-empty.jpg"):
        shutil.copyfile(CASES / name, folder / name)
    shutil.copyfile(FIXTURES / "samples/image/png-rgb.png", folder / "good.png")
    code = main(["label", str(folder), "--out", str(tmp_path / "out"), "--producer", PRODUCER, "--no-progress"])
    assert code == 1
    assert verify_file(tmp_path / "out" / "good.png").status == "compliant"
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["good.png"]
