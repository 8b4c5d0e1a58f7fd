"""Video notices are measured, not guessed (issue 13 item 5): a third-party notice burned in with
ffmpeg drawtext over busy, fast-changing lavfi backgrounds (fractal, cellular automaton, noise) is
followed by its pixels and its interval measured to the frame; late and small notices are invalid
with their own rule. Needs ffmpeg and the OCR extra; each clip takes a few seconds to check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from labeler.model import Presence

from .conftest import detect, error_rules

pytest.importorskip("rapidocr_onnxruntime", reason="OCR backend (extra 'ocr') not installed")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")]

SIZE = "480x270"
# Seeded: unseeded cellauto and life draw a new background each run, and a test must not vary.
BACKGROUNDS = {
    "mandelbrot": f"mandelbrot=s={SIZE}:r=25",
    "cellauto": f"cellauto=s={SIZE}:r=25:rule=110:random_fill_ratio=0.5:seed=1",
    "noise": f"color=c=0x606060:s={SIZE}:r=25,noise=alls=90:allf=t",
    "life": f"life=s={SIZE}:r=25:ratio=0.5:mold=10:life_color=#ffffff:death_color=#202020:seed=1",
}


@pytest.fixture(scope="module")
def font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pymupdf

    path = tmp_path_factory.mktemp("font") / "cjk.ttf"
    path.write_bytes(pymupdf.Font("cjk").buffer)
    return path


def burn(
    path: Path,
    font: Path,
    background: str,
    shown: tuple[float, float],
    seconds: float = 5.0,
    text: str = "AI生成",
    size: int = 26,
    where: str = "x=w-tw-12:y=h-th-12",
) -> Path:
    """A clip whose notice is shown from shown[0] to shown[1] seconds (ffmpeg drawtext)."""
    draw = f"drawtext=fontfile={font}:text='{text}':fontsize={size}:fontcolor=white:borderw=2:bordercolor=black:{where}:enable='between(t,{shown[0]},{shown[1]})'"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", background, "-t", str(seconds), "-vf", f"format=yuv420p,{draw}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "26", str(path)], check=True, capture_output=True)  # fmt: skip
    return path


@pytest.mark.parametrize("background", sorted(BACKGROUNDS))
@pytest.mark.parametrize("until", [2.5, 3.3])
def test_notice_over_busy_background_is_measured(background: str, until: float, font: Path, tmp_path: Path) -> None:
    evidence = detect(burn(tmp_path / "a.mp4", font, BACKGROUNDS[background], (0, until)))
    assert evidence.state is Presence.PRESENT, evidence
    assert error_rules(evidence) == [], evidence
    assert evidence.detail["start_s"] == 0
    assert abs(evidence.detail["end_s"] - until) <= 0.1, evidence.detail  # drawtext's between() is inclusive: one frame more


@pytest.mark.parametrize("seed", [13, 20])
def test_a_first_frame_misread_is_read_again_in_the_next_samples(seed: int, font: Path, tmp_path: Path) -> None:
    """With these backgrounds OCR read the first frame as 'AT生成' and 'LAI生成' (seen with
    rapidocr 1.x and Debian's ffmpeg): the same line read a quarter of a second later is the notice."""
    background = f"cellauto=s={SIZE}:r=25:rule=110:random_fill_ratio=0.5:seed={seed}"
    evidence = detect(burn(tmp_path / "a.mp4", font, background, (0, 3.3)))
    assert evidence.state is Presence.PRESENT, evidence
    assert evidence.detail["start_s"] == 0 and abs(evidence.detail["end_s"] - 3.3) <= 0.1, evidence.detail


def test_short_notice_is_too_short_with_its_measured_end(font: Path, tmp_path: Path) -> None:
    evidence = detect(burn(tmp_path / "a.mp4", font, BACKGROUNDS["mandelbrot"], (0, 1.2)))
    assert "notice.too-short" in error_rules(evidence), evidence
    assert abs(evidence.detail["end_s"] - 1.2) <= 0.1, evidence.detail


@pytest.mark.parametrize("background", ["mandelbrot", "noise", "still"])
def test_late_notice_is_late_not_missing(background: str, font: Path, tmp_path: Path) -> None:
    source = BACKGROUNDS.get(background, "color=c=0x305080:s=480x270:r=25")
    evidence = detect(burn(tmp_path / "a.mp4", font, source, (1.5, 6.0), seconds=6.0))
    assert evidence.state is Presence.PRESENT, evidence
    assert "notice.late" in error_rules(evidence) and "notice.too-short" not in error_rules(evidence), evidence
    assert abs(evidence.detail["start_s"] - 1.5) <= 0.1, evidence.detail


def test_notice_missing_from_the_first_frame_only_is_found(font: Path, tmp_path: Path) -> None:
    """A persistent corner notice the first frame lacks (a cut-in one frame late): found in the
    later samples, traced back to 0.04 s, compliant."""
    evidence = detect(burn(tmp_path / "a.mp4", font, BACKGROUNDS["noise"], (0.04, 5.0)))
    assert evidence.state is Presence.PRESENT and error_rules(evidence) == [], evidence
    assert evidence.detail["start_s"] <= 0.1 and evidence.detail["persist"], evidence.detail


def test_small_notice_is_too_small_not_missing(font: Path, tmp_path: Path) -> None:
    evidence = detect(burn(tmp_path / "a.mp4", font, "color=c=0x305080:s=480x270:r=25", (0, 5.0), size=10))
    assert evidence.state is Presence.PRESENT, evidence
    assert "notice.too-small" in error_rules(evidence), evidence


def test_clip_without_notice_is_absent(font: Path, tmp_path: Path) -> None:
    evidence = detect(burn(tmp_path / "a.mp4", font, BACKGROUNDS["mandelbrot"], (0, 5.0), text="春季新品", where="x=12:y=12"))
    assert evidence.state is Presence.ABSENT, evidence
