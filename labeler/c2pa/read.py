"""Read and validate a C2PA manifest (embedded, or in a ``NAME.c2pa`` sidecar) into plain values.

Validation states are c2pa's: ``Trusted`` (chain ends in a given trust anchor), ``Valid`` (the
signature and hashes check out, signer not on a trust list: ``signingCredential.untrusted``),
``Invalid`` (a hash or signature fails — typically the file was edited after signing). A broken
manifest is a finding about the file, never an ``error`` status.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..label import MAX_CARRIER_BYTES, Label, parse_label
from ..sidecar import companion_exists
from ..xmp import AI_SOURCE_TYPES, source_type_uri
from .scan import Window, has_jumbf
from .sign import SIDECAR_MIME, TC260_ASSERTION, sidecar_manifest_path

#: c2pa stores actions as ``c2pa.actions.v2``: match by prefix.
ACTIONS_PREFIX = "c2pa.actions"
#: Sidecar manifests are refused above this size (real ones are kilobytes; thumbnails add ~100 KB).
MAX_SIDECAR_BYTES = MAX_CARRIER_BYTES
UNTRUSTED = "signingCredential.untrusted"


@dataclass(frozen=True)
class C2paSignal:
    state: str  # Trusted | Valid | Invalid | Unreadable
    embedded: bool  # False: read from the NAME.c2pa sidecar
    manifest: str | None = None  # the active manifest's label (urn:c2pa:…)
    manifests: int = 0
    signer: dict[str, Any] | None = None  # common_name, issuer, alg, time, cert_serial_number
    claim_generator: str | None = None
    actions: tuple[str, ...] = ()
    digital_source_type: str | None = None  # of the first c2pa.created/opened action
    ingredient_source_type: str | None = None  # the same, from an ingredient's manifest (an AI one first)
    tc260: Label | None = None
    tc260_raw: str | None = None
    failures: tuple[str, ...] = ()  # validation failure codes, e.g. assertion.dataHash.mismatch
    error: str | None = None  # why an embedded store could not be read at all
    ingredients: tuple[str, ...] = ()  # "relationship: title" of the active manifest's ingredients

    @property
    def untrusted(self) -> bool:
        return UNTRUSTED in self.failures

    @property
    def valid(self) -> bool:
        return self.state in ("Trusted", "Valid")

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "embedded": self.embedded,
            "manifest": self.manifest,
            "manifests": self.manifests,
            "signer": self.signer,
            "claim_generator": self.claim_generator,
            "actions": list(self.actions),
            "digital_source_type": self.digital_source_type,
            "ingredient_source_type": self.ingredient_source_type,
            "tc260": self.tc260.as_dict() if self.tc260 else None,
            "tc260_raw": self.tc260_raw,
            "failures": list(self.failures),
            "error": self.error,
            "ingredients": list(self.ingredients),
        }


def _context(anchors: bytes | None) -> Any:
    # c2pa-python refuses a Context in any process but the one that made it ("Context is not valid"),
    # and a forked worker inherits the parent's cache: cache per process.
    return _context_in_process(anchors, os.getpid())


@lru_cache(maxsize=8)
def _context_in_process(anchors: bytes | None, pid: int) -> Any:
    import c2pa

    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if anchors:
        settings["trust"] = {"trust_anchors": anchors.decode("ascii", "replace")}
    return c2pa.Context(c2pa.Settings.from_dict(settings))


def _first_source_action(actions: list[dict[str, Any]]) -> str | None:
    for action in actions:
        if action.get("action") in ("c2pa.created", "c2pa.opened") and action.get("digitalSourceType"):
            return str(action["digitalSourceType"])
    return None


def _tc260(assertions: list[dict[str, Any]]) -> tuple[Label | None, str | None]:
    for assertion in assertions:
        data = assertion.get("data")
        if assertion.get("label") == TC260_ASSERTION or (isinstance(data, dict) and "AIGC" in data):
            value = data.get("AIGC") if isinstance(data, dict) else None
            raw = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            return parse_label(raw).label, raw
    return None, None


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a
        for x in manifest.get("assertions", [])
        if str(x.get("label", "")).startswith(ACTIONS_PREFIX)
        for a in x.get("data", {}).get("actions", [])
    ]


def _ingredient_source_type(store: dict[str, Any], active: str | None) -> str | None:
    """The digital source type declared inside an ingredient's manifest. An AI generator's file
    that was then converted or edited (OpenAI's gpt-image files) declares ``c2pa.created`` with
    trainedAlgorithmicMedia only there; the active manifest just says ``opened``/``converted``."""
    found = [t for label, m in store.get("manifests", {}).items() if label != active and (t := _first_source_action(_actions(m)))]
    return next((t for t in found if source_type_uri(t) in AI_SOURCE_TYPES), found[0] if found else None)


def _signal(store: dict[str, Any], state: str, embedded: bool) -> C2paSignal:
    active = store.get("active_manifest")
    manifest = store.get("manifests", {}).get(active, {}) if active else {}
    assertions = manifest.get("assertions", [])
    actions = _actions(manifest)
    generator = manifest.get("claim_generator_info") or []
    tc260, raw = _tc260(assertions)
    failures = store.get("validation_results", {}).get("activeManifest", {}).get("failure")
    if failures is None:
        failures = store.get("validation_status", [])
    return C2paSignal(
        state=state,
        embedded=embedded,
        manifest=active,
        manifests=len(store.get("manifests", {})),
        signer=manifest.get("signature_info"),
        claim_generator=" ".join(str(generator[0].get(k, "")) for k in ("name", "version")).strip()
        if generator
        else manifest.get("claim_generator"),
        actions=tuple(str(a.get("action")) for a in actions),
        digital_source_type=_first_source_action(actions),
        ingredient_source_type=_ingredient_source_type(store, active),
        tc260=tc260,
        tc260_raw=raw,
        failures=tuple(dict.fromkeys(str(f.get("code")) for f in failures)),
        ingredients=tuple(f"{i.get('relationship', '?')}: {i.get('title', '?')}" for i in manifest.get("ingredients", [])),
    )


def _read(mime: str | None, path: Path, manifest_data: bytes | None, anchors: bytes | None) -> C2paSignal | None:
    import c2pa

    embedded = manifest_data is None
    try:
        with open(path, "rb") as stream:
            reader = c2pa.Reader.try_create(mime or SIDECAR_MIME, stream, manifest_data, _context(anchors))
            if reader is None:
                return None
            with reader:
                return _signal(json.loads(reader.json()), reader.get_validation_state() or "Invalid", embedded)
    except c2pa.C2paError as exc:
        return C2paSignal(state="Unreadable", embedded=embedded, error=f"{type(exc).__name__}: {exc}")
    except (ValueError, TypeError, AttributeError) as exc:  # a store whose JSON has an unexpected shape
        return C2paSignal(state="Unreadable", embedded=embedded, error=f"unexpected manifest structure ({type(exc).__name__}: {exc})")


def read_c2pa(path: Path, mime: str | None, parts: list[Window], anchors: bytes | None = None) -> C2paSignal | None:
    """The manifest in ``path`` or its sidecar, or None (fast: no c2pa call without a JUMBF box)."""
    side = sidecar_manifest_path(path)
    if companion_exists(side):
        if side.stat().st_size > MAX_SIDECAR_BYTES:
            return C2paSignal(
                state="Unreadable", embedded=False, error=f"{side.name} is over the {MAX_SIDECAR_BYTES:,}-byte limit for a manifest"
            )
        return _read(mime, path, side.read_bytes(), anchors)
    if mime is None or not has_jumbf(parts):
        return None
    return _read(mime, path, None, anchors)
