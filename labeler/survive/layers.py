"""What each label layer looks like in one verdict, and whether it survived a transform.

Pure functions of ``labeler.verify.Verdict`` values (the same verify the ``verify`` command runs,
OCR included when installed). Four layers:

    metadata   the implicit AIGC label (any carrier; a NAME.aigc.json sidecar is noted: an upload
               carries the file alone)
    notice     the explicit notice, seen by labeler's render receipt, template match or OCR (audio:
               the Morse cue or a spoken notice); a check that cannot run is *undecided*, never
               *survived*
    watermark  ``signals.watermark`` of the verify result ({"present", "payload", "matches_label",
               "confidence"}) under the key given (``--watermark-key``); *undecided* where verify
               reads none (audio, text, documents) or the check is off
    c2pa       a C2PA manifest that still validates (Valid or Trusted)

A cell on the original row is ``present`` / ``absent`` / ``undecided``; on a transformed row
``survived`` / ``lost`` / ``undecided``, or ``absent`` when the original did not carry the layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..c2pa.read import UNTRUSTED
from ..status import UNCHECKABLE
from ..verify import Verdict

LAYERS = ("metadata", "notice", "watermark", "c2pa")
#: The states of a cell on the original row, and on a transformed row.
ORIGINAL_STATES = ("present", "absent", "undecided")
TRANSFORMED = ("survived", "lost", "undecided", "absent")
STATES = tuple(dict.fromkeys(ORIGINAL_STATES + TRANSFORMED))


@dataclass(frozen=True)
class Seen:
    """One layer in one file: True (there), False (not there), None (could not be checked)."""

    there: bool | None
    reason: str = ""


@dataclass(frozen=True)
class Cell:
    state: str  # one of STATES
    reason: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state, "reason": self.reason}


def _metadata(verdict: Verdict) -> Seen:
    implicit = verdict.implicit
    if not implicit.present:
        return Seen(False, "no implicit AIGC label in the file")
    carrier = implicit.carrier or "?"
    if carrier == "sidecar":
        return Seen(True, "present, but only in a NAME.aigc.json sidecar: an upload carries the file alone")
    errors = [str(p) for p in implicit.problems if p.is_error]
    return Seen(True, f"{carrier}" + (f"; but invalid: {errors[0]}" if errors else ""))


def _notice(verdict: Verdict) -> Seen:
    explicit = verdict.explicit
    if explicit is None:
        return Seen(None, "the notice was not checked")
    evidence = explicit.evidence
    if explicit.present is None:
        return Seen(None, evidence.summary or "the notice could not be checked")
    if explicit.present:
        errors = [str(p) for p in explicit.problems if p.is_error]
        return Seen(True, evidence.summary + (f"; but it no longer counts: {errors[0]}" if errors else ""))
    return Seen(False, evidence.summary or "no notice found")


def _watermark(verdict: Verdict) -> Seen:
    signals: dict[str, Any] = verdict.to_dict().get("signals") or {}
    mark = signals.get("watermark")
    if not isinstance(mark, dict):  # verify read none: see labeler.watermark.signal.read_watermark
        return Seen(
            None,
            f"not checked (verify reads no watermark in this {verdict.media} file: too short or undecodable, "
            "no reader for the medium, or the check is off)",
        )
    if not mark.get("present"):
        return Seen(False, f"no watermark detected (confidence {_number(mark.get('confidence'))})")
    matches = mark.get("matches_label")
    payload = mark.get("payload")
    how = {True: "matches the label", False: "does NOT match the label", None: "no label to compare"}.get(matches, "")
    return Seen(True, f"payload {payload!r}, {how}, confidence {_number(mark.get('confidence'))}")


def _number(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "?"


def _c2pa(verdict: Verdict) -> Seen:
    c2pa = verdict.signals.c2pa if verdict.signals else None
    if c2pa is None:
        return Seen(False, "no C2PA manifest")
    if c2pa.state == "Unreadable":
        return Seen(None, f"a C2PA store is there but unreadable: {c2pa.error or 'no reason given'}")
    if c2pa.valid:
        return Seen(
            True, f"manifest {c2pa.state}" + (" (sidecar NAME.c2pa: an upload carries the file alone)" if not c2pa.embedded else "")
        )
    failures = [code for code in c2pa.failures if code != UNTRUSTED]  # no trust list given: not a failure here
    return Seen(False, f"manifest still embedded but {c2pa.state}: {', '.join(failures) or 'does not validate'}")


_READERS = {"metadata": _metadata, "notice": _notice, "watermark": _watermark, "c2pa": _c2pa}


def observe(verdict: Verdict) -> dict[str, Seen]:
    """Each layer of one verified file; a file verify could not read leaves every layer undecided."""
    if verdict.status in UNCHECKABLE:
        reason = f"verify could not check the file: {verdict.error or verdict.status}"
        return {layer: Seen(None, reason) for layer in LAYERS}
    return {layer: read(verdict) for layer, read in _READERS.items()}


def original_cells(seen: dict[str, Seen]) -> dict[str, Cell]:
    state = {True: "present", False: "absent", None: "undecided"}
    return {layer: Cell(state[s.there], s.reason) for layer, s in seen.items()}


def compare(before: Seen, after: Seen) -> Cell:
    """The cell of one layer after a transform, given the original's."""
    if before.there is None:
        same = after.there is None and after.reason == before.reason
        return Cell("undecided", before.reason if same else f"could not be checked on the original: {before.reason}")
    if before.there is False:
        if after.there:
            return Cell("undecided", f"not in the original, yet seen now: {after.reason}")
        return Cell("absent", "not in the original")
    if after.there is None:
        return Cell("undecided", after.reason)
    return Cell("survived" if after.there else "lost", after.reason)


def transformed_cells(before: dict[str, Seen], after: dict[str, Seen]) -> dict[str, Cell]:
    return {layer: compare(before[layer], after[layer]) for layer in LAYERS}


__all__ = [
    "LAYERS",
    "ORIGINAL_STATES",
    "STATES",
    "TRANSFORMED",
    "Cell",
    "Seen",
    "compare",
    "observe",
    "original_cells",
    "transformed_cells",
]
