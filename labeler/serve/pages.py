"""The two HTML pages. Neither holds a value from an uploaded file: the main page fills its cards
in the browser with ``textContent`` (never as markup), and the settings page escapes every value."""

from __future__ import annotations

import html
from pathlib import Path

from .._version import __version__
from ..config import CONFIG_FILE
from .options import WHICH, LabelSettings

POSITIONS = ["", "top-left", "top", "top-right", "left", "right", "bottom-left", "bottom", "bottom-right", "start", "end", "both"]
WHICH_WORDS = {
    "both": "visible notice and hidden label",
    "implicit": "hidden label only (the notice is already there)",
    "explicit": "visible notice only",
}


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _head(title: str, csrf: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="csrf" content="{e(csrf)}"><title>{e(title)}</title><link rel="stylesheet" href="/static/app.css"></head>'
    )


def _nav(current: str) -> str:
    links = [
        ("/", "Check and label"),
        ("/settings", "Settings"),
        ("/report.html", "Session report (HTML)"),
        ("/report.csv", "Session report (CSV)"),
    ]
    return (
        "<nav>"
        + " ".join(f'<a href="{href}"{" aria-current=page" if href == current else ""}>{text}</a>' for href, text in links)
        + "</nav>"
    )


def index(csrf: str) -> str:
    """Drop zone, label settings, the cards (filled by app.js) and the downloads."""
    which = "".join(f'<option value="{k}">{e(v)}</option>' for k, v in WHICH_WORDS.items())
    positions = "".join(f'<option value="{p}">{p or "default for the media"}</option>' for p in POSITIONS)
    return f"""{_head("labeler: check and label AI content", csrf)}<body>
<header><h1>AI-content labels (GB 45438-2025)</h1>{_nav("/")}</header>
<p class="sub">Files stay on this computer: they are checked and labelled here by labeler {e(__version__)}; the originals are never changed.</p>
<section id="drop" tabindex="0"><p><b>Drop files or a folder here</b></p>
<p><label class="button">Pick files<input id="pick" type="file" multiple hidden></label>
<label class="button">Pick a folder<input id="pick-folder" type="file" webkitdirectory multiple hidden></label></p></section>
<form id="label-form"><fieldset><legend>Label settings</legend>
<label>Producer code <input name="producer" id="producer" autocomplete="off" placeholder="27-character TC260 provider code"></label>
<label>Role <select name="role" id="role"><option value="producer">producer (made it)</option><option value="propagator">propagator (publishes it)</option></select></label>
<label>Propagator code <input name="propagator" id="propagator" autocomplete="off"></label>
<label>Notice text <input name="notice_text" id="notice_text" placeholder="default: AI生成 (media default)"></label>
<label>Notice position <select name="notice_position" id="notice_position">{positions}</select></label>
<label>Labels to add <select name="which" id="which">{which}</select></label>
</fieldset>
<p><button type="submit" id="label-all">Label files that do not pass</button>
<a class="button" id="zip" href="/download.zip">Download all labelled files (zip)</a></p></form>
<p id="message" role="status"></p>
<section id="cards" aria-live="polite"></section>
<script src="/static/app.js"></script></body></html>
"""


def settings(csrf: str, chosen: LabelSettings, folder: Path, message: str) -> str:
    """The page form of ``labeler.toml``'s ``[label]`` settings, the TOML text and a save button."""

    def text(name: str, label: str) -> str:
        return f'<label>{label} <input name="{name}" value="{e(getattr(chosen, name))}"></label>'

    def choose(name: str, label: str, options: dict[str, str]) -> str:
        items = "".join(
            f'<option value="{e(k)}"{" selected" if getattr(chosen, name) == k else ""}>{e(v)}</option>' for k, v in options.items()
        )
        return f'<label>{label} <select name="{name}">{items}</select></label>'

    body = "".join(
        [
            choose("role", "Role", {"producer": "producer", "propagator": "propagator"}),
            choose("label", "Label", {"": "role default", "1": "1 AI-generated", "2": "2 possibly AI-generated", "3": "3 suspected"}),
            text("producer", "Producer code (ContentProducer)"),
            text("produce_id", "ProduceID or template"),
            text("propagator", "Propagator code (ContentPropagator)"),
            text("propagate_id", "PropagateID or template"),
            text("notice_text", "Notice text"),
            choose("notice_position", "Notice position", {p: p or "default for the media" for p in POSITIONS}),
            choose("which", "Labels to add", {k: v for k, v in WHICH_WORDS.items() if k in WHICH}),
        ]
    )
    return f"""{_head("labeler: settings", csrf)}<body>
<header><h1>Settings</h1>{_nav("/settings")}</header>
<p class="sub">These are the <code>[label]</code> settings of <code>{CONFIG_FILE}</code>, used by <code>labeler label</code> and by this page.</p>
<p id="message" role="status">{e(message)}</p>
<form method="post" action="/settings"><input type="hidden" name="csrf" value="{e(csrf)}"><fieldset><legend>Label settings</legend>{body}</fieldset>
<p><button type="submit" name="action" value="apply">Use for this session</button>
<button type="submit" name="action" value="save">Use and save {CONFIG_FILE} in {e(folder.resolve())}</button></p></form>
<h2>{CONFIG_FILE}</h2><pre id="toml">{e(chosen.toml())}</pre></body></html>
"""
