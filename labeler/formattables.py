"""Lists generated from the format rows (``labeler.facts``) of the ``ADAPTERS`` table.

- ``precommit_pattern()``: the ``files:`` regex of both hooks in ``.pre-commit-hooks.yaml``;
- ``readme_sections()``: the README's format table and C2PA table, between ``<!-- generated:NAME -->``
  markers;
- ``listing()``: what ``labeler formats`` prints.

``python scripts/generate_formats.py`` rewrites the YAML and the README from these; tests fail when
either has drifted from the table (``tests/test_format_tables.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .adapters.base import Adapter
from .facts import C2pa, Format
from .registry import ADAPTERS

#: Media families in the order the tables list them.
MEDIA = ("image", "audio", "video", "document", "text")
#: What each C2PA mode means, for the README.
C2PA_NOTES = {
    C2pa.EMBEDDED: "embedded",
    C2pa.STORED_ZIP: (
        "embedded; c2pa 0.38 reads only *stored* ZIP entries, so the package is rewritten with every part "
        "stored uncompressed before signing (same parts and bytes, larger file)"
    ),
    C2pa.NONE: (
        "not signable: a per-file note `C2PA not signed: …`, or `NAME.c2pa` with `--c2pa-sidecar` (a data hash over every byte of the file)"
    ),
}
EXTRA_HINT = "pip install 'gb45438-labeler[{extra}]'"


def _adapters() -> list[Adapter]:
    return sorted(ADAPTERS, key=lambda a: MEDIA.index(a.media))  # stable: table order within a family


def rows() -> Iterator[tuple[Adapter, Format]]:
    for adapter in _adapters():
        for fmt in adapter.formats:
            yield adapter, fmt


def precommit_pattern() -> str:
    """Every extension labeler handles, case-insensitive, by family (sorted within each)."""
    names: list[str] = []
    for media in MEDIA:
        found = sorted({e for a in ADAPTERS if a.media == media for e in a.extensions})
        names += [e for e in found if e not in names]
    return r"(?i)\.(" + "|".join(re.escape(e) for e in names) + r")$"


def with_precommit_pattern(yaml_text: str) -> str:
    """``.pre-commit-hooks.yaml`` with every hook's ``files:`` line set to the generated pattern."""
    return re.sub(r"(?m)^(\s*files:\s*).*$", lambda m: m.group(1) + precommit_pattern(), yaml_text)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def format_table() -> str:
    lines = [
        "| format | extensions | family | adapter | implicit label carrier | C2PA | optional extra |",
        "|---|---|---|---|---|---|---|",
    ]
    for adapter, fmt in rows():
        carrier = f"`{adapter.carrier}`" if adapter.carrier else "sidecar `NAME.aigc.json`"
        extra = f"`{fmt.extra}`" if fmt.extra else ""
        extensions = " ".join(f"`.{e}`" for e in fmt.extensions)
        lines.append(f"| {_cell(fmt.label)} | {extensions} | {adapter.media} | `{adapter.name}` | {carrier} | {fmt.c2pa.value} | {extra} |")
    return "\n".join(lines)


def c2pa_table() -> str:
    lines = ["| formats | C2PA |", "|---|---|"]
    for mode in C2pa:
        labels = [fmt.label for _, fmt in rows() if fmt.c2pa is mode]
        if labels:
            lines.append(f"| {_cell(', '.join(dict.fromkeys(labels)))} | {C2PA_NOTES[mode]} |")
    return "\n".join(lines)


def readme_sections() -> dict[str, str]:
    return {"formats": format_table(), "c2pa-formats": c2pa_table()}


def with_readme_sections(readme: str) -> str:
    """The README with every generated section replaced (markers must exist: a missing one raises)."""
    for name, body in readme_sections().items():
        found = re.search(rf"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- /generated:{name} -->)", readme, re.S)
        if found is None:
            raise ValueError(f"README.md has no <!-- generated:{name} --> ... <!-- /generated:{name} --> markers")
        readme = readme[: found.start()] + found.group(1) + body + "\n" + found.group(2) + readme[found.end() :]
    return readme


def listing() -> str:
    """``labeler formats``: each adapter, its formats, carrier, who sees the label, backends."""
    lines = [f"{'adapter':<10} {'media':<9} {'extensions':<22} implicit carrier", ""]
    for adapter in ADAPTERS:
        carrier = adapter.carrier or "sidecar NAME.aigc.json (no in-file carrier)"
        lines.append(f"{adapter.name:<10} {adapter.media:<9} {','.join(adapter.extensions):<22} {carrier}")
        if adapter.seen_by:
            seen = "; ".join(f"{tool}: {where or 'no'}" for tool, where in adapter.seen_by.items())
            lines.append(f"{'':<10}   label seen by {seen}")
        for fmt in adapter.formats:
            extra = f"; optional extra: {EXTRA_HINT.format(extra=fmt.extra)}" if fmt.extra else ""
            lines.append(f"{'':<10}   format {fmt.label} ({fmt.mime}): C2PA {fmt.c2pa.value}{extra}")
        for backend in adapter.backends():
            state = "available" if backend.available else f"MISSING - install: {backend.install_hint}"
            lines.append(f"{'':<10}   backend {backend.name}: {state} ({backend.detail})")
    return "\n".join(lines) + "\n"
