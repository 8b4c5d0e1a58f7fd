"""``labeler survive`` on images: real ImageMagick / exiftool / Pillow transforms, each result checked
by labeler's verify and, independently, by ExifTool and Pillow reading the kept files."""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from labeler.cli import main
from labeler.survive import select, survive_file
from labeler.survive.html import CSP
from labeler.survive.layers import Cell, Seen, compare
from labeler.survive.transforms import TRANSFORMS

from .conftest import PRODUCER, ROOT, sha256

EXIFTOOL = shutil.which("exiftool")


def _label(tmp_path: Path, *sources: Path) -> Path:
    out = tmp_path / "labelled"
    code = main(["label", *map(str, sources), "--out", str(out), "--producer", PRODUCER, "--no-progress", "--jobs", "1", "--no-ocr-check"])
    assert code == 0
    return out


def _picture(path: Path, size: str = "1600x900") -> Path:
    """An AI-made poster stand-in drawn by ImageMagick (not by labeler)."""
    subprocess.run(["convert", "-size", size, "gradient:navy-orange", "-swirl", "60", str(path)], check=True)
    return path


def _aigc_by_exiftool(path: Path) -> bool:
    assert EXIFTOOL
    tags = json.loads(subprocess.run([EXIFTOOL, "-j", "-XMP:all", str(path)], capture_output=True, text=True, check=True).stdout)[0]
    return any("aigc" in key.lower() for key in tags)


def _states(rows: dict[str, dict[str, Cell]], layer: str) -> dict[str, str]:
    return {name: cells[layer].state for name, cells in rows.items()}


def test_transform_table_is_complete() -> None:
    names = {t.name for t in TRANSFORMS}
    wanted = {"strip", "jpeg-q90", "jpeg-q75", "jpeg-q50", "resize-0.5", "crop-10", "rotate-90", "png-to-jpeg", "wechat", "screenshot"}
    wanted |= {"mp3-128k", "aac-96k", "mono-16k", "h264-crf28", "720p", "fps-30"}
    assert names == wanted
    for t in TRANSFORMS:
        assert (
            t.tool in ("Pillow", "ImageMagick", "exiftool", "ffmpeg") and t.description and "IN" in t.invocation and "OUT" in t.invocation
        )
    strips = [t for t in TRANSFORMS if t.name == "strip"]
    assert {m for t in strips for m in t.media} == {"image", "audio", "video"} and len(select(["strip"])) == 2


@pytest.mark.slow  # ~10 s: six transforms, each verified with OCR
def test_png_poster_through_platform_transforms(tmp_path: Path) -> None:
    labelled = _label(tmp_path, _picture(tmp_path / "poster.png")) / "poster.png"
    before = sha256(labelled)
    kept = tmp_path / "kept"
    chosen = select(["strip", "jpeg-q75", "png-to-jpeg", "wechat", "screenshot", "resize-0.5"])
    result = survive_file(labelled, chosen, kept)
    assert sha256(labelled) == before, "the input is only read"
    assert result.error is None and not result.failed, result
    rows = {r.transform: r.cells for r in result.rows}
    assert list(rows) == ["original", "strip", "jpeg-q75", "resize-0.5", "png-to-jpeg", "wechat", "screenshot"]
    assert rows["original"]["metadata"].state == "present" and rows["original"]["notice"].state == "present"
    # the metadata cell agrees with ExifTool reading each kept file
    files = {p.stem: p for p in (kept / "poster.png").iterdir()}
    assert set(files) == set(rows) - {"original"}
    if EXIFTOOL:
        for name, path in files.items():
            assert rows[name]["metadata"].state == ("survived" if _aigc_by_exiftool(path) else "lost"), name
    assert rows["strip"]["metadata"].state == "lost" and rows["wechat"]["metadata"].state == "lost"
    # the notice is drawn in the pixels: re-encoding and scaling keep it (seen by receipt, template or OCR)
    for name in ("strip", "jpeg-q75", "png-to-jpeg", "wechat", "screenshot"):
        assert rows[name]["notice"].state == "survived", (name, rows[name]["notice"])
    # each transform did what it says (Pillow reads the outputs)
    with Image.open(files["wechat"]) as im:
        assert im.format == "JPEG" and max(im.size) == 1080 and "xmp" not in im.info and "exif" not in im.info
    with Image.open(files["screenshot"]) as im:
        assert im.format == "PNG" and im.size == (1280, 720)
    with Image.open(files["resize-0.5"]) as im:
        assert im.format == "PNG" and im.size == (800, 450)
    with Image.open(files["jpeg-q75"]) as im:
        assert im.format == "JPEG"
    # labelled without --watermark: the original shows none, so there is none to keep
    assert {c["watermark"].state for c in rows.values()} == {"absent"}
    assert _states(rows, "c2pa") == dict.fromkeys(rows, "absent")


@pytest.mark.slow  # ~6 s
@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool reads the kept JPEGs")
def test_jpeg_recompression_keeps_xmp_where_imagemagick_keeps_it(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    _picture(source, "640x480")
    labelled = _label(tmp_path, source) / "photo.jpg"
    kept = tmp_path / "kept"
    result = survive_file(labelled, select(["jpeg-q50", "crop-10", "rotate-90", "strip"]), kept)
    rows = {r.transform: r for r in result.rows}
    for name in ("jpeg-q50", "crop-10", "rotate-90", "strip"):
        path = kept / "photo.jpg" / f"{name}.jpg"
        assert rows[name].cells["metadata"].state == ("survived" if _aigc_by_exiftool(path) else "lost"), name
    assert rows["jpeg-q50"].cells["metadata"].state == "survived" and rows["strip"].cells["metadata"].state == "lost"
    with Image.open(kept / "photo.jpg" / "rotate-90.jpg") as im:
        assert im.size == (480, 640)
    with Image.open(kept / "photo.jpg" / "crop-10.jpg") as im:
        assert im.size == (576, 432)


def test_compare_states() -> None:
    there, gone, unknown = Seen(True, "xmp"), Seen(False, "none"), Seen(None, "OCR not installed")
    assert compare(there, there) == Cell("survived", "xmp")
    assert compare(there, gone) == Cell("lost", "none")
    assert compare(there, unknown) == Cell("undecided", "OCR not installed")
    assert compare(gone, gone).state == "absent"
    assert compare(gone, there).state == "undecided", "appearing from nowhere is not survival"
    assert compare(unknown, there).state == "undecided" and "original" in compare(unknown, there).reason
    assert compare(unknown, unknown) == Cell("undecided", "OCR not installed")


def test_a_notice_that_cannot_be_read_is_undecided_never_survived(tmp_path: Path) -> None:
    from labeler.detect import ocr

    labelled = _label(tmp_path, _picture(tmp_path / "p.png", "480x360")) / "p.png"
    with ocr.suppressed():  # as on a machine without the OCR extra
        result = survive_file(labelled, select(["resize-0.5", "strip"]))
    rows = {r.transform: r.cells["notice"] for r in result.rows}
    assert rows["original"].state == "present", "labeler's receipt proves its own notice without OCR"
    assert rows["strip"].state == "survived" and "template" in rows["strip"].reason, "same pixels: the banner template still matches"
    assert rows["resize-0.5"].state == "undecided" and "OCR" in rows["resize-0.5"].reason


def test_missing_tool_is_a_row_error_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    labelled = _label(tmp_path, _picture(tmp_path / "p.png", "320x240")) / "p.png"
    bin_dir = tmp_path / "bin"  # a PATH with ImageMagick but no exiftool
    bin_dir.mkdir()
    convert = shutil.which("convert")
    assert convert
    (bin_dir / "convert").symlink_to(convert)
    monkeypatch.setenv("PATH", str(bin_dir))
    result = survive_file(labelled, select(["strip", "jpeg-q75"]))
    rows = {r.transform: r for r in result.rows}
    assert rows["strip"].error is not None and "exiftool is not installed" in rows["strip"].error and not rows["strip"].cells
    assert rows["jpeg-q75"].error is None and rows["jpeg-q75"].cells["notice"].state == "survived"
    assert result.failed


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()  # what labelling printed
    code = main(["survive", *args, "--no-progress", "--jobs", "1"])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_matches_schema_and_text_and_html_escape_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    odd = tmp_path / "in" / "a<b>\x1b[31mred.png"
    odd.parent.mkdir()
    _picture(odd, "320x240")
    labelled = _label(tmp_path, odd)
    (labelled / "notes.md").write_text("# 本内容由人工智能生成\n\nNotes.\n", encoding="utf-8")
    code, out, _ = _cli(capsys, str(labelled), "-t", "jpeg-q50", "--format", "json")
    assert code == 0
    report = json.loads(out)
    schema = json.loads((ROOT / "docs" / "survive.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert [r["transform"] for r in by_name["notes.md"]["rows"]] == ["original"]
    assert "applies to text files" in by_name["notes.md"]["note"]
    image = by_name["a<b>\x1b[31mred.png"]
    assert [r["transform"] for r in image["rows"]] == ["original", "jpeg-q50"]
    assert report["summary"]["transforms"]["jpeg-q50"]["metadata"]["had"] == 1
    assert [t["name"] for t in report["transforms"]] == ["jpeg-q50"]
    code, out, _ = _cli(capsys, str(labelled), "-t", "jpeg-q50")
    assert code == 0 and "\x1b" not in out and "a<b>\\x1b[31mred.png" in out and "jpeg-q50" in out
    report_html = tmp_path / "r" / "survive.html"
    code, _, _ = _cli(capsys, str(labelled), "-t", "jpeg-q50", "-t", "strip", "--format", "html", "--output", str(report_html))
    page = report_html.read_text(encoding="utf-8")
    assert code == 0 and "a&lt;b&gt;" in page and "<b>jpeg-q50</b>" in page
    assert "EXIF, XMP, IPTC" in page and "chapters" not in page, "an image's strip row is ExifTool's, not ffmpeg's"
    assert "<script" not in page and "a<b>" not in page
    assert f'http-equiv="Content-Security-Policy" content="{html.escape(CSP, quote=True)}"' in page and "script-src" not in CSP


def test_cli_usage_errors_and_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["survive", str(tmp_path), "--transform", "instagram"])
    assert stopped.value.code == 2 and "instagram" in capsys.readouterr().err
    code, _, err = _cli(capsys, str(tmp_path / "nope.png"))
    assert code == 2 and "no such file or folder" in err and "Traceback" not in err
    broken = tmp_path / "broken.png"
    _picture(broken, "64x64")
    broken.write_bytes(broken.read_bytes()[:60])
    code, out, err = _cli(capsys, str(broken))
    assert code == 1 and "error:" in out and "Traceback" not in out + err


def test_keep_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labelled = _label(tmp_path, _picture(tmp_path / "p.png", "200x150")) / "p.png"
    kept = tmp_path / "kept"
    (kept / "p.png").mkdir(parents=True)
    (kept / "p.png" / "wechat.jpg").write_bytes(b"mine")
    assert _cli(capsys, str(labelled), "-t", "wechat", "--keep", str(kept))[0] == 0
    assert (kept / "p.png" / "wechat.jpg").read_bytes() == b"mine"
    assert sorted(os.listdir(kept / "p.png-2")) == ["wechat.jpg"]


def test_sixteen_bit_grey_is_scaled_not_clipped_by_the_pillow_transforms(tmp_path: Path) -> None:
    source = tmp_path / "scan.png"
    subprocess.run(["convert", "-size", "480x360", "gradient:black-gray70", "-colorspace", "Gray", "-depth", "16", str(source)], check=True)
    with Image.open(source) as im:
        assert im.mode.startswith("I"), im.mode  # Pillow reads it as 16-bit grey
    labelled = _label(tmp_path, source) / "scan.png"
    kept = tmp_path / "kept"
    result = survive_file(labelled, select(["wechat"]), kept)
    with Image.open(kept / "scan.png" / "wechat.jpg") as im:
        low, high = im.convert("L").getextrema()
    assert low < 40 and high > 150, "the gradient is kept, not clipped to white"
    assert result.rows[1].cells["notice"].state == "survived"


_GRID = re.compile(
    r"^  (\S+)\s+(present|absent|survived|lost|undecided)\S*\s+(\S+)\s+(\S+)\s+(present|absent|survived|lost|undecided)\S*\s+\S+$"
)


def _grid_rows(text: str) -> list[tuple[str, str, str]]:
    """(transform, metadata, c2pa) of every table row: the columns that do not depend on OCR."""
    return [(m[1], m[2], m[5]) for line in text.splitlines() if (m := _GRID.match(line))]


@pytest.mark.slow  # ~40 s (85 s at load 19): labels the README's files and runs its transforms, as the README shows
def test_readme_examples_run_as_written_and_show_their_output(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Will my labels survive upload?") :]
    section = section[: section.index("\n## ")]
    examples = re.findall(r"```sh\n(.*?)```\s*```text\n(.*?)```", section, re.DOTALL)
    assert examples
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for n, (block, shown) in enumerate(examples):
        work = tmp_path / f"example{n}"
        work.mkdir()
        (work / "fixtures").symlink_to(ROOT / "fixtures")
        script = f'labeler() {{ {shlex.quote(sys.executable)} -m labeler "$@"; }}\nset -e\n' + block
        done = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Traceback" not in done.stderr
        got = _grid_rows(done.stdout)
        assert got and got == _grid_rows(shown), f"README example {n + 1}: output is stale, rerun the block and paste its table"
    pages = list(tmp_path.glob("*.html"))
    assert len(pages) == 1 and "Which AI-content labels survive upload?" in pages[0].read_text(encoding="utf-8")
