"""The one label model: the seven GB 45438 Annex E fields, their JSON, and their rules.

Write strictly (``Label.to_json`` after ``require_writable``), read tolerantly (``parse_label``
reports every deviation as a named ``Problem`` and still returns the best label it can build).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import re
import uuid
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from .errors import LabelFormatError
from .problems import Problem, error, warning

#: Annex E keys in their standard order, with the attribute that holds each.
KEYS: tuple[tuple[str, str], ...] = (
    ("Label", "label"),
    ("ContentProducer", "content_producer"),
    ("ProduceID", "produce_id"),
    ("ReservedCode1", "reserved_code1"),
    ("ContentPropagator", "content_propagator"),
    ("PropagateID", "propagate_id"),
    ("ReservedCode2", "reserved_code2"),
)
KEY_NAMES = tuple(k for k, _ in KEYS)
LABEL_VALUES = {"1": "ai-generated", "2": "possibly-ai", "3": "suspected-ai"}
#: Longest label text we parse; real labels are a few hundred bytes.
MAX_LABEL_TEXT = 64 * 1024
#: The one size limit every label carrier (XMP packet, front matter, HTML meta, PNG text chunk, tag
#: value, PDF Info, sidecar...) meets before any parser sees it: real ones are kilobytes, Photoshop
#: XMP histories a few MB. Larger is refused at once instead of costing minutes and gigabytes.
MAX_CARRIER_BYTES = 16 * 1024 * 1024
#: The one nesting limit (JSON/YAML brackets, YAML block nesting, XML elements); a label is 2 deep,
#: an XMP packet about 8. Deeper input is refused before a recursive parser can overflow the stack.
MAX_CARRIER_DEPTH = 64
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class Label:
    """An implicit label. Values are kept exactly as given; ``require_writable`` enforces Annex E."""

    label: str = "1"
    content_producer: str = ""
    produce_id: str = ""
    reserved_code1: str = ""
    content_propagator: str = ""
    propagate_id: str = ""
    reserved_code2: str = ""

    def as_dict(self) -> dict[str, str]:
        """The seven fields keyed by their Annex E names, in standard order."""
        return {key: getattr(self, attr) for key, attr in KEYS}

    def to_json(self) -> str:
        """Compact JSON in the standard key order (the bare, unwrapped form)."""
        return json.dumps(self.as_dict(), ensure_ascii=False, separators=(",", ":"))

    def to_wrapped_json(self) -> str:
        """``{"AIGC":{...}}``, for carriers that have no key of their own (EXIF, PNG tEXt)."""
        return '{"AIGC":' + self.to_json() + "}"

    def problems(self) -> list[Problem]:
        """Annex E value rules (the checks ``require_writable`` enforces)."""
        found = []
        if self.label not in LABEL_VALUES:
            found.append(error("label.bad-value", f'Label is {self.label!r}; it must be "1", "2" or "3"'))
        for key, attr in KEYS:
            found.extend(value_problems(key, getattr(self, attr)))
        return found

    def require_writable(self) -> Label:
        """Return self, or raise ``LabelFormatError`` naming the first field that breaks Annex E."""
        for problem in self.problems():
            if problem.is_error:
                raise LabelFormatError(f"refusing to write this label: {problem}")
        return self

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Label:
        return cls(**{attr: data.get(key, "") for key, attr in KEYS})

    def with_fields(self, **changes: str) -> Label:
        return replace(self, **changes)


def describe_char(ch: str) -> str:
    return f"{ch!r} (U+{ord(ch):04X})"


def value_problems(key: str, value: str) -> list[Problem]:
    """Annex E j): printable ASCII without space, '"' and '\\' (0x21, 0x23-0x5B, 0x5D-0x7E)."""
    found = []
    for ch in dict.fromkeys(value):  # each distinct character once, in order
        code = ord(ch)
        if ch == '"':
            # A \" escape is tolerated by the standard's readers; still never written by us.
            found.append(warning("label.quote-char", f"{key} contains a '\"' character"))
        elif not (0x21 <= code <= 0x7E) or ch == "\\":
            hint = " (use the provider's code, not a Chinese name)" if code > 0x7F else ""
            found.append(error("label.forbidden-char", f"{key} contains the forbidden character {describe_char(ch)}{hint}"))
    return found


@dataclass(frozen=True)
class ParsedLabel:
    """What ``parse_label`` made of a raw text: the label (None if unusable) and every deviation."""

    label: Label | None
    problems: tuple[Problem, ...]
    wrapped: bool = False


class _DuplicateKeys(dict[str, Any]):
    """A JSON object that remembers which keys appeared more than once."""

    duplicates: list[str]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> _DuplicateKeys:
    obj = _DuplicateKeys()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def _loads(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_pairs_hook)


def _decode_json(text: str, problems: list[Problem]) -> Any:
    """JSON from the raw text, trying entity-unescaping and Base64 (each reported) as fallbacks."""
    try:
        return _loads(text)
    except (ValueError, RecursionError):
        pass
    unescaped = html.unescape(text)
    if unescaped != text:
        try:
            value = _loads(unescaped)
        except (ValueError, RecursionError):
            pass
        else:
            problems.append(warning("label.xml-entities", "the JSON is XML-entity-escaped (&quot; etc.); unescaped to read it"))
            return value
    if re.fullmatch(r"[A-Za-z0-9+/=\s]{16,}", text):
        try:
            value = _loads(base64.b64decode(text, validate=False).decode("utf-8"))
        except (ValueError, RecursionError, binascii.Error, UnicodeDecodeError):
            pass
        else:
            problems.append(error("label.base64", "the label is Base64-encoded; GB 45438 requires plain JSON"))
            return value
    raise ValueError("not JSON")


def bracket_depth(text: str, stop: int = MAX_CARRIER_DEPTH) -> int:
    """How deep ``[``/``{`` nest outside double-quoted strings, counting no further than ``stop + 1``."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_QUOTED.sub("", text)):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        if depth > deepest:
            deepest = depth
            if deepest > stop:
                break
    return deepest


def too_large(what: str, size: int, unit: str = "bytes", max_bytes: int = MAX_CARRIER_BYTES) -> str:
    """The refusal for a carrier over the size limit: what, how big, the limit and the fix."""
    return (
        f"the {what} is {size:,} {unit}, over labeler's {max_bytes:,}-byte limit for a label carrier; "
        "it is refused unparsed as possibly hostile (remove or shorten it)"
    )


def carrier_refusal(raw: str | bytes, what: str, *, max_bytes: int = MAX_CARRIER_BYTES) -> str | None:
    """Why a carrier's raw text is refused unparsed (too large, or brackets nested too deep), else None.

    Every adapter calls this (directly or through ``parse_label``) before handing carrier text to a
    parser, so one limit holds for every carrier; the message names the carrier, the size and the fix.
    """
    if len(raw) > max_bytes:
        return too_large(what, len(raw), "bytes" if isinstance(raw, bytes) else "characters", max_bytes)
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if bracket_depth(text) > MAX_CARRIER_DEPTH:
        return (
            f"the {what} nests brackets more than {MAX_CARRIER_DEPTH} deep; it is refused unparsed "
            "as possibly hostile (a real label is 2 deep: remove or rewrite it)"
        )
    return None


def parse_label(raw: str | bytes) -> ParsedLabel:
    """Parse a bare ``{...}`` or wrapped ``{"AIGC":{...}}`` label, tolerating and reporting deviations."""
    problems: list[Problem] = []
    if isinstance(raw, bytes):
        if len(raw) > MAX_LABEL_TEXT:
            return ParsedLabel(
                None, (error("label.too-large", f"label text is {len(raw)} bytes; refusing to parse more than {MAX_LABEL_TEXT}"),)
            )
        encoded = raw
        try:
            raw = encoded.decode("utf-8")
        except UnicodeDecodeError:
            raw = encoded.decode("utf-8", errors="replace")
            problems.append(error("label.invalid-utf8", "the label text is not valid UTF-8"))
    if len(raw) > MAX_LABEL_TEXT:
        return ParsedLabel(
            None, (error("label.too-large", f"label text is {len(raw)} characters; refusing to parse more than {MAX_LABEL_TEXT}"),)
        )
    refusal = carrier_refusal(raw, "label text")
    if refusal:
        return ParsedLabel(None, (error("label.too-deep", refusal),))
    text = raw.strip().lstrip("\ufeff").strip()
    if text != raw:
        problems.append(warning("label.whitespace", "the label text has surrounding whitespace"))
    try:
        data = _decode_json(text, problems)
    except ValueError:
        snippet = text[:60] + ("..." if len(text) > 60 else "")
        return ParsedLabel(None, tuple(problems) + (error("label.not-json", f"the label is not JSON: {snippet!r}"),))
    wrapped = False
    if isinstance(data, dict) and len(data) == 1:
        ((only_key, inner),) = data.items()
        if only_key.upper() == "AIGC" and isinstance(inner, dict):
            wrapped = True
            _duplicates(data, problems)
            data = inner
    if not isinstance(data, dict):
        return ParsedLabel(
            None, tuple(problems) + (error("label.not-object", f"the label JSON is a {type(data).__name__}, not an object"),)
        )
    _duplicates(data, problems)
    values = _fields_from(data, problems)
    label = Label.from_dict(values)
    problems.extend(label.problems())
    return ParsedLabel(label, tuple(problems), wrapped)


def _duplicates(obj: dict[str, Any], problems: list[Problem]) -> None:
    for key in getattr(obj, "duplicates", ()):
        problems.append(error("label.duplicate-key", f"key {key!r} appears more than once"))


#: Misspelt keys third-party libraries write (case-folded) -> the Annex E key they mean. Read, so
#: the label is classified and relabelling keeps its values, and reported as ``label.misspelt-key``.
MISSPELT_KEYS = {
    "reservecode1": "ReservedCode1",
    "reservecode2": "ReservedCode2",
    "propagator": "ContentPropagator",
    "producer": "ContentProducer",
    "propagatorid": "PropagateID",
    "producerid": "ProduceID",
}


def _fields_from(data: dict[str, Any], problems: list[Problem]) -> dict[str, str]:
    by_folded = {name.casefold(): name for name in KEY_NAMES}
    values: dict[str, str] = {}
    for key, value in data.items():
        name = by_folded.get(str(key).casefold())
        meant = MISSPELT_KEYS.get(str(key).casefold())
        if name is None and meant is not None and meant not in data:
            problems.append(
                error(
                    "label.misspelt-key",
                    f"key {key!r} is a misspelling of {meant!r} (written by some third-party libraries); "
                    f"read as {meant}, but Annex E names the key {meant!r}: relabel to fix it",
                )
            )
            name = key = meant
        if name is None:
            problems.append(error("label.unknown-key", f"unknown key {key!r}"))
            continue
        if name != key:
            problems.append(error("label.key-case", f"key {key!r} should be spelled {name!r}"))
        if not isinstance(value, str):
            problems.append(error("label.non-string", f"{name} is {json.dumps(value)[:40]}, not a string"))
            value = "" if value is None else json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)
        values[name] = value
    for name in KEY_NAMES:
        if name not in values:
            problems.append(error("label.missing-key", f"key {name!r} is missing"))
    present = [k for k in (by_folded.get(str(k).casefold()) for k in data) if k]
    if present != [k for k in KEY_NAMES if k in present]:
        problems.append(warning("label.key-order", "keys are not in the standard order"))
    return values


# --- provider codes (TC260 coding rules, 27 characters) --------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
SERVICE_TYPES = {"0": "unspecified", "1": "generation", "2": "propagation"}
_CODE = re.compile(r"[0-9A-Z]{27}")


def uscc_check_char(first17: str) -> str | None:
    """The GB 32100 check character for the first 17 USCC characters, or None if they are not valid."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        return None
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


@dataclass(frozen=True)
class ProviderCode:
    """A 27-character TC260 provider code, split into its parts."""

    raw: str
    version: str
    subject_type: str
    binding: str
    uscc: str
    service_type: str
    model_code: str

    @property
    def uscc_valid(self) -> bool:
        return uscc_check_char(self.uscc[:17]) == self.uscc[17]

    def as_dict(self) -> dict[str, str | bool]:
        data: dict[str, str | bool] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["uscc_valid"] = self.uscc_valid
        return data


def parse_provider_code(value: str) -> ProviderCode | None:
    """Split a structured code, or None when the value is a name rather than a code."""
    if not _CODE.fullmatch(value) or not value.startswith("00"):
        return None
    return ProviderCode(value, value[0:2], value[2], value[3], value[4:22], value[22], value[23:27])


#: Which service digit each label field expects.
_ROLE_SERVICE = {"ContentProducer": "1", "ContentPropagator": "2"}


def provider_problems(key: str, value: str) -> list[Problem]:
    """Findings about a ContentProducer / ContentPropagator value (codes are checked, names are allowed)."""
    if not value:
        return []
    code = parse_provider_code(value)
    if code is None:
        if len(value) == 27 and value.startswith("00"):
            return [warning("provider.malformed-code", f"{key} {value!r} looks like a provider code but is not 27 characters of [0-9A-Z]")]
        return []
    found = []
    if code.subject_type == "1" and code.binding == "1" and not code.uscc_valid:
        expected = uscc_check_char(code.uscc[:17])
        why = "has characters outside the USCC alphabet" if expected is None else f"check character should be {expected!r}"
        found.append(warning("provider.bad-uscc", f"{key} {value!r}: USCC {code.uscc} fails its GB 32100 check ({why})"))
    if code.service_type not in SERVICE_TYPES:
        found.append(warning("provider.bad-service", f"{key} {value!r}: service digit {code.service_type!r} is not 0, 1 or 2"))
    elif code.service_type != "0" and code.service_type != _ROLE_SERVICE[key]:
        role = SERVICE_TYPES[code.service_type]
        found.append(warning("provider.role-mismatch", f"{key} {value!r} is a {role}-service code (service digit {code.service_type})"))
    return found


def label_findings(label: Label) -> list[Problem]:
    """Provider-code findings for both provider fields of a label."""
    return provider_problems("ContentProducer", label.content_producer) + provider_problems("ContentPropagator", label.content_propagator)


# --- ProduceID -------------------------------------------------------------------------------

DEFAULT_ID_TEMPLATE = "{sha256:32}"
_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\d+))?\}")


def expand_id_template(template: str, *, sha256: str, stem: str, today: date | None = None) -> str:
    """Expand ``{sha256}``, ``{sha256:N}``, ``{stem}``, ``{date}`` and ``{uuid}`` in an ID template.

    The default ``{sha256:32}`` is derived from the source content: unique per distinct file and
    the same every time the same content is labelled.
    """
    today = today or date.today()
    sources = {"sha256": sha256, "stem": stem, "date": today.strftime("%Y%m%d"), "uuid": uuid.uuid4().hex}

    def expand(match: re.Match[str]) -> str:
        name, width = match.group(1), match.group(2)
        if name not in sources:
            raise LabelFormatError(
                f"unknown placeholder {{{name}}} in ID template {template!r}; use one of {', '.join('{' + s + '}' for s in sources)}"
            )
        value = sources[name]
        return value[: int(width)] if width else value

    return _PLACEHOLDER.sub(expand, template)


def file_sha256(path: str, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
