#!/usr/bin/env python3
"""Detection quality of ``labeler verify`` on files made by other tools, with ground truth.

    python scripts/bench_detection.py                      # full set, every family
    python scripts/bench_detection.py --quick              # a few files per family (seconds to minutes)
    python scripts/bench_detection.py --only image,audio --keep /tmp/set --json results.json

Every file is made with independent tools only (ImageMagick, ffmpeg, espeak-ng, numpy/soundfile,
mutagen, exiftool, reportlab, pikepdf, python-docx); labeler only verifies. Each case states the
status GB 45438 asks for: the truth, not what labeler happens to say today. Distractors are
included on purpose: body text mentioning AI, prices and URLs in corners, tones and other Morse
letters, speech without a notice, busy video backgrounds, late/short/2–3 % notices and lookalike
phrases (``模型合成``, ``即梦AI``, ``本节目由人工合成``, negations).

Per family it prints: status accuracy, dangerous passes (a file that passes the gate although it
should not), false alarms on compliant files (``invalid`` or ``missing-*``/``unlabelled`` for a
file that is compliant), the undecided rate (``unverified``/``missing-implicit-unverified``) and the
wall time per file of one ``labeler verify --jobs 1`` run over the family's folder (start-up
included). Targets (issue 13): 0 dangerous passes, >= 97 % accuracy per family, false alarms on
compliant files <= 1 %.

``run(quick)`` returns rows for ``scripts/bench.py``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "labeler" / "data" / "exiftool-tc260.config"
PRODUCER = "001191110102MACQD9K64010000"
LABEL = json.dumps(
    {
        "Label": "1",
        "ContentProducer": PRODUCER,
        "ProduceID": "bench-0001",
        "ReservedCode1": "",
        "ContentPropagator": "",
        "PropagateID": "",
        "ReservedCode2": "",
    },
    separators=(",", ":"),
)
BAD_LABEL = LABEL.replace(PRODUCER, "豆包")  # Annex E j): no Chinese characters in values
UNDECIDED = frozenset({"unverified", "missing-implicit-unverified"})
FAILED_ON_COMPLIANT = frozenset({"invalid", "missing-explicit", "missing-implicit", "unlabelled", "missing-implicit-unverified"})
FAMILIES = ("image", "audio", "video", "document", "text")


@dataclass(frozen=True)
class Case:
    name: str  # file name, self-describing
    truth: str  # the status GB 45438 asks for
    why: str


def sh(*args: str | Path, cwd: Path | None = None) -> None:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))[:300]}\n{result.stderr[-1500:]}")


def cjk_font(work: Path) -> Path:
    """Droid Sans Fallback from PyMuPDF as a TrueType file ImageMagick, ffmpeg and reportlab can load."""
    import pymupdf

    path = work / "cjk.ttf"
    if not path.exists():
        path.write_bytes(pymupdf.Font("cjk").buffer)
    return path


# --- images: ImageMagick draws, exiftool labels -------------------------------------------------------

IMAGE_BACKGROUNDS = {"flat": ["xc:#3a6ea5"], "plasma": ["-seed", "7", "plasma:fractal"], "gradient": ["gradient:#204060-#e0c080"]}


def magick(out: Path, font: Path, background: str, texts: list[tuple[str, str, int]], size: str = "800x600") -> None:
    """``texts``: (text, gravity, pointsize) drawn white with a dark stroke, 12 px from the edge."""
    args: list[str | Path] = ["convert", "-size", size, *IMAGE_BACKGROUNDS[background], "-font", font]
    for text, gravity, points in texts:
        args += [
            "-gravity",
            gravity,
            "-pointsize",
            str(points),
            "-fill",
            "white",
            "-stroke",
            "#202020",
            "-strokewidth",
            "2",
            "-annotate",
            "+12+12",
            text,
        ]
    sh(*args, out)


def exif_label(path: Path, label: str = LABEL) -> None:
    sh("exiftool", "-config", CONFIG, "-q", "-overwrite_original", f"-XMP-TC260:AIGC={label}", path)


def image_cases(folder: Path, font: Path, quick: bool) -> list[Case]:
    cases: list[Case] = []
    notice, big, tiny = "本图由AI生成", 44, 17  # on a 600-px short side: ~6.5 % and ~2.5 % glyph height
    backgrounds = ["flat", "plasma"] if quick else list(IMAGE_BACKGROUNDS)
    corners = ["southeast"] if quick else ["southeast", "southwest", "northeast", "northwest", "south"]
    for bg in backgrounds:
        for ext in ("jpg",) if quick else ("jpg", "png"):
            for corner in corners:
                cases.append(Case(f"compliant-{bg}-{corner}.{ext}", "compliant", "notice at an edge, >= 5 %, label"))
                magick(folder / cases[-1].name, font, bg, [(notice, corner, big)])
        specs = [
            ("label-only", "missing-explicit", [], True, "no notice"),
            (
                "price-url-corners",
                "missing-explicit",
                [("¥199 限时特价", "southeast", big), ("www.shop.cn", "northwest", 30)],
                True,
                "prices and URLs are not a notice",
            ),
            (
                "body-mentions-ai",
                "missing-explicit",
                [("人工智能课程报名", "southeast", big)],
                True,
                "AI element without a generation element",
            ),
            (
                "lookalike-model",
                "invalid",
                [("模型合成", "southeast", big)],
                True,
                "generation element without AI element: notice.missing-element",
            ),
            (
                "lookalike-jimeng",
                "invalid",
                [("即梦AI", "southeast", big)],
                True,
                "AI element without generation element: notice.missing-element",
            ),
            ("small-2.5pct", "invalid", [(notice, "southeast", tiny)], True, "notice below 5 %: notice.too-small"),
            ("centred", "invalid", [(notice, "center", big), ("夏日海报", "southeast", 30)], True, "notice away from the edges"),
            ("english-only", "invalid", [("AI-generated", "southeast", big)], True, "English-only notice"),
            ("notice-only", "missing-implicit", [(notice, "southeast", big)], False, "no metadata label"),
            ("plain", "unlabelled", [], False, "nothing"),
            ("bad-label", "invalid", [(notice, "southeast", big)], "bad", "Chinese characters in ContentProducer"),
        ]
        for stem, truth, texts, labelled, why in specs[: 6 if quick else None]:
            cases.append(Case(f"{stem}-{bg}.jpg", truth, why))
            magick(folder / cases[-1].name, font, bg, texts)
            if labelled:
                exif_label(folder / cases[-1].name, BAD_LABEL if labelled == "bad" else LABEL)
    for case in cases:
        if case.name.startswith("compliant"):
            exif_label(folder / case.name)
    return cases


# --- audio: numpy/soundfile synthesise, espeak-ng speaks, mutagen labels -------------------------------

RATE = 22050
MORSE = {"A": ".-", "I": "..", "S": "...", "Z": "--..", "E": ".", "N": "-."}


def _np():  # type: ignore[no-untyped-def]
    import numpy

    return numpy


def tone(seconds: float, freq: float, level: float = 0.5):  # type: ignore[no-untyped-def]
    np = _np()
    t = np.arange(int(seconds * RATE)) / RATE
    ramp = np.minimum(1.0, np.minimum(t, seconds - t) / 0.005)
    return level * ramp * np.sin(2 * np.pi * freq * t)


def silence(seconds: float):  # type: ignore[no-untyped-def]
    return _np().zeros(int(seconds * RATE))


def morse(letters: str, unit: float = 0.09, freq: float = 880.0):  # type: ignore[no-untyped-def]
    np = _np()
    parts = []
    for index, letter in enumerate(letters):
        if index:
            parts.append(silence(2 * unit))  # 3 units between letters (1 already follows each mark)
        for mark in MORSE[letter]:
            parts += [tone(unit * (3 if mark == "-" else 1), freq), silence(unit)]
    return np.concatenate(parts)


def music(seconds: float, seed: int = 0):  # type: ignore[no-untyped-def]
    """Plucked notes with harmonics and decay: music, not speech, not a tone."""
    np = _np()
    rng = np.random.default_rng(seed)
    out = silence(seconds)
    step = 0.35
    for start in np.arange(0, seconds - step, step):
        freq = 220 * 2 ** (rng.integers(0, 12) / 12)
        t = np.arange(int(step * 1.5 * RATE)) / RATE
        note = sum(np.sin(2 * np.pi * freq * k * t) / k for k in (1, 2, 3)) * np.exp(-4 * t) * 0.2
        i = int(start * RATE)
        out[i : i + len(note)] += note[: len(out) - i]
    return out


def speech(work: Path, text: str, voice: str = "cmn"):  # type: ignore[no-untyped-def]
    import soundfile

    wav = work / "speech.wav"
    sh("espeak-ng", "-v", voice, "-s", "150", "-w", wav, text)
    data, rate = soundfile.read(wav)
    np = _np()
    data = data if data.ndim == 1 else data.mean(axis=1)
    return np.interp(np.arange(0, len(data), rate / RATE), np.arange(len(data)), data) * 0.8  # resample to RATE


def write_audio(path: Path, parts: list, label: str | None) -> None:  # type: ignore[type-arg]
    import soundfile
    from mutagen.flac import FLAC
    from mutagen.id3 import TXXX
    from mutagen.mp3 import MP3
    from mutagen.wave import WAVE

    data = _np().concatenate(parts)
    if path.suffix == ".mp3":
        temp = path.with_suffix(".tmp.wav")
        soundfile.write(temp, data, RATE)
        sh("ffmpeg", "-v", "error", "-y", "-i", temp, "-c:a", "libmp3lame", "-b:a", "128k", path)
        temp.unlink()
    else:
        soundfile.write(path, data, RATE)
    if label is None:
        return
    if path.suffix == ".flac":
        tags = FLAC(path)
        tags["AIGC"] = label
        tags.save()
        return
    tags = (MP3 if path.suffix == ".mp3" else WAVE)(path)
    if tags.tags is None:
        tags.add_tags()
    tags.tags.add(TXXX(encoding=3, desc="AIGC", text=[label]))
    tags.save()


def audio_cases(folder: Path, work: Path, quick: bool) -> list[Case]:
    notice_ai = morse("AI")
    cases: list[Case] = []

    def add(name: str, truth: str, why: str, parts: list, label: str | None = LABEL) -> None:  # type: ignore[type-arg]
        cases.append(Case(name, truth, why))
        write_audio(folder / name, parts, label)

    exts = ("wav",) if quick else ("wav", "mp3", "flac")
    for seed, ext in enumerate(exts):
        body = music(6.0, seed)
        add(f"compliant-morse-start.{ext}", "compliant", "Morse AI at the start", [silence(0.3), notice_ai, silence(0.3), body])
        add(f"compliant-morse-end.{ext}", "compliant", "Morse AI at the end", [body, silence(0.3), notice_ai, silence(0.3)])
        add(f"music-only.{ext}", "missing-explicit", "music, no notice", [body])
        add(f"morse-S.{ext}", "missing-explicit", "another Morse letter", [silence(0.3), morse("S"), silence(0.3), body])
        add(f"morse-Z.{ext}", "missing-explicit", "another Morse letter", [silence(0.3), morse("Z"), silence(0.3), body])
        add(f"single-beep.{ext}", "missing-explicit", "one beep is not a notice", [silence(0.3), tone(0.2, 1000), silence(0.3), body])
        if quick:
            continue
        add(
            f"beep-train.{ext}",
            "missing-explicit",
            "a train of equal beeps",
            [silence(0.3)] + [p for _ in range(5) for p in (tone(0.1, 1000), silence(0.1))] + [body],
        )
        add(f"steady-tone.{ext}", "missing-explicit", "a test tone", [tone(3.0, 440), body])
        add(
            f"morse-under-music.{ext}",
            "compliant",
            "Morse AI over music at -10 dB",
            [silence(0.3), notice_ai + music(len(notice_ai) / RATE + 0.01, seed + 5)[: len(notice_ai)] * 0.3, body],
        )
        add(f"morse-only-no-label.{ext}", "missing-implicit", "notice, no metadata", [silence(0.3), notice_ai, silence(0.3), body], None)
        add(f"music-no-label.{ext}", "unlabelled", "nothing", [body], None)
    weather = speech(work, "今天北京晴，最高气温二十五度，最低气温十五度。")
    fake = speech(work, "本节目由人工合成。")
    english = speech(work, "This was AI generated.", "en")
    spoken = speech(work, "本内容由人工智能生成。")
    add("speech-weather.wav", "missing-explicit", "speech without a notice", [weather, music(3.0, 9)])
    add("speech-lookalike.wav", "missing-explicit", "本节目由人工合成: no AI element", [fake, music(3.0, 10)])
    if not quick:
        add("speech-english.wav", "invalid", "English-only spoken notice", [english, music(3.0, 11)])
        add("speech-notice.wav", "compliant", "a spoken notice with both elements", [spoken, music(3.0, 12)])
        add("speech-notice-no-label.wav", "missing-implicit", "spoken notice, no metadata", [spoken, music(3.0, 13)], None)
        add("speech-no-label.wav", "unlabelled", "speech without a notice, no metadata", [weather, music(3.0, 14)], None)
    return cases


# --- video: ffmpeg draws, ffmpeg labels ----------------------------------------------------------------

VIDEO_BACKGROUNDS = {
    "testsrc": "testsrc2=s=640x360:r=25",
    "mandelbrot": "mandelbrot=s=640x360:r=25",
    "life": "life=s=640x360:r=25:mold=10:ratio=0.3:death_color=#C83232:life_color=#00ff00:seed=1",
    "noise": "color=c=gray:s=640x360:r=25,noise=alls=90:allf=t+u",
}


def video(
    out: Path, font: Path, background: str, texts: list[tuple[str, str, int, float, float]], label: str | None, seconds: float = 5.0
) -> None:
    """``texts``: (text, corner, fontsize, from s, to s); white with a dark border."""
    places = {"br": ("w-tw-16", "h-th-16"), "tl": ("16", "16"), "bl": ("16", "h-th-16"), "center": ("(w-tw)/2", "(h-th)/2")}
    filters = [
        f"drawtext=fontfile={font}:text={text}:fontsize={size}:fontcolor=white:borderw=2:bordercolor=black:"
        f"x={places[corner][0]}:y={places[corner][1]}:enable='between(t,{start},{end})'"
        for text, corner, size, start, end in texts
    ]
    graph = VIDEO_BACKGROUNDS[background] + ("," + ",".join(filters) if filters else "")
    args: list[str | Path] = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        graph,
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
    ]
    if label is not None:
        args += ["-metadata", f"AIGC={label}", "-movflags", "+use_metadata_tags"]
    sh(*args, out)


def video_cases(folder: Path, font: Path, quick: bool) -> list[Case]:
    notice, big, small = "本视频由AI生成", 30, 9  # 360-px short side: ~7 % and ~2.5 %
    cases: list[Case] = []

    def add(name: str, truth: str, why: str, background: str, texts: list, label: str | None = LABEL) -> None:  # type: ignore[type-arg]
        cases.append(Case(name, truth, why))
        video(folder / name, font, background, texts, label)

    backgrounds = ["testsrc", "noise"] if quick else list(VIDEO_BACKGROUNDS)
    for bg in backgrounds:
        add(f"compliant-3s-{bg}.mp4", "compliant", "notice 0–3 s bottom-right", bg, [(notice, "br", big, 0, 3)])
        if not quick:
            add(f"compliant-2.5s-{bg}.mp4", "compliant", "notice 0–2.5 s", bg, [(notice, "br", big, 0, 2.5)])
            add(f"compliant-persistent-{bg}.mp4", "compliant", "notice on every frame, top-left", bg, [(notice, "tl", big, 0, 5)])
        add(f"label-only-{bg}.mp4", "missing-explicit", "no notice", bg, [])
    add("late-notice.mp4", "invalid", "notice starts at 2 s: not in the opening frames", "testsrc", [(notice, "br", big, 2, 5)])
    add("short-notice.mp4", "invalid", "notice shown 1 s", "testsrc", [(notice, "br", big, 0, 1)])
    if not quick:
        add("small-notice.mp4", "invalid", "notice at ~2.5 % height", "testsrc", [(notice, "br", small, 0, 5)])
        add(
            "price-url-corner.mp4",
            "missing-explicit",
            "a price and a URL in corners",
            "testsrc",
            [("¥199 限时特价", "br", big, 0, 5), ("www.shop.cn", "tl", 22, 0, 5)],
        )
        add("lookalike-model.mp4", "invalid", "模型合成: no AI element", "testsrc", [("模型合成", "br", big, 0, 5)])
        add("notice-no-label.mp4", "missing-implicit", "notice, no metadata", "testsrc", [(notice, "br", big, 0, 3)], None)
        add("plain-no-label.mp4", "unlabelled", "nothing", "mandelbrot", [], None)
    return cases


# --- documents: reportlab / python-docx write, pikepdf / zipfile label ---------------------------------

BODY_AI = "近年来，生成式人工智能技术发展迅速，但本店的每一张海报都由设计师手工绘制。"
FILLER = "本店位于市中心，营业时间为每天上午九点至晚上九点，欢迎各位顾客光临选购。"


def pdf(out: Path, font: Path, paragraphs: list[str], label: str | None) -> None:
    import pikepdf
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "CJK" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("CJK", str(font)))
    temp = out.with_suffix(".tmp.pdf")
    page = canvas.Canvas(str(temp), pagesize=A4)
    page.setFont("CJK", 12)
    y = 800
    for text in paragraphs:
        page.drawString(60, y, text)
        y -= 24
    page.save()
    with pikepdf.open(temp) as document:
        if label is not None:
            document.docinfo["/AIGC"] = label
        document.save(out)
    temp.unlink()


def docx(out: Path, paragraphs: list[str], label: str | None, footer: str | None = None) -> None:
    import zipfile

    import docx as python_docx

    document = python_docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if footer:
        document.sections[0].footer.paragraphs[0].text = footer
    temp = out.with_suffix(".tmp.docx")
    document.save(temp)
    if label is None:
        temp.replace(out)
        return
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="AIGC">'
        f"<vt:lpwstr>{label.replace('&', '&amp;').replace('<', '&lt;')}</vt:lpwstr></property></Properties>"
    )
    with zipfile.ZipFile(temp) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
                )
            elif item.filename == "_rels/.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdAIGC" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>',
                )
            dst.writestr(item, data)
        dst.writestr("docProps/custom.xml", custom)
    temp.unlink()


def document_cases(folder: Path, font: Path, quick: bool) -> list[Case]:
    notice = "本文由人工智能生成。"
    body = [FILLER] * 6
    specs: list[tuple[str, str, str, list[str], str | None]] = [
        ("compliant-start", "compliant", "notice as the first line", [notice, *body], LABEL),
        ("compliant-end", "compliant", "notice as the last line", [*body, notice], LABEL),
        ("body-mentions-ai", "missing-explicit", "body text mentions 生成式人工智能, not a notice", [BODY_AI, *body], LABEL),
        ("negated", "missing-explicit", "a negated statement is not a notice", ["本文不是AI生成的，由编辑撰写。", *body], LABEL),
        ("label-only", "missing-explicit", "no notice", body, LABEL),
        ("lookalike-model", "invalid", "模型合成 lacks the AI element", ["本文由模型合成。", *body], LABEL),
        ("notice-no-label", "missing-implicit", "no metadata", [notice, *body], None),
        ("plain", "unlabelled", "nothing", body, None),
        ("bad-label", "invalid", "Chinese characters in ContentProducer", [notice, *body], BAD_LABEL),
    ]
    cases = []
    for stem, truth, why, paragraphs, label in specs[: 5 if quick else None]:
        cases.append(Case(f"{stem}.pdf", truth, why))
        pdf(folder / cases[-1].name, font, paragraphs, label)
        cases.append(Case(f"{stem}.docx", truth, why))
        docx(folder / cases[-1].name, paragraphs, label)
    if not quick:
        cases.append(Case("compliant-footer.docx", "compliant", "notice in the page footer"))
        docx(folder / cases[-1].name, body, LABEL, footer=notice)
    return cases


# --- text: plain files, Markdown front matter, HTML meta --------------------------------------------------


def text_cases(folder: Path, quick: bool) -> list[Case]:
    notice = "本文由人工智能生成"
    body = "\n\n".join([FILLER] * 8)
    specs = [
        ("compliant-start", "compliant", "notice line at the start", f"{notice}\n\n{body}\n", LABEL),
        ("compliant-end", "compliant", "notice line at the end", f"{body}\n\n（{notice}）\n", LABEL),
        ("body-mentions-ai", "missing-explicit", "a sentence about AI is not a notice", f"{BODY_AI}\n\n{body}\n", LABEL),
        ("negated", "missing-explicit", "非人工智能合成 is a negation", f"本文非人工智能合成，由记者采写。\n\n{body}\n", LABEL),
        ("label-only", "missing-explicit", "no notice", f"{body}\n", LABEL),
        ("english-only", "invalid", "English-only notice", f"AI-generated content.\n\n{body}\n", LABEL),
        ("notice-no-label", "missing-implicit", "no metadata", f"{notice}\n\n{body}\n", None),
        ("plain", "unlabelled", "nothing", f"{body}\n", None),
    ]
    cases = []
    for stem, truth, why, text, label in specs[: 5 if quick else None]:
        cases.append(Case(f"{stem}.txt", truth, why))
        (folder / cases[-1].name).write_text(text, encoding="utf-8")
        if label:
            (folder / f"{cases[-1].name}.aigc.json").write_text(label, encoding="utf-8")
        cases.append(Case(f"{stem}.md", truth, why))
        front = "---\ntitle: 店铺介绍\n" + (f"AIGC: {label}\n" if label else "") + "---\n\n"
        (folder / cases[-1].name).write_text(front + text, encoding="utf-8")
        cases.append(Case(f"{stem}.html", truth, why))
        meta = f"<meta name=\"AIGC\" content='{label}'>" if label else ""
        paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
        (folder / cases[-1].name).write_text(
            f'<!doctype html><html><head><meta charset="utf-8">{meta}<title>店铺</title></head><body>{paragraphs}</body></html>\n',
            encoding="utf-8",
        )
    return cases


# --- running and scoring -------------------------------------------------------------------------------


def build(family: str, folder: Path, work: Path, quick: bool) -> list[Case]:
    folder.mkdir(parents=True, exist_ok=True)
    makers: dict[str, Callable[[], list[Case]]] = {
        "image": lambda: image_cases(folder, cjk_font(work), quick),
        "audio": lambda: audio_cases(folder, work, quick),
        "video": lambda: video_cases(folder, cjk_font(work), quick),
        "document": lambda: document_cases(folder, cjk_font(work), quick),
        "text": lambda: text_cases(folder, quick),
    }
    return makers[family]()


def verify(folder: Path, jobs: int, checkout: Path | None = None) -> tuple[dict[str, dict], float]:  # type: ignore[type-arg]
    """``labeler verify`` over ``folder``; ``checkout``: run that checkout's labeler (``python -m``
    imports from the working directory first) instead of the installed one."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "labeler", "verify", str(folder), "--format", "json", "--no-progress", "--jobs", str(jobs), "--no-config"],
        capture_output=True,
        text=True,
        check=False,
        cwd=checkout,
    )
    seconds = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise RuntimeError(f"labeler verify failed ({result.returncode}): {result.stderr[-2000:]}")
    files = json.loads(result.stdout)["files"]
    return {Path(f["path"]).name: f for f in files}, seconds


def score(family: str, cases: list[Case], verdicts: dict[str, dict], seconds: float) -> dict:  # type: ignore[type-arg]
    rows = []
    for case in cases:
        entry = verdicts.get(case.name, {})
        got = entry.get("status", "not reported")
        rows.append(
            {
                "file": case.name,
                "truth": case.truth,
                "got": got,
                "why": case.why,
                "passed": bool(entry.get("passed")),
                "findings": [
                    p.split(":")[0] for section in ("implicit", "explicit") for p in (entry.get(section) or {}).get("problems", [])
                ],
            }
        )
    compliant = [r for r in rows if r["truth"] == "compliant"]
    return {
        "family": family,
        "files": len(rows),
        "accuracy": sum(r["got"] == r["truth"] for r in rows) / len(rows),
        "dangerous_passes": [r for r in rows if r["passed"] and r["truth"] != "compliant"],
        "false_alarms": [r for r in compliant if r["got"] in FAILED_ON_COMPLIANT],
        "compliant_files": len(compliant),
        "undecided": sum(r["got"] in UNDECIDED for r in rows) / len(rows),
        "seconds_per_file": seconds / len(rows),
        "wrong": [r for r in rows if r["got"] != r["truth"]],
    }


def evaluate(families: list[str], work: Path, quick: bool, jobs: int, baseline: Path | None = None) -> list[dict]:  # type: ignore[type-arg]
    """Scores per family; with ``baseline``, that checkout verifies the same files right before this
    one (rows named ``FAMILY (baseline)``): a before/after comparison under the same load."""
    results = []
    for family in families:
        folder = work / family
        cases = build(family, folder, work, quick)
        if baseline is not None:
            verdicts, seconds = verify(folder, jobs, baseline)
            results.append(score(f"{family} (baseline)", cases, verdicts, seconds))
        verdicts, seconds = verify(folder, jobs, ROOT)
        results.append(score(family, cases, verdicts, seconds))
    return results


def table(results: list[dict]) -> str:  # type: ignore[type-arg]
    lines = [
        "| family | files | status accuracy | dangerous passes | false alarms on compliant | undecided | s/file |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        alarms = f"{len(r['false_alarms'])}/{r['compliant_files']} ({len(r['false_alarms']) / max(1, r['compliant_files']):.0%})"
        lines.append(
            f"| {r['family']} | {r['files']} | {r['accuracy']:.1%} | {len(r['dangerous_passes'])} | {alarms} | {r['undecided']:.0%} | {r['seconds_per_file']:.2f} |"
        )
    return "\n".join(lines)


def mistakes(results: list[dict]) -> str:  # type: ignore[type-arg]
    lines = []
    for r in results:
        for row in r["wrong"]:
            danger = "  DANGEROUS PASS" if row["passed"] and row["truth"] != "compliant" else ""
            lines.append(
                f"{r['family']:<9} {row['file']:<36} truth {row['truth']:<17} got {row['got']:<27} {','.join(row['findings'])}{danger}"
            )
    return "\n".join(lines)


def run(quick: bool) -> list[dict[str, object]]:
    """Rows for scripts/bench.py: one per family, the quality numbers in the note."""
    with tempfile.TemporaryDirectory(prefix="bench-detection-") as temp:
        results = evaluate(list(FAMILIES), Path(temp), quick, 1)
    return [
        {
            "case": f"detection {r['family']}",
            "tool": "labeler verify --jobs 1",
            "files": r["files"],
            "bytes": 0,
            "seconds": round(r["seconds_per_file"] * r["files"], 2),
            "peak_mb": 0.0,
            "note": f"accuracy {r['accuracy']:.1%}, dangerous passes {len(r['dangerous_passes'])}, false alarms {len(r['false_alarms'])}/{r['compliant_files']}, undecided {r['undecided']:.0%}",
        }
        for r in results
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few files per family")
    parser.add_argument("--only", default=",".join(FAMILIES), help=f"comma list of {', '.join(FAMILIES)}")
    parser.add_argument("--keep", type=Path, help="generate the set here and keep it (default: a temp folder)")
    parser.add_argument("--jobs", type=int, default=1, help="labeler verify --jobs (default 1: time per file without parallelism)")
    parser.add_argument("--json", type=Path, help="write every case with truth and result here")
    parser.add_argument("--baseline", type=Path, help="another labeler checkout, run on the same files right before this one")
    args = parser.parse_args(argv)
    families = [f.strip() for f in args.only.split(",") if f.strip()]
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        parser.error(f"unknown family {', '.join(unknown)}; choose from {', '.join(FAMILIES)}")
    missing = [tool for tool in ("convert", "ffmpeg", "exiftool", "espeak-ng") if not shutil.which(tool)]
    if missing:
        print(f"needs {', '.join(missing)} (apt-get install imagemagick ffmpeg libimage-exiftool-perl espeak-ng)", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-detection-"))
    try:
        results = evaluate(families, work, args.quick, args.jobs, args.baseline)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(results))
    wrong = mistakes(results)
    if wrong:
        print("\nwrong statuses:\n" + wrong)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
