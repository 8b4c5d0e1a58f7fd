"""International signals beside the TC260 label (spec §6): C2PA and IPTC, and their cross-checks.

Findings (rule ids ``c2pa.*``, ``crosscheck.*``) are warnings: GB 45438 requires neither signal.
With ``require_c2pa`` the C2PA findings become errors, so a missing or broken manifest fails.
A validation failure is named for what it is (``_FAILURES``): ``c2pa.invalid`` "changed after
signing" only for hash and signature mismatches; ``c2pa.credential-*`` and ``c2pa.timestamp`` for
problems with the certificate or time stamp, which say nothing about the content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..label import Label
from ..problems import Problem, Severity
from ..watermark.signal import WatermarkSignal
from ..xmp import AI_SOURCE_TYPES, parse_xmp, source_type_uri
from .formats import mime_type
from .read import UNTRUSTED, C2paSignal, read_c2pa
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
    watermark: WatermarkSignal | None = None  # None: the medium carries none, or the check is off

    @property
    def ai_declared_by(self) -> str | None:
        """Which signal declares the content AI-made: ``c2pa`` (the active manifest's source
        type), ``c2pa-ingredient`` (an ingredient's manifest), ``iptc``, or None. A manifest that
        no longer validates still counts: it is a trace of AI generation (Measures Art. 6), not
        proof, and only ever makes a file *suspected*."""
        c2pa = self.c2pa if self.c2pa is not None and self.c2pa.state != "Unreadable" else None
        for source, value in (
            ("c2pa", c2pa.digital_source_type if c2pa else None),
            ("c2pa-ingredient", c2pa.ingredient_source_type if c2pa else None),
            ("iptc", self.iptc.digital_source_type if self.iptc else None),
        ):
            if value and source_type_uri(value) in AI_SOURCE_TYPES:
                return source
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "c2pa": self.c2pa.to_dict() if self.c2pa else None,
            "iptc": self.iptc.to_dict() if self.iptc else None,
            "watermark": self.watermark.to_dict() if self.watermark else None,
            "problems": [str(p) for p in self.problems if p.is_error],
            "warnings": [str(p) for p in self.problems if not p.is_error],
        }


#: Validation failure code -> the finding it becomes, first match wins. Only hash and signature
#: mismatches mean the content changed after signing; credential and time-stamp problems say who
#: signed and when, not that anything was edited, so each is named as what it is.
_FAILURES: tuple[tuple[re.Pattern[str], Problem], ...] = tuple(
    (re.compile(pattern), problem)
    for pattern, problem in (
        (
            r"^signingCredential\.expired$",
            Problem(
                "c2pa.credential-expired",
                "the signing certificate has expired (checked at verification time, as no "
                "trusted time stamp proves when it was signed); the content was not changed — sign again with a current "
                "certificate, with a time stamp (--tsa) so the signature outlives the certificate",
            ),
        ),
        (
            r"^signingCredential\.revoked$",
            Problem(
                "c2pa.credential-revoked",
                "the signer's certificate was revoked by its issuer; the signature can no "
                "longer vouch for the content — sign again with a valid certificate",
            ),
        ),
        (
            r"^signingCredential\.untrusted$",
            Problem(
                "c2pa.credential-untrusted",
                "the signing certificate does not chain to any of the given trust anchors (--trust-anchors); the content was not changed",
            ),
        ),
        (
            r"^signingCredential\.",
            Problem(
                "c2pa.credential-invalid",
                "the signing certificate is not acceptable for C2PA (validity, key usage or "
                "chain); the content was not changed — sign with a conforming certificate",
            ),
        ),
        (
            r"^timeStamp\.",
            Problem(
                "c2pa.timestamp",
                "the signature's time stamp cannot be relied on (untrusted, malformed or outside its validity); "
                "the content was not changed",
            ),
        ),
        (
            r"(Hash|hashedURI|Signature)\.mismatch$",
            Problem("c2pa.invalid", "the file was changed after signing — sign again as the last step"),
        ),
        (r"", Problem("c2pa.invalid", "the manifest does not validate")),
    )
)


def _failure_findings(c2pa: C2paSignal, options: SignalOptions, severity: Severity) -> list[Problem]:
    """One finding per kind of failure, naming its codes. ``untrusted`` alone is the normal state
    without a trust list, so it is a finding only when trust anchors were given."""
    by_rule: dict[str, tuple[Problem, list[str]]] = {}
    for code in c2pa.failures:
        if code == UNTRUSTED and options.trust_anchors is None:
            continue
        problem = next(p for pattern, p in _FAILURES if pattern.search(code))
        by_rule.setdefault(problem.rule, (problem, []))[1].append(code)
    if not by_rule and not c2pa.valid:
        by_rule["c2pa.invalid"] = (_FAILURES[-1][1], list(c2pa.failures) or ["no reason given"])
    return [
        replace(p, message=f"C2PA manifest {c2pa.state}: {p.message} ({', '.join(codes)})", severity=severity)
        for p, codes in by_rule.values()
    ]


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
    else:
        found.extend(_failure_findings(c2pa, options, strict))
    if label is not None and label.label == "1":
        for name, value in (
            ("IPTC DigitalSourceType", iptc.digital_source_type if iptc else None),
            ("C2PA digitalSourceType", c2pa.digital_source_type if c2pa else None),
        ):
            if value and source_type_uri(value) not in AI_SOURCE_TYPES:
                found.append(
                    Problem(
                        "crosscheck.source-type",
                        f"TC260 Label 1 (AI-generated) but the {name} says {_short(value)!r}, a non-AI source",
                        Severity.WARNING,
                    )
                )
    if label is not None and c2pa is not None and c2pa.tc260 is not None and c2pa.tc260 != label:
        found.append(
            Problem(
                "crosscheck.c2pa-tc260",
                f"the C2PA manifest's TC260 assertion {c2pa.tc260.to_json()} disagrees with the file's label {label.to_json()}",
                strict,
            )
        )
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
