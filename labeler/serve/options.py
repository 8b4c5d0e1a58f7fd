"""What the server is told at start (``ServeSettings``) and the label settings a person chooses on
the page, read from and written as ``labeler.toml`` so the page and the CLI agree."""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from ..config import CONFIG_FILE, Config
from ..notice import Notice
from ..roles import LabelOptions

DEFAULT_PORT = 8765
DEFAULT_MAX_UPLOAD = 2 << 30  # 2 GiB
LOOPBACK_NAMES = ("localhost",)
#: "Which labels" on the page -> (explicit, implicit).
WHICH = {"both": (True, True), "implicit": (False, True), "explicit": (True, False)}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: only this machine can connect."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeSettings:
    """The server's start-up settings (``labeler serve`` flags)."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token: str | None = None  # required for every request when set
    max_upload: int = DEFAULT_MAX_UPLOAD
    jobs: int = 1  # files processed at once
    verify_seconds: float | None = 600.0
    label_seconds: float | None = 3600.0
    memory_bytes: int | None = None
    config: Config = field(default_factory=Config)
    config_dir: Path = Path(".")  # where "save labeler.toml" writes

    def secured(self) -> ServeSettings:
        """Off loopback a token is mandatory: generate one when none was given."""
        if self.token or is_loopback(self.host):
            return self
        return replace(self, token=secrets.token_urlsafe(24))

    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/" + (f"?token={self.token}" if self.token else "")


@dataclass(frozen=True)
class LabelSettings:
    """The label settings the page offers; the names are ``labeler label`` flags (and
    ``[label]`` keys of ``labeler.toml``)."""

    role: str = "producer"
    label: str = ""  # "" = the role's default
    producer: str = ""
    produce_id: str = ""
    propagator: str = ""
    propagate_id: str = ""
    notice_text: str = ""  # "" = the media's default text
    notice_position: str = ""  # "" = the media's default place
    which: str = "both"

    @classmethod
    def from_config(cls, config: Config) -> LabelSettings:
        """The ``[label]`` (or top-level) keys of the configuration file that the page shows."""
        values: dict[str, str] = {}
        names = {f.name for f in fields(cls)}
        for setting in config.settings:
            key = setting.key.removeprefix("label.")
            if key in names and "." not in key and setting.value is not None:
                values[key] = str(setting.value)
        explicit = not _true(config, "no_explicit")
        implicit = not _true(config, "no_implicit")
        values["which"] = next((k for k, v in WHICH.items() if v == (explicit, implicit)), "both")
        return cls(**values)

    @classmethod
    def from_form(cls, form: Mapping[str, object]) -> LabelSettings:
        """Only known names are read; each value is a plain string (a file part is ignored)."""
        return cls(**{f.name: str(form[f.name]).strip() for f in fields(cls) if isinstance(form.get(f.name), str)})

    def options(self) -> LabelOptions:
        """The ``LabelOptions`` the CLI would build from the same flags (raises ``LabelFormatError``)."""
        explicit, implicit = WHICH.get(self.which, WHICH["both"])
        return LabelOptions(
            role=self.role,
            label=self.label or None,
            producer=self.producer or None,
            produce_id=self.produce_id or None,
            propagator=self.propagator or None,
            propagate_id=self.propagate_id or None,
            notice=Notice(text=self.notice_text or None, position=self.notice_position or None),
            explicit=explicit,
            implicit=implicit,
        ).validated()

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def toml(self) -> str:
        """A ``labeler.toml`` holding these settings (empty ones left out: the defaults apply)."""
        lines = ["# Written by labeler serve: the settings of `labeler label` (see `labeler config --show`).", "", "[label]"]
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "which" and value:
                lines.append(f"{f.name} = {json.dumps(value)}")  # a JSON string with ASCII escapes is a TOML basic string
        explicit, implicit = WHICH.get(self.which, WHICH["both"])
        lines += [f"no_explicit = {str(not explicit).lower()}"] if not explicit else []
        lines += [f"no_implicit = {str(not implicit).lower()}"] if not implicit else []
        return "\n".join(lines) + "\n"


def _true(config: Config, name: str) -> bool:
    return any(s.key.removeprefix("label.") == name and s.value is True for s in config.settings)


def save_toml(settings: LabelSettings, folder: Path) -> Path:
    """Write ``labeler.toml`` in ``folder``; an existing one is never overwritten (it may hold
    waivers, ignores and notes this page does not show): ``FileExistsError`` instead."""
    target = folder / CONFIG_FILE
    with open(target, "x", encoding="utf-8") as handle:  # "x": refuse, atomically, if one appeared meanwhile
        handle.write(settings.toml())
    return target


def parse_size(text: str) -> int:
    """``500MB``, ``2G``, ``1.5GB``, ``1048576`` -> bytes (binary units, as ``--max-memory``)."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = cleaned[-1:] if cleaned[-1:] in units else ""
    number = cleaned[: len(cleaned) - len(unit)]
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{text!r} is not a size like 500MB or 2G") from None
    if value <= 0:
        raise ValueError(f"{text!r}: the size must be more than 0")
    return int(value * units[unit])
