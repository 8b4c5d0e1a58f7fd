"""Classification uses every signal (Measures Art. 6): C2PA and IPTC AI source types make an
unlabelled file ``suspected-ai``, the report says which signal decided, and a propagator writes
Label 3 on such a file by default.

The C2PA files are built with c2pa-python directly, as a generator and a converter would (the
OpenAI gpt-image shape: ``c2pa.created`` + trainedAlgorithmicMedia only inside the ingredient's
manifest, the active manifest just ``opened``/``converted``); the IPTC files with exiftool.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from labeler import LabelOptions, label_file, verify_file
from labeler.c2pa.pki import DevPki, make_test_pki

from .conftest import PROPAGATOR

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI = DST + "trainedAlgorithmicMedia"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return make_test_pki(tmp_path_factory.mktemp("pki"), "es256")


def _picture(path: Path, seed: int = 5) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (96, 128, 3), dtype=np.uint8)).save(path)
    return path


def _sign(src: Path, dst: Path, pki: DevPki, actions: list[dict[str, Any]], parent: Path | None = None) -> Path:
    import c2pa

    settings = c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}, "verify": {"remote_manifest_fetch": False}})
    definition = {
        "claim_generator_info": [{"name": "test-generator", "version": "1.0"}],
        "title": src.name,
        "format": "image/png",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}],
    }
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, pki.chain.read_bytes(), pki.key.read_bytes(), None))
    builder = c2pa.Builder(definition, c2pa.Context(settings))
    if parent is not None:
        with open(parent, "rb") as stream:
            builder.add_ingredient_from_stream({"title": parent.name, "relationship": "parentOf", "label": "parent"}, "image/png", stream)
    with open(src, "rb") as source, open(dst, "w+b") as dest:
        builder.sign(signer, "image/png", source, dest)
    signer.close()
    return dst


@pytest.fixture(scope="module")
def ingredient_ai(tmp_path_factory: pytest.TempPathFactory, pki: DevPki) -> Path:
    """A generator's signed output, then converted and signed again with it as the parent ingredient."""
    folder = tmp_path_factory.mktemp("openai-shape")
    generated = _sign(_picture(folder / "raw.png"), folder / "generated.png", pki, [{"action": "c2pa.created", "digitalSourceType": AI}])
    return _sign(
        generated,
        folder / "converted.png",
        pki,
        [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}}, {"action": "c2pa.converted"}],
        parent=generated,
    )


def _exiftool_source_type(path: Path, value: str) -> Path:
    if not shutil.which("exiftool"):
        pytest.skip("exiftool is not installed")
    subprocess.run(["exiftool", "-q", "-overwrite_original", f"-XMP-iptcExt:DigitalSourceType={value}", str(path)], check=True)
    return path


def test_ai_source_type_in_an_ingredient_manifest_makes_it_suspected(ingredient_ai: Path) -> None:
    verdict = verify_file(ingredient_ai)
    c2pa = verdict.signals.c2pa
    assert c2pa is not None and c2pa.digital_source_type is None and c2pa.ingredient_source_type == AI, c2pa
    assert verdict.classification == "suspected-ai" and verdict.classification_source == "c2pa-ingredient"
    entry = verdict.to_dict()
    assert entry["classification_source"] == "c2pa-ingredient" and entry["signals"]["c2pa"]["ingredient_source_type"] == AI
    assert verdict.status in ("unlabelled", "missing-implicit-unverified") and not verdict.passed  # a trace is no TC260 label


def test_ai_source_type_in_the_active_manifest(tmp_path: Path, pki: DevPki) -> None:
    signed = _sign(_picture(tmp_path / "raw.png"), tmp_path / "created.png", pki, [{"action": "c2pa.created", "digitalSourceType": AI}])
    verdict = verify_file(signed)
    assert (verdict.classification, verdict.classification_source) == ("suspected-ai", "c2pa")


def test_a_camera_source_type_is_no_trace(tmp_path: Path, pki: DevPki) -> None:
    signed = _sign(
        _picture(tmp_path / "raw.png"),
        tmp_path / "camera.png",
        pki,
        [{"action": "c2pa.created", "digitalSourceType": DST + "digitalCapture"}],
    )
    verdict = verify_file(signed)
    assert (verdict.classification, verdict.classification_source) == ("none", None)
    photo = _exiftool_source_type(_picture(tmp_path / "photo.png"), DST + "digitalCapture")
    assert verify_file(photo).classification == "none"


def test_iptc_digital_source_type_written_by_exiftool(tmp_path: Path) -> None:
    image = tmp_path / "iptc.jpg"
    _picture(tmp_path / "raw.png").rename(tmp_path / "raw2.png")
    Image.open(tmp_path / "raw2.png").save(image, "JPEG")
    _exiftool_source_type(image, AI)
    verdict = verify_file(image)
    assert verdict.signals.iptc is not None and verdict.signals.iptc.ai
    assert (verdict.classification, verdict.classification_source) == ("suspected-ai", "iptc")


def test_propagator_writes_label_3_on_a_declared_file_and_label_overrides(ingredient_ai: Path, tmp_path: Path) -> None:
    result = label_file(ingredient_ai, tmp_path / "out.png", LabelOptions(role="propagator", propagator=PROPAGATOR, explicit=False))
    assert result.ok, result.error
    assert result.label is not None and result.label.label == "3" and result.label.content_producer == ""
    assert any("c2pa-ingredient metadata declares AI-generated content: Label 3" in a for a in result.actions)
    labelled = verify_file(tmp_path / "out.png")
    assert (labelled.classification, labelled.classification_source) == ("suspected-ai", "tc260")
    declared = label_file(
        ingredient_ai, tmp_path / "declared.png", LabelOptions(role="propagator", propagator=PROPAGATOR, explicit=False, label="2")
    )
    assert declared.label is not None and declared.label.label == "2"
    plain = label_file(
        _picture(tmp_path / "plain" / "p.png"),
        tmp_path / "plain.png",
        LabelOptions(role="propagator", propagator=PROPAGATOR, explicit=False),
    )
    assert plain.label is not None and plain.label.label == "2"  # no trace: the uploader's declaration, "possibly"
