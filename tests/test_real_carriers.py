"""Read what real tools write, and name each deviation (issue 13 item 9).

Every input is made by an independent tool: exiftool (PNG Comment, EXIF ImageDescription, XMP with
misspelt keys), Pillow (JPEG/PNG pixels; an APP11 ``AIGC{...}`` blob spliced in the way the
non-standard writers seen in the wild do), pillow-heif (a HEIF whose XMP item starts with the JPEG
APP1 header), mutagen (ID3 COMM), ffmpeg (MP4 comment, WAV ICMT), or written by hand (sidecars).
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeler import LabelOptions, label_file, verify_file
from labeler.registry import sniff

from .conftest import PRODUCER, ROOT

LABEL = {
    "Label": "1",
    "ContentProducer": PRODUCER,
    "ProduceID": "vendor-42",
    "ReservedCode1": "",
    "ContentPropagator": "",
    "PropagateID": "",
    "ReservedCode2": "",
}
BARE = json.dumps(LABEL, separators=(",", ":"))
WRAPPED = json.dumps({"AIGC": LABEL}, separators=(",", ":"))
CONFIG = ROOT / "labeler" / "data" / "exiftool-tc260.config"
needs_exiftool = pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool is not installed")


def picture(path: Path, fmt: str | None = None) -> Path:
    Image.fromarray(np.random.default_rng(11).integers(0, 255, (60, 80, 3), dtype=np.uint8)).save(path, fmt)
    return path


def exiftool(path: Path, *tags: str) -> Path:
    subprocess.run(["exiftool", "-config", str(CONFIG), "-q", "-overwrite_original", *tags, str(path)], check=True)
    return path


def rules(path: Path) -> dict[str, bool]:
    """rule id -> is it an error, for the implicit findings of ``path``."""
    return {p.rule: p.is_error for p in verify_file(path).implicit.problems}


def read(path: Path) -> list[tuple[str, str | None]]:
    return [(f.carrier, f.label.produce_id if f.label else None) for f in sniff(path).adapter.read_labels(path)]


@needs_exiftool
def test_png_comment_with_the_wrapped_label(tmp_path: Path) -> None:
    png = exiftool(picture(tmp_path / "comment.png"), f"-PNG:Comment={WRAPPED}")
    assert read(png) == [("png:tEXt:Comment", "vendor-42")]
    assert rules(png) == {"implicit.comment-field": False}
    out = tmp_path / "out" / "comment.png"
    result = label_file(png, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    assert [c for c, _ in read(out)] == ["xmp:TC260:AIGC"]  # moved, not duplicated (6.1 c)
    assert "Comment" not in Image.open(out).text


@needs_exiftool
def test_bare_json_in_image_description_is_read_and_refused(tmp_path: Path) -> None:
    jpeg = exiftool(picture(tmp_path / "desc.jpg"), f"-EXIF:ImageDescription={BARE}")
    assert read(jpeg) == [("exif:ImageDescription", "vendor-42")]
    verdict = verify_file(jpeg)
    assert verdict.status == "invalid" and {p.rule for p in verdict.implicit.problems if p.is_error} == {"implicit.no-aigc-key"}
    assert verdict.classification == "ai-generated"  # read: the label still classifies the file
    out = tmp_path / "out" / "desc.jpg"
    assert label_file(jpeg, out, LabelOptions(producer=PRODUCER, explicit=False)).ok
    assert [c for c, _ in read(out)] == ["xmp:TC260:AIGC"]
    described = subprocess.run(["exiftool", "-s3", "-EXIF:ImageDescription", str(out)], capture_output=True, text=True).stdout
    assert "ContentProducer" not in described


@needs_exiftool
def test_misspelt_keys_of_third_party_libraries(tmp_path: Path) -> None:
    misspelt = BARE.replace('"ReservedCode1"', '"ReserveCode1"').replace('"ContentPropagator"', '"Propagator"')
    jpeg = exiftool(picture(tmp_path / "keys.jpg"), f"-XMP-TC260:AIGC={misspelt}")
    verdict = verify_file(jpeg)
    assert verdict.implicit.label is not None and verdict.implicit.label.produce_id == "vendor-42"
    found = [str(p) for p in verdict.implicit.problems if p.rule == "label.misspelt-key"]
    assert len(found) == 2 and "'ReserveCode1'" in found[0] + found[1] and "'ContentPropagator'" in found[0] + found[1]
    assert not any(p.rule in ("label.missing-key", "label.unknown-key") for p in verdict.implicit.problems)
    assert verdict.status == "invalid"


def test_bare_aigc_blob_in_a_jpeg_app_segment(tmp_path: Path) -> None:
    clean = picture(tmp_path / "clean.jpg").read_bytes()
    payload = b"AIGC" + BARE.encode()
    blob = b"\xff\xeb" + struct.pack(">H", len(payload) + 2) + payload  # APP11, right after SOI
    jpeg = tmp_path / "blob.jpg"
    jpeg.write_bytes(clean[:2] + blob + clean[2:])
    assert Image.open(jpeg).size == (80, 60)  # still a valid JPEG for Pillow
    assert read(jpeg) == [("jpeg:APP11:AIGC", "vendor-42")]
    assert rules(jpeg) == {"implicit.jpeg-app-blob": False}
    out = tmp_path / "out" / "blob.jpg"
    assert label_file(jpeg, out, LabelOptions(producer=PRODUCER, explicit=False)).ok
    assert [c for c, _ in read(out)] == ["xmp:TC260:AIGC"] and b"AIGC{" not in out.read_bytes()


def test_heif_xmp_item_with_the_jpeg_app1_header(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
        f"<TC260:AIGC>{BARE.replace(chr(34), '&quot;')}</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    heic = tmp_path / "headed.heic"
    image = Image.fromarray(np.random.default_rng(2).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    image.save(heic, "HEIF", xmp=b"http://ns.adobe.com/xap/1.0/\0" + packet.encode(), quality=50)
    assert b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta" in heic.read_bytes()
    assert read(heic) == [("xmp:TC260:AIGC", "vendor-42")]
    assert rules(heic) == {"xmp.jpeg-header": False}
    if shutil.which("exiftool"):  # the independent reader sees the same label
        shown = subprocess.run(
            ["exiftool", "-config", str(CONFIG), "-s3", "-XMP-TC260:AIGC", str(heic)], capture_output=True, text=True
        ).stdout
        assert "vendor-42" in shown
    out = tmp_path / "out" / "headed.heic"
    result = label_file(heic, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    assert read(out) == [("xmp:TC260:AIGC", "vendor-42")] and rules(out) == {}


def test_sidecar_beside_a_format_with_an_in_file_carrier(tmp_path: Path) -> None:
    jpeg = picture(tmp_path / "photo.jpg")
    (tmp_path / "photo.jpg.aigc.json").write_text(BARE, encoding="utf-8")
    alone = verify_file(jpeg)
    assert alone.implicit.carrier == "sidecar" and alone.status == "invalid"
    assert {p.rule: p.is_error for p in alone.implicit.problems} == {"implicit.sidecar-not-in-file": True}
    out = tmp_path / "out" / "photo.jpg"
    assert label_file(jpeg, out, LabelOptions(producer=PRODUCER, produce_id="vendor-42", explicit=False)).ok
    shutil.copyfile(tmp_path / "photo.jpg.aigc.json", out.parent / "photo.jpg.aigc.json")
    both = verify_file(out)
    assert both.implicit.carrier == "xmp:TC260:AIGC"
    assert {p.rule: p.is_error for p in both.implicit.problems} == {"implicit.sidecar-not-in-file": False, "implicit.duplicate": False}


def ffmpeg(*args: str) -> None:
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed")
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def relabelled_carriers(src: Path, tmp_path: Path) -> list[str]:
    out = tmp_path / "out" / src.name
    result = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    return [c for c, _ in read(out)]


def test_id3_comm_with_the_wrapped_label(tmp_path: Path) -> None:
    from mutagen.id3 import COMM, ID3

    mp3 = tmp_path / "comm.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libmp3lame", "-b:a", "64k", str(mp3))
    tags = ID3()
    tags.add(COMM(encoding=3, lang="eng", desc="", text=[WRAPPED]))
    tags.save(mp3)
    assert read(mp3) == [("id3:COMM", "vendor-42")]
    assert rules(mp3) == {"implicit.comment-field": False}
    assert relabelled_carriers(mp3, tmp_path) == ["id3:TXXX:AIGC"]
    assert ID3(tmp_path / "out" / "comm.mp3").getall("COMM") == []


def test_wav_info_icmt_written_by_ffmpeg(tmp_path: Path) -> None:
    wav = tmp_path / "icmt.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-metadata", f"comment={WRAPPED}", str(wav))
    assert b"ICMT" in wav.read_bytes()
    assert read(wav) == [("riff:LIST/INFO:ICMT", "vendor-42")]
    assert rules(wav) == {"implicit.comment-field": False}
    assert relabelled_carriers(wav, tmp_path) == ["riff:AIGC"]
    assert b"ICMT" not in (tmp_path / "out" / "icmt.wav").read_bytes()


def test_mp4_comment_written_by_ffmpeg(tmp_path: Path) -> None:
    mp4 = tmp_path / "cmt.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=64x48:r=10:d=1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-metadata",
        f"comment={WRAPPED}",
        str(mp4),
    )
    assert b"\xa9cmt" in mp4.read_bytes()
    assert read(mp4) == [("mp4:©cmt", "vendor-42")]
    assert rules(mp4) == {"implicit.comment-field": False}
    assert relabelled_carriers(mp4, tmp_path) == ["mp4:mdta:AIGC"]
    assert b"\xa9cmt" not in (tmp_path / "out" / "cmt.mp4").read_bytes()
