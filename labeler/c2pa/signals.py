"""International signals beside the TC260 label (spec §6): C2PA and IPTC, and their cross-checks.

Findings (rule ids ``c2pa.*``, ``crosscheck.*``) are warnings: GB 45438 requires neither signal.
With ``require_c2pa`` the C2PA findings become errors, so a missing or broken manifest fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..label import Label
from ..problems import Problem, Severity
from ..xmp import AI_SOURCE_TYPES, parse_xmp, source_type_uri
from .formats import mime_type
from .read import C2paSignal, read_c2pa
from .scan import windows, xmp_packets
from .settings import SignalOptions


@dataclass(frozen=True)
class IptcSignal:
    digital_source_type: str

    @property
    def ai(self) -> bool:
        return self.digital_source_type in AI_SOURCE_TYPES

    def to_dict(self) -> dict[str, Any]:
        return {"digital_source_type": self.digital_source_type, "ai": self.ai}


@dataclass(frozen=True)
class Signals:
    c2pa: C2paSignal | None = None
    iptc: IptcSignal | None = None
    problems: tuple[Problem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "c2pa": self.c2pa.to_dict() if self.c2pa else None,
            "iptc": self.iptc.to_dict() if self.iptc else None,
            "problems": [str(p) for p in self.problems if p.is_error],
            "warnings": [str(p) for p in self.problems if not p.is_error],
        }


def read_iptc(packets: list[bytes]) -> IptcSignal | None:
    for packet in packets:
        value = parse_xmp(packet).digital_source_type
        if value:
            return IptcSignal(source_type_uri(value.strip()))
    return None


def _short(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def cross_check(label: Label | None, c2pa: C2paSignal | None, iptc: IptcSignal | None, options: SignalOptions) -> list[Problem]:
    """The findings; ``label`` is the file's own TC260 label (None when it has none)."""
    strict = Severity.ERROR if options.require_c2pa else Severity.WARNING
    found: list[Problem] = []
    if c2pa is None:
        if options.require_c2pa:
            found.append(Problem("c2pa.missing", "no C2PA manifest (embedded or NAME.c2pa sidecar), and --require c2pa is set", strict))
    elif c2pa.state == "Unreadable":
        found.append(Problem("c2pa.unreadable", f"the C2PA manifest store cannot be read ({c2pa.error})", strict))
    elif not c2pa.valid:
        codes = ", ".join(code for code in c2pa.failures if code != "signingCredential.untrusted") or "no reason given"
        found.append(Problem("c2pa.invalid", f"the C2PA manifest no longer validates ({codes}); the file was changed after signing — sign again as the last step", strict))
    if label is not None and label.label == "1":
        for name, value in (("IPTC DigitalSourceType", iptc.digital_source_type if iptc else None),
                            ("C2PA digitalSourceType", c2pa.digital_source_type if c2pa else None)):
            if value and source_type_uri(value) not in AI_SOURCE_TYPES:
                found.append(Problem("crosscheck.source-type", f"TC260 Label 1 (AI-generated) but the {name} says {_short(value)!r}, a non-AI source", Severity.WARNING))
    if label is not None and c2pa is not None and c2pa.tc260 is not None and c2pa.tc260 != label:
        found.append(Problem("crosscheck.c2pa-tc260", f"the C2PA manifest's TC260 assertion {c2pa.tc260.to_json()} disagrees with the file's label {label.to_json()}", strict))
    return found


def read_signals(path: Path, label: Label | None, options: SignalOptions | None = None) -> Signals:
    """C2PA and IPTC signals of one file plus the cross-check findings (reads the file once)."""
    options = options or SignalOptions()
    parts = windows(path)
    head = parts[0].data[:64] if parts else b""
    anchors = options.trust_anchors.read_bytes() if options.trust_anchors else None
    c2pa = read_c2pa(path, mime_type(path.name, head), parts, anchors)
    iptc = read_iptc(xmp_packets(parts))
    return Signals(c2pa, iptc, tuple(cross_check(label, c2pa, iptc, options)))
