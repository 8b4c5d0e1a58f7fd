"""The C2PA flags of ``labeler label`` and ``labeler verify`` (argparse dests are a contract: the
config file maps ``[c2pa] cert/key/alg/tsa`` onto ``c2pa_cert``, ``c2pa_key``, ``c2pa_alg``, ``tsa``)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..c2pa.settings import ALGORITHMS, ENV, C2paSettings, SignalOptions, settings_from
from ..errors import LabelFormatError

REQUIREMENTS = ("c2pa",)


def add_sign_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Content Credentials (C2PA), optional",
        f"sign a C2PA manifest as the last write; key paths also from ${ENV['cert']}, ${ENV['key']}, ${ENV['alg']}, ${ENV['tsa']}",
    )
    group.add_argument(
        "--c2pa-cert",
        dest="c2pa_cert",
        type=Path,
        default=os.environ.get(ENV["cert"]) or None,
        metavar="CHAIN.pem",
        help="certificate chain, leaf first (not self-signed)",
    )
    group.add_argument(
        "--c2pa-key",
        dest="c2pa_key",
        type=Path,
        default=os.environ.get(ENV["key"]) or None,
        metavar="KEY.pem",
        help="the leaf's private key",
    )
    group.add_argument(
        "--c2pa-alg",
        dest="c2pa_alg",
        choices=tuple(ALGORITHMS),
        type=str.lower,
        default=(os.environ.get(ENV["alg"]) or "es256").lower(),
        help="signature algorithm matching the key (default es256)",
    )
    group.add_argument(
        "--tsa",
        dest="tsa",
        default=os.environ.get(ENV["tsa"]) or None,
        metavar="URL",
        help="RFC 3161 time-stamp server (default none: signing stays offline)",
    )
    group.add_argument(
        "--c2pa-sidecar",
        dest="c2pa_sidecar",
        action="store_true",
        help="formats c2pa cannot embed in (text, OGG, MKV/WebM) get NAME.c2pa instead of a skip note",
    )


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Content Credentials (C2PA)", "manifests are read and reported under signals.c2pa; GB 45438 does not require them"
    )
    group.add_argument(
        "--trust-anchors",
        dest="trust_anchors",
        type=Path,
        metavar="FILE",
        help="PEM bundle of trusted root certificates (manifests chaining to one are Trusted, others Valid at best)",
    )
    group.add_argument(
        "--require",
        dest="require",
        action="append",
        choices=REQUIREMENTS,
        default=[],
        help="c2pa: a missing or invalid manifest fails the check",
    )


def sign_settings(args: argparse.Namespace) -> C2paSettings | None:
    return settings_from(
        getattr(args, "c2pa_cert", None),
        getattr(args, "c2pa_key", None),
        getattr(args, "c2pa_alg", None),
        getattr(args, "tsa", None),
        sidecar=getattr(args, "c2pa_sidecar", False),
    )


def signal_options(args: argparse.Namespace) -> SignalOptions:
    anchors = getattr(args, "trust_anchors", None)
    if anchors is not None and not Path(anchors).is_file():
        raise LabelFormatError(f"--trust-anchors {anchors}: no such file; give a PEM bundle of root certificates")
    return SignalOptions(trust_anchors=Path(anchors) if anchors else None, require_c2pa="c2pa" in (getattr(args, "require", None) or ()))


def signal_lines(signals: object) -> list[str]:
    """The text-report lines for a verdict's ``signals`` (C2PA state and signer, IPTC source type)."""
    lines: list[str] = []
    c2pa = getattr(signals, "c2pa", None)
    iptc = getattr(signals, "iptc", None)
    if c2pa is not None:
        signer = (c2pa.signer or {}).get("common_name") or "unknown signer"
        source = (c2pa.digital_source_type or "no digitalSourceType").rsplit("/", 1)[-1]
        where = "" if c2pa.embedded else ", sidecar NAME.c2pa"
        lines.append(f"c2pa: {c2pa.state} ({signer}{where}; {source}" + ("; TC260 assertion" if c2pa.tc260 else "") + ")")
    if iptc is not None:
        lines.append(f"iptc: DigitalSourceType {iptc.digital_source_type.rsplit('/', 1)[-1]}")
    mark = getattr(signals, "watermark", None)
    if mark is not None and mark.present:
        agrees = {True: "matches the label", False: "does not match the label", None: "no label to compare"}[mark.matches_label]
        lines.append(f"watermark: payload {mark.payload} ({agrees}; confidence {mark.confidence:.2f})")
    return lines
