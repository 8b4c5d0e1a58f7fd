"""One self-contained HTML page for people: counts, a filterable table, and per file a preview
(image thumbnail with the detected notice box outlined, audio waveform with the cue marked, made
by the file's adapter: ``Adapter.preview``; this module decodes no media), the implicit label
fields and the problems in plain language.

Safety: every value taken from a file (names, label fields, evidence text) goes through
``html.escape``; the only script is a fixed string allowed by a Content-Security-Policy hash, so
even markup that slipped through could not run. Previews are ``data:`` URIs (no network, one file).
The filter reads ``#status=...&q=...`` from the address too, so a link can open a filtered view.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Mapping, Sequence
from typing import Any

from .._version import __version__
from ..adapters.base import Adapter
from ..names import unicode_text
from ..problems import Problem
from ..registry import ADAPTERS
from ..status import Status
from ..verify import STATUSES, Verdict, summary_counts
from . import Outcome, RunInfo, checks_of, display_path
from .plain import sentence, unique

MAX_PREVIEWS = 300  # keeps a report of a huge folder openable

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


def _adapter(verdict: Verdict) -> Adapter | None:
    """The adapter that checked ``verdict``'s file: its media family, the one listing its format."""
    family = [a for a in ADAPTERS if a.media == verdict.media]
    return next((a for a in family if verdict.format in a.extensions), family[0] if family else None)


def _preview(verdict: Verdict, detail: Mapping[str, Any]) -> str:
    adapter = _adapter(verdict)
    uri = adapter.preview(verdict.path, detail) if adapter is not None and verdict.path.is_file() else None
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
    return (
        f'<details class="tech"><summary>Technical details</summary><div>{checks}</div>'
        + (f"<ul>{rules}</ul>" if rules else "")
        + (f"<div>carrier: {e(carrier)}</div>" if carrier else "")
        + "</details>"
    )


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
    klass = {Status.COMPLIANT: "ok", Status.UNVERIFIED: "warn", Status.UNSUPPORTED: "none"}
    cards = f'<div class="card ok"><b>{passed}</b>pass</div><div class="card {"bad" if passed < len(verdicts) else "ok"}"><b>{len(verdicts) - passed}</b>do not pass</div>'
    cards += "".join(f'<div class="card {klass.get(s, "bad")}"><b>{counts[s]}</b>{e(s)}</div>' for s in STATUSES if counts[s])
    options = '<option value="">all statuses</option><option value="failing">not passing</option>' + "".join(
        f'<option value="{s}">{s}</option>' for s in STATUSES
    )
    rows = "".join(_file(i, v, run, i < MAX_PREVIEWS) for i, v in enumerate(verdicts))
    waivers = "".join(
        f"<li><b>{e(w.rule)}</b>: {e(w.reason)}" + (f" (paths: {e(', '.join(w.paths))})" if w.paths else "") + "</li>"
        for w in run.policy.waivers
    )
    skipped = "".join(f'<li><span class="path">{e(p)}</span>: {e(r)}</li>' for p, r in run.skipped)
    verdict = '<span class="verdict bad">Gate failed</span>' if run.gate_failed else '<span class="verdict ok">Gate passed</span>'
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
{f'<h2>Waivers</h2><ul class="waivers">{waivers}</ul>' if waivers else ""}
<div class="controls"><label>Filter <input id="q" type="search" placeholder="file name or rule"></label>
<label>Status <select id="status-filter">{options}</select></label> <span><span id="shown">{len(verdicts)}</span> shown</span></div>
<table id="files"><colgroup><col style="width:16%"><col style="width:9%"><col style="width:27%"><col style="width:20%"><col style="width:20%"><col style="width:8%"></colgroup><thead><tr><th>File</th><th>Status</th><th>What is wrong and what to do</th><th>Preview and notice</th><th>Hidden label (implicit)</th><th>Type</th></tr></thead>
{rows}
</table>
{f"<h2>Skipped</h2><ul>{skipped}</ul>" if skipped else ""}
<script>{SCRIPT}</script>
</body></html>
"""
