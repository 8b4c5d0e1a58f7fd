"""Someone else's label is not ours to erase (issue 14 item 9).

The inputs carry a real provider's label written by exiftool, not by labeler: Tencent Yuanbao's
code in an EXIF UserComment (``{"AIGC":{...}}``, as Tencent ships it) and, for the conflict case,
a second producer's label in XMP through labeler's shipped exiftool config.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from labeler import Label, LabelOptions, label_file, verify_file
from labeler.adapters.image import JpegAdapter

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool writes the third-party labels")

TENCENT = "001191440300708461136T1308L"
OURS = "001191110102MACQD9K64010000"
OTHER = "00119144030008867405X210001"
TENCENT_LABEL = Label(content_producer=TENCENT, produce_id="yb-20260101-0001")
CONFIG = Path(__file__).resolve().parent.parent / "labeler" / "data" / "exiftool-tc260.config"


def _jpeg(tmp: Path, *tags: str) -> Path:
    path = tmp / "yuanbao.jpg"
    Image.new("RGB", (320, 240), "navy").save(path, quality=90)
    subprocess.run(["exiftool", "-config", str(CONFIG), "-q", "-overwrite_original", *tags, str(path)], check=True)
    return path


def _tencent(tmp: Path, *more: str) -> Path:
    return _jpeg(tmp, "-UserComment=" + json.dumps({"AIGC": TENCENT_LABEL.as_dict()}, separators=(",", ":")), *more)


def _exif(path: Path) -> dict[str, object]:
    out = subprocess.run(
        ["exiftool", "-config", str(CONFIG), "-j", "-G1", "-a", "-UserComment", "-XMP-TC260:all", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)[0]


def _labels(path: Path) -> dict[str, Label | None]:
    return {f.carrier: f.label for f in JpegAdapter().read_labels(path)}


def test_producer_relabel_of_someone_elses_file_is_refused(tmp_path: Path) -> None:
    src = _tencent(tmp_path)
    before = src.read_bytes()
    out = tmp_path / "out" / src.name
    result = label_file(src, out, LabelOptions(producer=OURS, explicit=False))
    assert result.status == "failed"
    assert TENCENT in (result.error or "") and "yb-20260101-0001" in (result.error or "")
    assert "--role propagator" in (result.error or "") and "--force-producer" in (result.error or "")
    assert src.read_bytes() == before and not out.exists()


def test_propagator_keeps_their_fields_and_moves_the_label(tmp_path: Path) -> None:
    src = _tencent(tmp_path)
    out = tmp_path / "out" / src.name
    result = label_file(src, out, LabelOptions(role="propagator", propagator=OURS, propagate_id="p1", explicit=False))
    assert result.status == "labelled", result.error
    labels = _labels(out)
    assert list(labels) == ["xmp:TC260:AIGC"]  # one label per file: the legacy copy was moved, not duplicated
    moved = labels["xmp:TC260:AIGC"]
    assert moved is not None
    assert (moved.label, moved.content_producer, moved.produce_id) == ("1", TENCENT, "yb-20260101-0001")
    assert (moved.content_propagator, moved.propagate_id) == (OURS, "p1")
    assert TENCENT in str(_exif(out).get("XMP-TC260:AIGC"))  # exiftool reads the moved label too
    assert verify_file(out, check_explicit=False).implicit.label == moved


def test_force_producer_replaces_and_says_what_it_replaced(tmp_path: Path) -> None:
    src = _tencent(tmp_path)
    out = tmp_path / "out" / src.name
    result = label_file(src, out, LabelOptions(producer=OURS, produce_id="ours-1", explicit=False, force_producer=True))
    assert result.status == "labelled", result.error
    replaced = [a for a in result.actions if a.startswith("replace another producer's label")]
    assert len(replaced) == 1 and "exif:UserComment" in replaced[0] and TENCENT in replaced[0] and "yb-20260101-0001" in replaced[0]
    labels = _labels(out)
    assert list(labels) == ["xmp:TC260:AIGC"]
    assert labels["xmp:TC260:AIGC"] == Label(content_producer=OURS, produce_id="ours-1")


def test_our_own_relabel_is_not_refused(tmp_path: Path) -> None:
    src = _jpeg(tmp_path, "-UserComment=" + json.dumps({"AIGC": Label(content_producer=OURS, produce_id="old").as_dict()}))
    result = label_file(src, tmp_path / "out" / src.name, LabelOptions(producer=OURS, label="2", explicit=False))
    assert result.status == "labelled", result.error
    assert not any(a.startswith("replace another") for a in result.actions)
    assert _labels(result.output) == {"xmp:TC260:AIGC": Label(label="2", content_producer=OURS, produce_id="old")}  # our earlier ID kept


def test_two_producers_in_one_file_neither_is_erased_silently(tmp_path: Path) -> None:
    other = Label(content_producer=OTHER, produce_id="jm-7").to_json()
    src = _tencent(tmp_path, f"-XMP-TC260:AIGC={other}")
    assert set(_labels(src)) == {"xmp:TC260:AIGC", "exif:UserComment"}
    result = label_file(src, tmp_path / "out" / src.name, LabelOptions(role="propagator", propagator=OURS, explicit=False))
    assert result.status == "failed" and "another producer's label" in (result.error or "")
    lost = (result.error or "").split("not ours to erase:")[1].split(";")[0]
    assert TENCENT in lost and OTHER not in lost  # names the label that would be lost
    forced = label_file(
        src, tmp_path / "forced" / src.name, LabelOptions(role="propagator", propagator=OURS, explicit=False, force_producer=True)
    )
    assert forced.status == "labelled", forced.error
    assert any(a.startswith("replace another producer's label") for a in forced.actions)


def test_cli_flag_and_report(tmp_path: Path) -> None:
    src = _tencent(tmp_path)
    os.chmod(src, 0o644)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    base = [sys.executable, "-m", "labeler", "label", str(src), "--producer", OURS, "--no-explicit", "--format", "json", "--no-progress"]
    refused = subprocess.run([*base, "--out", str(tmp_path / "a")], capture_output=True, text=True, env=env, check=False)
    assert refused.returncode == 1
    entry = json.loads(refused.stdout)["files"][0]
    assert entry["status"] == "failed" and "--force-producer" in entry["error"]
    forced = subprocess.run([*base, "--out", str(tmp_path / "b"), "--force-producer"], capture_output=True, text=True, env=env, check=False)
    assert forced.returncode == 0, forced.stderr
    entry = json.loads(forced.stdout)["files"][0]
    assert any(TENCENT in a for a in entry["actions"] if a.startswith("replace another producer's label"))
