"""The HTML report for non-engineers: plain sentences first (rule ids and carriers folded under
<details>), each finding once, and an audio waveform drawn as a min/max envelope.

Inputs come from independent tools: a text file written here, an image made with Pillow, a tone
made with sox and silence made with numpy/soundfile; the waveform PNG is decoded with Pillow.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeler.model import Evidence, Presence
from labeler.problems import error, warning
from labeler.render.preview import WAVE, audio_preview
from labeler.report import RunInfo, render
from labeler.verify import ExplicitResult, Verdict, verify_file

from .conftest import PRODUCER


def _card(page: str, name: str) -> str:
    """The <tbody> of the file called ``name``."""
    match = re.search(r'<tbody class="file"[^>]*>(?:(?!</tbody>).)*?' + re.escape(name) + r"(?:(?!</tbody>).)*</tbody>", page, re.DOTALL)
    assert match, f"no card for {name}"
    return match.group(0)


def _before_details(card: str, sentence: str) -> None:
    assert sentence in card, card
    assert "<details" in card and card.index(sentence) < card.index("<details"), "the plain sentence must come before the technical details"
    technical = card[card.index("<details") : card.index("</details>")]
    assert sentence not in technical


def test_missing_notice_is_said_plainly_before_the_details(tmp_path: Path) -> None:
    text = tmp_path / "post.txt"
    text.write_text("正文第一段。\n", encoding="utf-8")
    (tmp_path / "post.txt.aigc.json").write_text(
        f'{{"Label":"1","ContentProducer":"{PRODUCER}","ProduceID":"p1","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}}',
        encoding="utf-8",
    )
    verdict = verify_file(text)
    assert verdict.status == "missing-explicit"
    card = _card(render("html", [verdict], RunInfo(root=tmp_path)), "post.txt")
    _before_details(card, "The visible AI notice is missing. What to do: add one with `labeler label")
    technical = card[card.index("<details") :]
    assert "<code>explicit.missing</code>" in technical and "carrier: " in technical  # rule id and carrier folded away
    assert "explicit.missing" not in card[: card.index("<details")].split('data-search="', 1)[1].split('"', 1)[1]


def test_too_small_notice_names_the_measurement(tmp_path: Path) -> None:
    photo = tmp_path / "poster.png"
    Image.new("RGB", (800, 600), (40, 90, 160)).save(photo)
    evidence = Evidence(
        Presence.PRESENT,
        "notice 'AI生成' at bottom-right",
        "AI生成",
        "bottom-right",
        (error("notice.too-small", "notice text is 3.0% of the shortest side; GB 45438 requires at least 5%"),),
        {"box": [600, 540, 780, 580], "frame": [800, 600], "height_ratio": 0.03, "position": "bottom-right"},
    )
    verdict = Verdict(photo, "invalid", "image", "png", explicit=ExplicitResult(evidence))
    card = _card(render("html", [verdict], RunInfo(root=tmp_path)), "poster.png")
    _before_details(card, "The notice is too small: 3% of the short side, needs 5%.")
    assert "<code>notice.too-small</code>" in card[card.index("<details") :]


def test_a_repeated_warning_is_shown_once(tmp_path: Path) -> None:
    photo = tmp_path / "banner.png"
    Image.new("RGB", (400, 300), (200, 200, 200)).save(photo)
    again = warning("notice.borderline-size", "notice text measures 4.98% of the shortest side, within measurement tolerance of 5%")
    evidence = Evidence(
        Presence.PRESENT, "notice 'AI生成' at top-left", "AI生成", "top-left", (again, again, again), {"height_ratio": 0.0498}
    )
    verdict = Verdict(photo, "compliant", "image", "png", explicit=ExplicitResult(evidence))
    card = _card(render("html", [verdict], RunInfo(root=tmp_path)), "banner.png")
    assert card.count("The notice is just at the minimum size") == 1
    assert card.count("<code>notice.borderline-size</code>") == 1
    assert card.count("notice.borderline-size") == 2  # once in the filter's search text, once in the details


def _strip(uri: str | None) -> np.ndarray:
    assert uri is not None and uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("L")
    assert image.size == WAVE
    return np.asarray(image) < 100  # the waveform ink (the background is near white)


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")
def test_waveform_draws_a_tone_as_a_symmetric_band_and_silence_as_a_flat_line(tmp_path: Path) -> None:
    import soundfile

    tone = tmp_path / "tone.wav"  # 1 s of a 440 Hz sine at half of full scale, then 1 s of digital silence
    subprocess.run(
        ["sox", "-R", "-n", "-r", "16000", "-b", "16", str(tone), "synth", "1", "sine", "440", "vol", "0.5", "pad", "0", "1"],
        check=True,
        timeout=60,
    )
    ink = _strip(audio_preview(tone, {}))
    width, height = WAVE
    centre = (height - 1) / 2
    tone_columns = range(4, width // 2 - 4)
    spans = []
    for x in tone_columns:
        rows = np.flatnonzero(ink[:, x])
        assert rows.size and np.array_equal(rows, np.arange(rows[0], rows[-1] + 1)), f"column {x} is not one vertical line"
        assert abs((rows[0] + rows[-1]) / 2 - centre) <= 1, f"column {x} is not centred: {rows[0]}..{rows[-1]}"
        spans.append(rows[-1] - rows[0])
    # half of full scale is about half of the strip: a band, not a bar filling the strip
    assert 0.4 * height <= min(spans) and max(spans) <= 0.6 * height
    for x in range(width // 2 + 4, width - 4):
        rows = np.flatnonzero(ink[:, x])
        assert rows.size and rows[-1] - rows[0] <= 1 and abs(rows.mean() - centre) <= 1, f"silence at column {x} is not flat"

    quiet = tmp_path / "silence.wav"  # all-silent file (numpy): flat, not blown up to the strip's height
    soundfile.write(quiet, np.zeros(8000, dtype="float32"), 8000)
    ink = _strip(audio_preview(quiet, {}))
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows.size and rows[-1] - rows[0] <= 1 and abs(rows.mean() - centre) <= 1
