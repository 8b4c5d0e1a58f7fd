"""Content Credentials (C2PA) and IPTC DigitalSourceType: the international signals of spec §6.

- ``settings``  C2paSettings (signing) and SignalOptions (trust anchors, --require c2pa)
- ``formats``   the MIME type c2pa gets, by magic bytes; what cannot be signed
- ``scan``      cheap raw-byte looks: JUMBF pre-check, XMP packet scan (head/tail of big files)
- ``sign``      the manifest (c2pa.created + digitalSourceType + TC260 assertion) and signing
- ``read``      reading and validating a manifest into a C2paSignal
- ``signals``   IPTC signal, cross-check findings, read_signals for verify
- ``pipeline``  the signing step of label_file (plan, then sign as the last write)
- ``pki``       a throwaway test chain (scripts/make_test_pki.py)

c2pa-python is imported lazily, only when a manifest is signed or a JUMBF box was seen.
"""

from .read import C2paSignal
from .settings import ENV, C2paSettings, SignalOptions, settings_from
from .sign import TC260_ASSERTION, sidecar_manifest_path
from .signals import IptcSignal, Signals, read_signals

__all__ = [
    "ENV",
    "TC260_ASSERTION",
    "C2paSettings",
    "C2paSignal",
    "IptcSignal",
    "SignalOptions",
    "Signals",
    "read_signals",
    "settings_from",
    "sidecar_manifest_path",
]
