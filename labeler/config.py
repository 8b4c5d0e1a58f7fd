"""Project configuration: ``labeler.toml`` or ``[tool.labeler]`` in ``pyproject.toml``.

The nearest file walking up from the working directory wins (``labeler.toml`` before
``pyproject.toml`` in the same folder; a ``pyproject.toml`` without ``[tool.labeler]`` is passed
over). Command-line flags override the file; ``labeler config --show`` prints the effective
values and where each came from.

TOML keys map generically onto the argparse destinations of the command being run
(``labeler.cli.config`` does the mapping), so a flag added to the CLI is configurable without
touching this module:

    key = v            at the top level            -> dest ``key`` (dashes become underscores)
    [section] key = v                              -> dest ``section_key``, else ``key``
                                                      ([c2pa] cert -> c2pa_cert, [c2pa] tsa -> tsa,
                                                       [notice] text -> notice_text)
    [label] / [verify] key = v                     -> dest ``key``, for that command only

Keys with a meaning of their own: ``ignore = [...]`` (gitignore patterns, relative to the config
file), ``[[waiver]]`` (rule, reason, paths), ``[notice.<media>]`` (text, position, size, ... per
media type: text/image/audio/video/document), ``[cue]`` (the audible notice: type, mode,
voice_clip, position), ``[report] files = {junit = "PATH", ...}``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LabelFormatError
from .ignore import IgnoreRules, find_ignore_file, load_ignore_file, shown
from .policy import Waiver, waivers_from

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE = "labeler.toml"
PYPROJECT = "pyproject.toml"
MEDIA = ("text", "image", "audio", "video", "document")
COMMAND_SECTIONS = ("label", "verify")
#: ``[notice.<media>]`` keys -> ``Notice`` fields.
NOTICE_FIELDS = {
    "text": "text",
    "position": "position",
    "size": "height_ratio",
    "height_ratio": "height_ratio",
    "duration": "duration",
    "persist": "persist",
    "cue": "cue",
    "cue_mode": "cue_mode",
    "voice_clip": "voice_clip",
    "pages": "pages",
}
#: Command-line dests that override a ``Notice`` field in every per-media notice.
NOTICE_FLAGS = {"notice_text": "text", "notice_position": "position"}
#: Keys handled here rather than mapped onto a flag.
SPECIAL = {"ignore", "waiver", "notice", "report", "cue"}
#: ``[cue]`` keys (the audible notice) -> ``Notice`` fields of the audio notice.
CUE_FIELDS = {"type": "cue", "mode": "cue_mode", "voice_clip": "voice_clip", "position": "position"}


@dataclass(frozen=True)
class Setting:
    key: str  # dotted TOML key as written
    dest: str
    value: Any
    origin: str
    command: str | None = None  # applies to this command only


@dataclass(frozen=True)
class Config:
    """A parsed configuration file (or none: ``path`` None, everything empty)."""

    path: Path | None = None
    root: Path = field(default_factory=Path.cwd)
    settings: tuple[Setting, ...] = ()
    ignore: tuple[str, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    notices: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.path) if self.path else "(no configuration file)"

    def ignore_rules(self) -> list[IgnoreRules]:
        """Config patterns plus the nearest ``.labelerignore`` (searched from the working directory)."""
        rules = [IgnoreRules(self.root, self.ignore, f"{shown(self.path) if self.path else self.name} ignore")] if self.ignore else []
        if self.path is not None and self.path.name == CONFIG_FILE:  # the gate's own settings are not an asset
            rules.append(IgnoreRules(self.root, ("/" + CONFIG_FILE,), "the labeler configuration"))
        found = find_ignore_file(Path.cwd())
        if found is None and self.path is not None:
            candidate = self.root / ".labelerignore"
            found = candidate if candidate.is_file() else None
        if found is not None:
            rules.append(load_ignore_file(found))
        return rules


def find_config(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest configuration walking up from ``start`` and its labeler table."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / CONFIG_FILE
        if own.is_file():
            return own, _read(own)
        project = candidate / PYPROJECT
        if project.is_file():
            table = _read(project).get("tool", {}).get("labeler")
            if isinstance(table, dict):
                return project, table
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelFormatError(f"cannot read the configuration file ({exc})", path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise LabelFormatError(f"is not valid TOML: {exc}", path) from exc


def load_config(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Parse ``path`` (or the nearest configuration file); ``Config()`` when there is none."""
    if path is not None:
        data = _read(path)
        if path.name == PYPROJECT:
            data = data.get("tool", {}).get("labeler", {})
        located: tuple[Path, dict[str, Any]] | None = (path, data)
    else:
        located = find_config(start)
    if located is None:
        return Config()
    path, data = located
    path = path.resolve()
    origin = path.name if path.name == CONFIG_FILE else f"{path.name} [tool.labeler]"
    settings: list[Setting] = []
    for key, value in data.items():
        if key in SPECIAL:
            continue
        if isinstance(value, dict):
            settings += [Setting(f"{key}.{sub}", "", v, origin) for sub, v in value.items()]
        else:
            settings.append(Setting(key, "", value, origin))
    notice = data.get("notice", {})
    if not isinstance(notice, dict):
        raise LabelFormatError("'notice' must be a table ([notice])", path)
    notices: dict[str, dict[str, Any]] = {}
    for key, value in notice.items():
        if isinstance(value, dict):
            if key not in MEDIA:
                raise LabelFormatError(f"[notice.{key}]: {key!r} is not a media type ({', '.join(MEDIA)})", path)
            unknown = set(value) - set(NOTICE_FIELDS)
            if unknown:
                raise LabelFormatError(
                    f"[notice.{key}]: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(NOTICE_FIELDS)})", path
                )
            notices[key] = {NOTICE_FIELDS[k]: v for k, v in value.items()}
        else:
            settings.append(Setting(f"notice.{key}", "", value, origin))
    cue = data.get("cue", {})
    unknown_cue = set(cue) - set(CUE_FIELDS) if isinstance(cue, dict) else {"(not a table)"}
    if unknown_cue:
        raise LabelFormatError(f"[cue]: unknown key(s) {', '.join(sorted(unknown_cue))} (known: {', '.join(CUE_FIELDS)})", path)
    if cue:  # [notice.audio] keys win over [cue]
        notices["audio"] = {**{CUE_FIELDS[k]: v for k, v in cue.items()}, **notices.get("audio", {})}
    report = data.get("report", {})
    if not isinstance(report, dict):
        raise LabelFormatError("'report' must be a table ([report])", path)
    for key, value in report.items():
        if key == "files":
            if not isinstance(value, dict):
                raise LabelFormatError('[report] files must be a table like {junit = "labeler.xml"}', path)
            settings.append(Setting("report.files", "report", [f"{fmt}={target}" for fmt, target in value.items()], origin, "verify"))
        else:
            settings.append(Setting(f"report.{key}", "", value, origin, "verify"))  # reports are verify's
    ignore = data.get("ignore", [])
    if isinstance(ignore, str) or not isinstance(ignore, list):
        raise LabelFormatError("'ignore' must be a list of gitignore patterns", path)
    return Config(path, path.parent, tuple(settings), tuple(map(str, ignore)), waivers_from(data.get("waiver", []), origin), notices)


__all__ = ["COMMAND_SECTIONS", "CONFIG_FILE", "NOTICE_FLAGS", "Config", "Setting", "find_config", "load_config"]
