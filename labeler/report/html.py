"""One self-contained HTML page for people: counts, a filterable table, and per file a preview
(image thumbnail with the detected notice box outlined, audio waveform with the cue marked), the
implicit label fields and the problems in plain language.

Safety: every value taken from a file (names, label fields, evidence text) goes through
``html.escape``; the only script is a fixed string allowed by a Content-Security-Policy hash, so
even markup that slipped through could not run. Previews are ``data:`` URIs (no network, one file).
The filter reads ``#status=...&q=...`` from the address too, so a link can open a filtered view.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._version import __version__
from ..names import unicode_text
from ..problems import Problem
from ..verify import STATUSES, Verdict, summary_counts
from . import Outcome, RunInfo, checks_of, display_path
from .plain import sentence, unique

MAX_PREVIEWS = 300  # keeps a report of a huge folder openable
THUMB = 240  # longest side of an image thumbnail, px
WAVE = (480, 64)  # waveform strip size, px
MAX_WAVE_S = 600  # the strip covers at most the first ten minutes
OUTLINE = (255, 0, 170)  # notice box outline colour (magenta: never a natural label colour)
CUE = (255, 170, 0, 110)

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC",sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:22px;margin:0 0 4px}.sub{color:#57606a;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0 18px}
.card{border-radius:8px;padding:10px 14px;min-width:110px;color:#fff}.card b{display:block;font-size:24px}
.ok{background:#1a7f37}.bad{background:#cf222e}.warn{background:#9a6700}.none{background:#8c959f}
.verdict{font-weight:600;padding:6px 12px;border-radius:6px;display:inline-block;color:#fff}
.controls{margin:8px 0 12px;display:flex;gap:8px;align-items:center}
input,select{font:inherit;padding:4px 8px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
table#files{table-layout:fixed;min-width:1000px}
th{background:#f6f8fa}.path{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
.preview img{max-width:100%}td{overflow-wrap:anywhere}
.fields{table-layout:auto;width:100%}.fields td:first-child{white-space:nowrap;overflow-wrap:normal}
.status{font-weight:600;white-space:nowrap}.s-pass{color:#1a7f37}.s-fail{color:#cf222e}.s-waived{color:#9a6700}
.preview img{display:block;max-width:240px;border:1px solid #d0d7de}
.fields{font-family:ui-monospace,monospace;font-size:12px;border-collapse:collapse}.fields td{border:0;padding:1px 6px}
ul.problems{margin:0;padding-left:18px}.detail{color:#57606a;font-size:12px}
details.tech{margin-top:6px;color:#57606a;font-size:12px}details.tech summary{cursor:pointer}details.tech code{font-size:11px}
.waivers li{margin:2px 0}
"""

SCRIPT = """(function(){
var q=document.getElementById("q"),s=document.getElementById("status-filter"),n=document.getElementById("shown");
function apply(){var t=q.value.toLowerCase(),v=s.value,c=0;
document.querySelectorAll("tbody.file").forEach(function(b){
var ok=(!v||b.dataset.status===v||(v==="failing"&&b.dataset.passed==="false"))&&(!t||b.dataset.search.indexOf(t)>=0);
b.hidden=!ok;if(ok)c++;});n.textContent=String(c);}
var h=new URLSearchParams(location.hash.slice(1));
if(h.get("q"))q.value=h.get("q");if(h.get("status"))s.value=h.get("status");
q.addEventListener("input",apply);s.addEventListener("change",apply);apply();
document.documentElement.setAttribute("data-filter","ready");})();"""
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
CSP = f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{SCRIPT_HASH}'"


def e(value: object) -> str:
    return html.escape(unicode_text(str(value)), quote=True)  # a name that is not UTF-8 shows its bytes as \xNN


def _png(image: Any) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _boxes(detail: Mapping[str, Any]) -> list[tuple[list[float], list[float] | None]]:
    """(box, frame) pairs from evidence detail: top-level ``box`` or per-position dicts holding one."""
    found = []
    for value in [detail, *(v for v in detail.values() if isinstance(v, Mapping))]:
        box = value.get("box")
        if isinstance(box, (list, tuple)) and len(box) == 4 and all(isinstance(x, (int, float)) for x in box):
            frame = value.get("frame")
            found.append((list(box), list(frame) if isinstance(frame, (list, tuple)) and len(frame) == 2 else None))
    return found


def _outlined(image: Any, detail: Mapping[str, Any], full: tuple[int, int] | None = None) -> str:
    """A thumbnail of ``image`` with each detected notice box outlined; boxes are in the pixels of
    their ``frame`` (else of ``full``, the undecimated size)."""
    from PIL import ImageDraw

    width, height = image.size
    scale = min(1.0, THUMB / max(width, height))
    thumb = image.convert("RGB").resize((max(1, round(width * scale)), max(1, round(height * scale))))
    draw = ImageDraw.Draw(thumb)
    for box, frame in _boxes(detail):
        frame = frame or (list(full) if full else None)
        fx = scale * (width / frame[0]) if frame and frame[0] else scale
        fy = scale * (height / frame[1]) if frame and frame[1] else scale
        x0, y0, x1, y1 = box[0] * fx, box[1] * fy, box[2] * fx, box[3] * fy
        draw.rectangle([x0 - 2, y0 - 2, x1 + 2, y1 + 2], outline=OUTLINE, width=3)
    return _png(thumb)


def image_preview(path: Path, detail: Mapping[str, Any]) -> str | None:
    """A thumbnail with each detected notice box outlined, or None if Pillow cannot read it."""
    try:
        from PIL import Image

        with Image.open(path) as source:
            source.seek(0)
            full = source.size
            source.draft("RGB", (THUMB * 2, THUMB * 2))  # JPEG: decode at reduced size (boxes scale by the frame size)
            image = source.convert("RGB")
    except Exception:  # noqa: BLE001 - a preview is optional; the verdict already says what is wrong
        return None
    return _outlined(image, detail, full)


def video_preview(path: Path, detail: Mapping[str, Any]) -> str | None:
    """The frame where the notice was checked (``start_s``, else 0.5 s) with its box outlined."""
    import subprocess

    try:
        from PIL import Image

        from .. import ffmpeg

        at = detail.get("start_s")
        at = float(at) + 0.05 if isinstance(at, (int, float)) and not isinstance(at, bool) else 0.5
        command = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-ss", f"{at:.3f}", "-i", str(path),
                   "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"]
        frame = subprocess.run(command, capture_output=True, timeout=60, check=True).stdout
        image = Image.open(io.BytesIO(frame)).convert("RGB")
    except Exception:  # noqa: BLE001 - optional preview (no ffmpeg, undecodable stream, timeout)
        return None
    return _outlined(image, detail)


def _cues(detail: Mapping[str, Any]) -> list[tuple[float, float]]:
    spans = []
    for value in [detail, *(v for v in detail.values() if isinstance(v, Mapping))]:
        start = value.get("start_s", value.get("start"))
        end = value.get("end_s", value.get("end"))
        if isinstance(start, (int, float)) and not isinstance(start, bool):
            spans.append((float(start), float(end) if isinstance(end, (int, float)) and not isinstance(end, bool) else float(start) + 0.5))
    return spans


def envelope(path: Path, columns: int) -> tuple[Any, Any, float] | None:
    """Per-column (min, max) of the mono signal and the duration covered, read block by block
    (at most ``MAX_WAVE_S`` seconds), so a long file never sits in memory."""
    import numpy as np
    import soundfile

    info = soundfile.info(str(path))
    total = min(info.frames, int(info.samplerate * MAX_WAVE_S))
    if total <= 0:
        return None
    lows, highs = np.full(columns, np.inf), np.full(columns, -np.inf)
    position = 0
    for block in soundfile.blocks(str(path), blocksize=1 << 16, dtype="float32", always_2d=True, frames=total):
        mono = block.mean(axis=1)
        index = (position + np.arange(mono.size)) * columns // total
        starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
        at = index[starts]
        lows[at] = np.minimum(lows[at], np.minimum.reduceat(mono, starts))
        highs[at] = np.maximum(highs[at], np.maximum.reduceat(mono, starts))
        position += mono.size
    return lows, highs, total / info.samplerate


def audio_preview(path: Path, detail: Mapping[str, Any]) -> str | None:
    """A waveform strip with the detected cue(s) shaded, or None when the audio cannot be decoded."""
    try:
        import numpy as np
        from PIL import Image, ImageDraw

        shape = envelope(path, WAVE[0])
    except Exception:  # noqa: BLE001 - optional preview
        return None
    if shape is None:
        return None
    lows, highs, duration = shape
    width, height = WAVE
    image = Image.new("RGB", WAVE, (246, 248, 250))
    draw = ImageDraw.Draw(image, "RGBA")  # RGBA drawing on an RGB image blends the translucent cue
    for start, end in _cues(detail):
        if start < duration:
            x0, x1 = width * start / duration, width * min(end, duration) / duration
            draw.rectangle([x0, 0, max(x1, x0 + 2), height], fill=CUE)
    # Full scale (1.0) is the strip's half height, as audio editors draw it: scaling to the loudest
    # sample made any steady tone fill the strip as a solid bar and blew dither up into noise.
    # Each column is one vertical line from its minimum to its maximum, so a tone is a band as
    # high as its amplitude, symmetric around the centre line, and silence a flat line.
    centre, half = (height - 1) / 2, (height - 1) / 2 - 1
    finite = np.isfinite(lows) & np.isfinite(highs)
    tops = np.round(centre - np.clip(highs, -1.0, 1.0) * half)
    bottoms = np.round(centre - np.clip(lows, -1.0, 1.0) * half)
    for x in np.flatnonzero(finite):
        draw.line([(int(x), int(tops[x])), (int(x), int(bottoms[x]))], fill=(36, 41, 47, 255))
    return _png(image)


def document_preview(path: Path, detail: Mapping[str, Any]) -> str | None:
    """PDF: the page holding the notice with its bounding box (PDF points, or OCR pixels) outlined."""
    try:
        import pymupdf
        from PIL import Image

        with pymupdf.open(path) as doc:
            if not doc.is_pdf or doc.page_count == 0:
                return None
            number = detail.get("page", 1)
            page = doc[min(max(int(number) - 1, 0), doc.page_count - 1) if isinstance(number, int) else 0]
            width, height = page.rect.width, page.rect.height
            zoom = THUMB / max(width, height)
            pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
            image = Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)
    except Exception:  # noqa: BLE001 - optional preview (encrypted, damaged, not a PDF)
        return None
    boxes: dict[str, Any] = {}
    if isinstance(detail.get("bbox"), (list, tuple)):
        boxes = {"box": list(detail["bbox"]), "frame": [width, height]}
    elif isinstance(detail.get("box_px"), (list, tuple)) and isinstance(detail.get("dpi"), (int, float)):
        scale = detail["dpi"] / 72
        boxes = {"box": list(detail["box_px"]), "frame": [width * scale, height * scale]}
    return _outlined(image, boxes)


PREVIEWS = {"image": image_preview, "video": video_preview, "audio": audio_preview, "document": document_preview}


def _preview(verdict: Verdict, detail: Mapping[str, Any]) -> str:
    maker = PREVIEWS.get(verdict.media)
    uri = maker(verdict.path, detail) if maker and verdict.path.is_file() else None
    if uri is None:
        return ""
    what = "waveform, detected cue shaded" if verdict.media == "audio" else "detected notice outlined"
    return f'<div class="preview"><img alt="preview of {e(verdict.path.name)} ({what})" src="{uri}"></div>'


def _fields(verdict: Verdict) -> str:
    label = verdict.implicit.label
    if label is None:
        return '<span class="detail">no implicit label</span>'
    rows = "".join(f"<tr><td>{e(k)}</td><td>{e(v) if v else '<i>(empty)</i>'}</td></tr>" for k, v in label.as_dict().items())
    return f'<table class="fields">{rows}</table>'


def _technical(verdict: Verdict, outcomes: Sequence[Outcome], problems: Sequence[Problem]) -> str:
    """Rule ids, raw messages, per-check results and the carrier, folded away for engineers."""
    checks = " ".join(f'<span class="s-{o.result}">{e(o.check.name)}: {e(o.result)}</span>' for o in outcomes)
    rules = "".join(f"<li><code>{e(f.rule)}</code> ({'error' if f.is_error else 'warning'}): {e(f.message)}</li>" for f in problems)
    carrier = verdict.implicit.carrier
    return (f'<details class="tech"><summary>Technical details</summary><div>{checks}</div>'
            + (f"<ul>{rules}</ul>" if rules else "")
            + (f"<div>carrier: {e(carrier)}</div>" if carrier else "") + "</details>")


def _file(index: int, verdict: Verdict, run: RunInfo, with_preview: bool) -> str:
    path = display_path(verdict.path, run.root)
    outcomes = checks_of(verdict)
    problems = unique(f for o in outcomes for f in o.findings)
    evidence = verdict.explicit.evidence if verdict.explicit else None
    detail = evidence.detail if evidence else {}
    # One line per distinct plain sentence: two findings that read the same to a person are said once.
    lines = dict.fromkeys((sentence(f, detail), "s-fail" if f.is_error else "s-waived") for f in problems)
    items = "".join(f'<li class="{klass}">{e(text)}</li>' for text, klass in lines) or '<li class="s-pass">No problems.</li>'
    items += "".join(f'<li class="s-waived">Accepted by a waiver ({e(w.rule)}): {e(w.reason)}</li>' for w in unique(verdict.waivers))
    summary = f'<div class="detail">explicit: {e(evidence.summary)}</div>' if evidence and evidence.summary else ""
    search = " ".join(dict.fromkeys([path, verdict.status, verdict.media, *(f.rule for f in problems)])).lower()
    preview = _preview(verdict, detail) if with_preview else ""
    return (
        f'<tbody class="file" id="f{index}" data-status="{e(verdict.status)}" data-passed="{str(verdict.passed).lower()}" data-search="{e(search)}">'
        f'<tr><td class="path">{e(path)}</td><td class="status {"s-pass" if verdict.passed else "s-fail"}">{e(verdict.status)}</td>'
        f'<td class="pr"><ul class="problems">{items}</ul>{_technical(verdict, outcomes, problems)}</td>'
        f'<td class="pv">{preview}{summary}</td><td class="lf">{_fields(verdict)}</td>'
        f'<td>{e(verdict.media)}{" / " + e(verdict.format) if verdict.format else ""}<div class="detail">{e(verdict.classification)}{" (" + e(verdict.classification_source) + ")" if verdict.classification_source else ""}</div></td></tr></tbody>'
    )


def render(verdicts: Sequence[Verdict], run: RunInfo) -> str:
    counts = summary_counts(list(verdicts))
    passed = sum(1 for v in verdicts if v.passed)
    klass = {"compliant": "ok", "unverified": "warn", "unsupported": "none"}
    cards = f'<div class="card ok"><b>{passed}</b>pass</div><div class="card {"bad" if passed < len(verdicts) else "ok"}"><b>{len(verdicts) - passed}</b>do not pass</div>'
    cards += "".join(f'<div class="card {klass.get(s, "bad")}"><b>{counts[s]}</b>{e(s)}</div>' for s in STATUSES if counts[s])
    options = '<option value="">all statuses</option><option value="failing">not passing</option>' + "".join(f'<option value="{s}">{s}</option>' for s in STATUSES)
    rows = "".join(_file(i, v, run, i < MAX_PREVIEWS) for i, v in enumerate(verdicts))
    waivers = "".join(f"<li><b>{e(w.rule)}</b>: {e(w.reason)}" + (f" (paths: {e(', '.join(w.paths))})" if w.paths else "") + "</li>" for w in run.policy.waivers)
    skipped = "".join(f'<li><span class="path">{e(p)}</span>: {e(r)}</li>' for p, r in run.skipped)
    verdict = ('<span class="verdict bad">Gate failed</span>' if run.gate_failed else '<span class="verdict ok">Gate passed</span>')
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>labeler report: {len(verdicts)} files, {passed} pass</title>
<style>{STYLE}</style></head>
<body>
<h1>AI-content label check (GB 45438-2025)</h1>
<p class="sub">labeler {e(__version__)}, policy <b>{e(run.policy.name)}</b> ({e(run.policy.description)}). {verdict}</p>
<p class="sub">Every public AI-generated file needs <b>both</b> a notice people can see or hear and a hidden AIGC label in its metadata.</p>
<div class="cards" id="summary">{cards}</div>
{f'<h2>Waivers</h2><ul class="waivers">{waivers}</ul>' if waivers else ''}
<div class="controls"><label>Filter <input id="q" type="search" placeholder="file name or rule"></label>
<label>Status <select id="status-filter">{options}</select></label> <span><span id="shown">{len(verdicts)}</span> shown</span></div>
<table id="files"><colgroup><col style="width:16%"><col style="width:9%"><col style="width:27%"><col style="width:20%"><col style="width:20%"><col style="width:8%"></colgroup><thead><tr><th>File</th><th>Status</th><th>What is wrong and what to do</th><th>Preview and notice</th><th>Hidden label (implicit)</th><th>Type</th></tr></thead>
{rows}
</table>
{f'<h2>Skipped</h2><ul>{skipped}</ul>' if skipped else ''}
<script>{SCRIPT}</script>
</body></html>
"""
