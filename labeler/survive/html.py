"""The survival table as one self-contained HTML page, for people who plan uploads.

Same conventions as ``labeler.report.html``: every value from a file (names, reasons, tool logs)
goes through ``html.escape`` (after ``unicode_text``, so a name that is not UTF-8 shows its bytes),
and a Content-Security-Policy allows inline styles only: the page has no script at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._version import __version__
from ..report.html import STYLE, e
from .layers import LAYERS
from .render import summary
from .runner import FileResult
from .transforms import Transform

CSP = "default-src 'none'; style-src 'unsafe-inline'"
_CLASS = {"present": "ok", "survived": "ok", "lost": "bad", "undecided": "warn", "absent": "none"}
EXTRA_STYLE = """
.c-ok{background:#dafbe1}.c-bad{background:#ffebe9}.c-warn{background:#fff8c5}.c-none{color:#57606a;background:#f6f8fa}
td .state{font-weight:600}table.survive{margin:6px 0 22px}table.survive td{font-size:13px}
h2.file{font-size:16px;margin:22px 0 4px;font-family:ui-monospace,monospace;overflow-wrap:anywhere}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border-radius:4px}
"""


def _cell(state: str, reason: str) -> str:
    return f'<td class="c-{_CLASS.get(state, "none")}"><span class="state">{e(state)}</span><div class="detail">{e(reason)}</div></td>'


def _file(result: FileResult, descriptions: dict[tuple[str, str], str]) -> str:
    kind = f"{result.media}/{result.format}" if result.format else result.media
    head = f'<h2 class="file">{e(result.path)}</h2><p class="sub">{e(kind)}</p>'
    if result.error:
        return head + f'<p class="s-fail">Could not be checked: {e(result.error)}</p>'
    header = "".join(f"<th>{e(layer)}</th>" for layer in LAYERS)
    rows = []
    for row in result.rows:
        what = f'<td><b>{e(row.transform)}</b><div class="detail">{e(descriptions.get((row.transform, result.media), "the file as it is"))}</div></td>'
        if row.error:
            rows.append(f'<tr>{what}<td colspan="{len(LAYERS) + 1}" class="c-bad">error: {e(row.error)}</td></tr>')
            continue
        cells = "".join(_cell(row.cells[layer].state, row.cells[layer].reason) for layer in LAYERS)
        rows.append(f"<tr>{what}{cells}<td>{e(row.status or '')}</td></tr>")
    note = f'<p class="detail">{e(result.note)}</p>' if result.note else ""
    return (
        head
        + f'<table class="survive"><thead><tr><th>transform</th>{header}<th>verify status</th></tr></thead>{"".join(rows)}</table>{note}'
    )


def _overview(results: Sequence[FileResult]) -> str:
    table = summary(results)["transforms"]
    if not table:
        return ""
    rows = []
    for name, per_layer in table.items():
        cells = []
        for layer in LAYERS:
            counts = per_layer[layer]
            had, unsure = counts["had"], counts["had"] - counts["survived"] - counts["lost"]
            state = "none" if not had else "ok" if counts["survived"] == had else "bad" if counts["lost"] else "warn"
            text = f"{counts['survived']} of {had}" + (f", {unsure} undecided" if unsure else "") if had else "-"
            cells.append(f'<td class="c-{state}">{e(text)}</td>')
        rows.append(f"<tr><td><b>{e(name)}</b></td>{''.join(cells)}</tr>")
    header = "".join(f"<th>{e(layer)}</th>" for layer in LAYERS)
    return (
        '<h2>Overview</h2><p class="sub">Files whose layer survived, of the files whose original carried it.</p>'
        f'<table class="survive"><thead><tr><th>transform</th>{header}</tr></thead>{"".join(rows)}</table>'
    )


def render_html(results: Sequence[FileResult], transforms: Sequence[Transform], skipped: Sequence[tuple[str, str]] = ()) -> str:
    descriptions = {(t.name, media): t.description for t in transforms for media in t.media}  # strip: one row per media
    tools = "".join(
        f"<tr><td><b>{e(t.name)}</b></td><td>{e(', '.join(t.media))}</td><td>{e(t.description)}</td><td><code>{e(t.invocation)}</code></td></tr>"
        for t in transforms
        if any(row.transform == t.name and r.media in t.media for r in results for row in r.rows)
    )
    skipped_items = "".join(f'<li><span class="path">{e(p)}</span>: {e(r)}</li>' for p, r in skipped)
    legend = "".join(f'<span class="c-{c}">{e(s)}</span>' for s, c in _CLASS.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>labeler survive: {len(results)} files</title>
<style>{STYLE}{EXTRA_STYLE}</style></head>
<body>
<h1>Which AI-content labels survive upload?</h1>
<p class="sub">labeler {e(__version__)}. Each file was changed the way platforms change uploads (re-encoding, resizing,
stripping metadata) with real tools, and each result was checked with <code>labeler verify</code>.
<b>undecided</b> means the layer could not be checked, never that it survived.</p>
<p class="legend">{legend}</p>
{_overview(results)}
{"".join(_file(r, descriptions) for r in results)}
{f"<h2>Skipped</h2><ul>{skipped_items}</ul>" if skipped_items else ""}
<h2>Transforms</h2><table class="survive"><thead><tr><th>name</th><th>media</th><th>what it does</th><th>how</th></tr></thead>{tools}</table>
</body></html>
"""


__all__ = ["CSP", "render_html"]
