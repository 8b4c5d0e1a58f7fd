"""MPO (multi-picture JPEG): the primary image takes the label and the notice; the other images stay
byte for byte and the MP index (APP2 MPF) points at them. Inputs made by Pillow's MPO writer and
exiftool; outputs read by exiftool, Pillow and ImageMagick."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from labeler import LabelOptions, label_file

from .conftest import PRODUCER, sha256
from .image_tools import identify, lost_tags, needs_exiftool, needs_imagemagick, run

pytestmark = [needs_exiftool, needs_imagemagick]
#: MP index fields that must follow the primary image's new size.
MOVED = ("MPImage1:MPImageLength", "MPImage2:MPImageStart", "MPImage3:MPImageStart")


def mpo(tmp: Path) -> Path:
    base = Image.radial_gradient("L").resize((320, 240)).convert("RGB")
    views = [base, base.rotate(8), base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    path = tmp / "stereo.mpo"
    views[0].save(path, "MPO", save_all=True, append_images=views[1:], quality=88)
    run("exiftool", "-q", "-overwrite_original", "-Artist=Ann Example", "-Make=TestCam", str(path))
    return path


def binary(path: Path, tag: str) -> bytes:
    return subprocess.run(["exiftool", "-b", f"-{tag}", str(path)], check=True, capture_output=True).stdout


@pytest.mark.parametrize("explicit", [True, False])
def test_mpo_keeps_its_other_images_and_index(explicit: bool, tmp_path: Path) -> None:
    src = mpo(tmp_path)
    assert json.loads(run("exiftool", "-j", "-NumberOfImages", str(src)))[0]["NumberOfImages"] == 3
    before = sha256(src)
    out = tmp_path / "out" / src.name
    result = label_file(src, out, LabelOptions(producer=PRODUCER, ocr_check=False, explicit=explicit))
    assert result.ok, result.error
    assert result.verdict.status == ("compliant" if explicit else "unverified"), result.verdict.to_dict()
    assert sha256(src) == before
    assert binary(out, "MPImage2") == binary(src, "MPImage2") and binary(src, "MPImage2")[:2] == b"\xff\xd8"
    assert lost_tags(src, out, changed_ok=MOVED) == {}
    assert run("exiftool", "-validate", "-warning", "-s3", str(out)).split() == ["OK"]
    with Image.open(src) as a, Image.open(out) as b:  # Pillow finds the other images through the index
        assert a.format == b.format == "MPO" and a.n_frames == b.n_frames == 3
        for index in (1, 2):
            a.seek(index)
            b.seek(index)
            assert b.size == (320, 240) and a.tobytes() == b.tobytes()
    assert identify(out, "%w %h\\n")[0] == "320 240"
    again = label_file(out, tmp_path / "again" / src.name, LabelOptions(producer=PRODUCER, ocr_check=False, explicit=explicit))
    assert again.ok and sha256(again.output) == sha256(out), "relabelling an MPO changes nothing"
