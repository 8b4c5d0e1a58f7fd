"""The HTML report in a real headless browser (Debian's chromium): it renders the preview with the
notice box outlined and the audio cue marked, the filter works, and nothing taken from a file runs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeler.model import Evidence, Presence
from labeler.problems import error
from labeler.render.preview import CUE, OUTLINE
from labeler.report import RunInfo, render
from labeler.verify import ExplicitResult, Verdict, verify_file

from .conftest import FIXTURES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
HOSTILE_NAME = "<img src=x onerror=\"document.title='PWNED'\">.txt"
HOSTILE_PRODUCER = "<script>document.title='PWNED2'</script>"


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("html")
    photo = folder / "poster.png"
    image = Image.new("RGB", (800, 600), (40, 90, 160))
    image.paste((255, 255, 255), (600, 540, 780, 580))
    image.save(photo)
    box_evidence = Evidence(
        Presence.PRESENT,
        "notice 'AI生成' at bottom-right, text 3.0% of the shortest side",
        "AI生成",
        "bottom-right",
        (error("notice.too-small", "notice text measures 3.00% of the shortest side; GB 45438 requires at least 5%"),),
        {"box": [600, 540, 780, 580], "frame": [800, 600], "height_ratio": 0.03, "position": "bottom-right"},
    )
    image_verdict = Verdict(photo, "invalid", "image", "png", explicit=ExplicitResult(box_evidence))

    song = folder / "jingle.wav"
    rate = 8000
    t = np.arange(rate * 4) / rate
    import soundfile

    soundfile.write(song, (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 0.5 * t)) / 2).astype("float32"), rate)
    cue = Evidence(
        Presence.PRESENT,
        "Morse rhythm '.- ..' (AI) at the start",
        "short-long-short-short",
        "start",
        (),
        {"start": {"cue": "morse", "start_s": 0.2, "end_s": 1.4}},
    )
    audio_verdict = Verdict(song, "missing-implicit", "audio", "wav", explicit=ExplicitResult(cue))

    hostile = folder / HOSTILE_NAME
    hostile.write_text("本内容由人工智能生成\n正文。\n", encoding="utf-8")
    (folder / (HOSTILE_NAME + ".aigc.json")).write_text(
        '{"Label":"1","ContentProducer":"'
        + HOSTILE_PRODUCER.replace('"', "")
        + '","ProduceID":"x1","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
        encoding="utf-8",
    )
    hostile_verdict = verify_file(hostile)
    assert hostile_verdict.implicit.label is not None and hostile_verdict.implicit.label.content_producer == HOSTILE_PRODUCER

    cases = [verify_file(p) for p in sorted((FIXTURES / "cases" / "text").iterdir())]
    out = folder / "report.html"
    out.write_text(
        render("html", [image_verdict, audio_verdict, hostile_verdict, *cases], RunInfo(root=folder, gate_failed=True)), encoding="utf-8"
    )
    return out


def test_page_is_self_contained_and_escapes_file_data(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert "http://" not in text.split("<body>", 1)[1].replace("http://www.w3.org", "")  # no external resources
    assert HOSTILE_PRODUCER not in text and "&lt;script&gt;document.title=&#x27;PWNED2&#x27;&lt;/script&gt;" in text
    assert "<img src=x onerror" not in text and "&lt;img src=x onerror=" in text
    assert text.count("<script>") == 1


def test_browser_runs_only_our_script_and_shows_text_as_text(report: Path, tmp_path: Path) -> None:
    result = chromium(tmp_path / "profile", "--dump-dom", report.as_uri())
    dom = result.stdout
    assert 'data-filter="ready"' in dom, result.stderr[-2000:]  # our script ran (allowed by the CSP hash)
    title = re.search(r"<title>(.*?)</title>", dom).group(1)
    assert "PWNED" not in title and title.startswith("labeler report")
    assert "&lt;script&gt;document.title='PWNED2'&lt;/script&gt;" in dom  # shown as text
    assert not re.search(r"<img[^>]*\sonerror=", dom), "an attribute from a file name became markup"
    assert '<span id="shown">' + str(dom.count('<tbody class="file"')) + "</span>" in dom


def test_filter_from_address_hides_other_rows(report: Path, tmp_path: Path) -> None:
    dom = chromium(tmp_path / "profile", "--dump-dom", report.as_uri() + "#status=invalid").stdout
    bodies = re.findall(r'<tbody class="file"[^>]*>', dom)
    invalid = [b for b in bodies if 'data-status="invalid"' in b]
    assert bodies and invalid and len(invalid) < len(bodies)
    assert all("hidden" not in b for b in invalid)
    assert all(re.search(r"\shidden(=|\s|>)", b) for b in bodies if 'data-status="invalid"' not in b)
    assert f'<span id="shown">{len(invalid)}</span>' in dom
    by_name = chromium(tmp_path / "profile2", "--dump-dom", report.as_uri() + "#q=jingle").stdout
    assert '<span id="shown">1</span>' in by_name


def test_screenshot_shows_outlined_notice_and_cue(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    result = chromium(tmp_path / "profile", "--window-size=1400,1400", f"--screenshot={shot}", report.as_uri())
    assert shot.is_file(), result.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)

    def count(colour: tuple[int, int, int], tolerance: int = 8) -> int:
        return int((np.abs(pixels - np.array(colour)).max(axis=2) <= tolerance).sum())

    assert count(OUTLINE) > 150, "the notice box outline is not on screen"
    alpha = CUE[3] / 255
    shaded = tuple(round(bg * (1 - alpha) + c * alpha) for bg, c in zip((246, 248, 250), CUE[:3], strict=True))
    assert count(shaded, 10) > 300, f"the audio cue shading {shaded} is not on screen"
    assert count((207, 34, 46)) > 2000 and count((26, 127, 55)) > 2000  # red and green summary cards
    ys, xs = np.nonzero(np.abs(pixels - np.array(OUTLINE)).max(axis=2) <= 8)
    # the outline sits in the bottom-right of the 240x180 thumbnail (the box is at 600..780 x 540..580 of 800x600)
    assert xs.max() - xs.min() < 80 and ys.max() - ys.min() < 30


def _outline_pixels(uri: str) -> int:
    import base64
    import io

    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB")
    pixels = np.asarray(image).astype(int)
    return int((np.abs(pixels - np.array(OUTLINE)).max(axis=2) <= 8).sum())


def test_video_preview_is_the_checked_frame_with_the_box(tmp_path: Path) -> None:
    from labeler import ffmpeg
    from labeler.render.preview import video_preview

    if not ffmpeg.available():
        pytest.skip("ffmpeg is not available")
    clip = tmp_path / "clip.mp4"
    subprocess.run(
        [
            ffmpeg.executable(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=navy:size=320x240:rate=10:duration=1",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        check=True,
        timeout=120,
    )
    uri = video_preview(clip, {"box": [250, 200, 310, 230], "frame": [320, 240], "start_s": 0.0, "end_s": 1.0})
    assert uri is not None and _outline_pixels(uri) > 100
    assert video_preview(tmp_path / "missing.mp4", {}) is None  # no preview, no exception


def test_pdf_preview_outlines_the_notice_on_its_page(tmp_path: Path) -> None:
    from labeler import LabelOptions, label_file
    from labeler.render.preview import document_preview

    from .conftest import PRODUCER

    source = FIXTURES / "samples" / "document" / "report.pdf"
    if not source.is_file():
        pytest.skip("no PDF sample fixture")
    result = label_file(source, tmp_path / "report.pdf", LabelOptions(producer=PRODUCER))
    assert result.verdict is not None and result.verdict.status == "compliant"
    uri = document_preview(tmp_path / "report.pdf", result.verdict.to_dict()["explicit"]["detail"])
    assert uri is not None and _outline_pixels(uri) > 100
    assert document_preview(FIXTURES / "samples" / "text" / "post-plain.md", {}) is None
