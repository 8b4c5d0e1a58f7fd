"""What the user asked for: signing credentials (label) and trust/requirement (verify).

Plain values with no c2pa import, so ``LabelOptions`` stays cheap to build and to pickle into
worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LabelFormatError
from ..watermark.settings import WatermarkSettings

#: ``--c2pa-alg`` values -> c2pa ``C2paSigningAlg`` member names.
ALGORITHMS = {
    "es256": "ES256",
    "es384": "ES384",
    "es512": "ES512",
    "ps256": "PS256",
    "ps384": "PS384",
    "ps512": "PS512",
    "ed25519": "ED25519",
}
#: Environment variables for the key paths, so keys never appear on a command line in CI logs.
ENV = {"cert": "LABELER_C2PA_CERT", "key": "LABELER_C2PA_KEY", "alg": "LABELER_C2PA_ALG", "tsa": "LABELER_TSA_URL"}


@dataclass(frozen=True)
class C2paSettings:
    """Sign a C2PA manifest as the last write of ``label_file``."""

    cert: Path  # PEM chain, leaf first (leaf -> intermediate; the root may be left out)
    key: Path  # the leaf's private key, PEM
    alg: str = "es256"
    tsa: str | None = None  # RFC 3161 time-stamp server; None keeps signing offline
    sidecar: bool = False  # formats c2pa cannot embed in get NAME.c2pa instead of a skip note
    thumbnail: bool = False  # c2pa's default thumbnail can grow a small WebP sevenfold

    def validated(self) -> C2paSettings:
        if self.alg not in ALGORITHMS:
            raise LabelFormatError(f"signature algorithm {self.alg!r} is not one of {', '.join(ALGORITHMS)}", field="c2pa.alg")
        for name, path in (("cert", self.cert), ("key", self.key)):
            if not Path(path).is_file():
                raise LabelFormatError(f"{path}: no such file; give the PEM file (or set {ENV[name]})", field=f"c2pa.{name}")
        if self.tsa is not None and not self.tsa.startswith(("http://", "https://")):
            raise LabelFormatError(f"{self.tsa!r} is not an http(s) URL of an RFC 3161 time-stamp server", field="c2pa.tsa")
        return self


@dataclass(frozen=True)
class SignalOptions:
    """How ``verify`` treats the international signals (C2PA, IPTC)."""

    trust_anchors: Path | None = None  # PEM bundle of roots to trust; None: no trust list (Valid at best)
    require_c2pa: bool = False  # a missing or invalid manifest fails the check (GB 45438 does not require one)
    watermark: WatermarkSettings = field(default_factory=WatermarkSettings)  # the invisible watermark check (key, producers)


def settings_from(
    cert: str | Path | None, key: str | Path | None, alg: str | None = None, tsa: str | None = None, *, sidecar: bool = False
) -> C2paSettings | None:
    """``C2paSettings`` from command-line / config values; None when neither cert nor key is given."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        # Values come from flags or environment variables, so the message names both.
        missing, name = ("--c2pa-cert (or LABELER_C2PA_CERT)", "cert") if cert is None else ("--c2pa-key (or LABELER_C2PA_KEY)", "key")
        raise LabelFormatError(
            f"C2PA signing needs both a certificate chain and its private key: {missing} is missing", field=f"c2pa.{name}"
        )
    return C2paSettings(Path(cert), Path(key), (alg or "es256").lower(), tsa or None, sidecar).validated()
