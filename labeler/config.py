"""Project configuration: ``labeler.toml`` or ``[tool.labeler]`` in ``pyproject.toml``.

The nearest file walking up from the working directory wins (``labeler.toml`` before
``pyproject.toml`` in the same folder; a ``pyproject.toml`` without ``[tool.labeler]`` is passed
over). Command-line flags override the file; ``labeler config --show`` prints the effective
values and where each came from.

TOML keys map generically onto the argparse destinations of the command being run, so a flag
added to the CLI is configurable without touching this module:

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

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LabelFormatError
from .ignore import IgnoreRules, find_ignore_file, load_ignore_file, shown
from .notice import Notice
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
NOTICE_FIELDS = {"text": "text", "position": "position", "size": "height_ratio", "height_ratio": "height_ratio",
                 "duration": "duration", "persist": "persist", "cue": "cue", "cue_mode": "cue_mode",
                 "voice_clip": "voice_clip", "pages": "pages"}
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
                raise LabelFormatError(f"[notice.{key}]: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(NOTICE_FIELDS)})", path)
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
                raise LabelFormatError("[report] files must be a table like {junit = \"labeler.xml\"}", path)
            settings.append(Setting("report.files", "report", [f"{fmt}={target}" for fmt, target in value.items()], origin, "verify"))
        else:
            settings.append(Setting(f"report.{key}", "", value, origin, "verify"))  # reports are verify's
    ignore = data.get("ignore", [])
    if isinstance(ignore, str) or not isinstance(ignore, list):
        raise LabelFormatError("'ignore' must be a list of gitignore patterns", path)
    return Config(path, path.parent, tuple(settings), tuple(map(str, ignore)), waivers_from(data.get("waiver", []), origin), notices)


# --- mapping onto argparse --------------------------------------------------------------------------


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse has no public accessor for sub-parsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in parser._actions if a.option_strings and a.dest != "help"}


def _dest_for(setting: Setting, actions: Mapping[str, argparse.Action], command: str) -> str | None:
    if setting.command not in (None, command):
        return None
    if setting.dest:
        return setting.dest if setting.dest in actions else None
    parts = setting.key.replace("-", "_").split(".")
    if len(parts) == 2 and parts[0] in COMMAND_SECTIONS:
        return parts[1] if parts[0] == command and parts[1] in actions else None
    candidates = ["_".join(parts)] + ([parts[-1]] if len(parts) > 1 else [])
    return next((c for c in candidates if c in actions), None)


def _coerce(action: argparse.Action, value: Any, where: str) -> Any:
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        if not isinstance(value, bool):
            raise LabelFormatError(f"{where} must be true or false")
        return value if isinstance(action, argparse._StoreTrueAction) else not value
    many = isinstance(action, argparse._AppendAction) or action.nargs in ("+", "*")
    values = value if isinstance(value, list) else [value]
    if not many and isinstance(value, list):
        if not callable(action.type):
            raise LabelFormatError(f"{where} takes one value, not a list")
        value = values = [",".join(map(str, value))]  # e.g. fail_on = ["invalid", "error"]
    converted = []
    for item in values:
        if isinstance(item, (dict, list)):
            raise LabelFormatError(f"{where}: {item!r} is not a plain value")
        try:
            result = action.type(str(item)) if callable(action.type) else item
        except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
            raise LabelFormatError(f"{where}: {exc}") from exc
        if action.choices is not None and result not in action.choices:
            raise LabelFormatError(f"{where}: {item!r} is not one of {', '.join(map(str, action.choices))}")
        converted.append(result)
    return converted if many else converted[0]


def explicit_dests(parser_factory: Any, argv: Sequence[str]) -> set[str]:
    """The dests the command line itself set (parsed again with every default suppressed)."""
    parser = parser_factory()
    for sub in subparsers(parser).values():
        for action in sub._actions:
            if action.option_strings:
                action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(list(argv))))


def apply_config(parser: argparse.ArgumentParser, args: argparse.Namespace, config: Config, given: set[str]) -> dict[str, str]:
    """Fill ``args`` from ``config`` where the command line said nothing; return dest -> origin."""
    command = args.command
    sub = subparsers(parser).get(command)
    actions = _actions(sub) if sub else {}
    origins = {dest: ("command line" if dest in given else "default") for dest in actions}
    every = {name: _actions(p) for name, p in subparsers(parser).items()}
    for setting in config.settings:
        dest = _dest_for(setting, actions, command)
        if dest is None:
            if not any(_dest_for(setting, acts, name) for name, acts in every.items()):
                known = sorted({d for acts in every.values() for d in acts})
                raise LabelFormatError(f"{config.name}: unknown key {setting.key!r}; keys map onto command-line options: {', '.join(known)}")
            continue  # a key for another command
        if dest in given:
            continue
        setattr(args, dest, _coerce(actions[dest], setting.value, f"{config.name}: {setting.key}"))
        origins[dest] = f"{setting.origin}: {setting.key}"
    return origins


def media_notices(config: Config, given: set[str]) -> dict[str, dict[str, Any]]:
    """Per-media notice fields from the config, minus those a command-line flag overrides."""
    overridden = {NOTICE_FLAGS[d] for d in given if d in NOTICE_FLAGS}
    return {media: {k: v for k, v in fields.items() if k not in overridden} for media, fields in config.notices.items()}


def _shown_value(value: Any) -> str:
    """A setting as TOML would spell it (``fail_on`` is a set, ``report`` a list of (format, path))."""
    if isinstance(value, (set, frozenset)):
        return repr(",".join(sorted(value)))
    if isinstance(value, list) and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return repr([f"{fmt}={path}" for fmt, path in value])
    return repr(str(value)) if isinstance(value, Path) else repr(value)


def show(parser: argparse.ArgumentParser, config: Config, commands: Sequence[str] = COMMAND_SECTIONS) -> str:
    """The effective configuration of each command and where every value came from."""
    lines = [f"configuration file: {config.name}"]
    for command in commands:
        sub = subparsers(parser)[command]
        args = argparse.Namespace(command=command, **{a.dest: a.default for a in sub._actions if a.dest != "help"})
        origins = apply_config(parser, args, config, set())
        lines += ["", f"[{command}]"]
        for dest in sorted(origins):
            lines.append(f"  {dest:<18} = {_shown_value(getattr(args, dest, None)):<40} # {origins[dest]}")
    for media, fields in sorted(config.notices.items()):
        lines += ["", f"[notice.{media}]"] + [f"  {k:<18} = {v!r:<40} # {config.name}" for k, v in fields.items()]
    rules = config.ignore_rules()
    lines += ["", "ignore:"] + ([f"  {p!r} # {r.origin}" for r in rules for p in r.patterns if p.strip() and not p.startswith("#")] or ["  (nothing ignored)"])
    lines += ["", "waivers:"] + ([f"  {w.rule}: {w.reason}" + (f" (paths: {', '.join(w.paths)})" if w.paths else "") + f" # {w.origin}" for w in config.waivers] or ["  (none)"])
    return "\n".join(lines) + "\n"




# --- command line -----------------------------------------------------------------------------------


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("configuration")
    group.add_argument("--config", type=Path, metavar="FILE", help="read this labeler.toml / pyproject.toml instead of the nearest one")
    group.add_argument("--no-config", action="store_true", help="ignore labeler.toml, [tool.labeler] and .labelerignore")


def configure(parser: argparse.ArgumentParser, args: argparse.Namespace, argv: Sequence[str]) -> Config:
    """Load the configuration for ``args.command`` and fill ``args`` where the command line is silent.

    Sets ``args.config_origins`` (dest -> where the value came from) and ``args.media_notices``.
    """
    if getattr(args, "no_config", False):
        config = Config()
    else:
        config = load_config(getattr(args, "config", None))
    given = explicit_dests(lambda: _fresh(parser), argv)
    args.config_origins = apply_config(parser, args, config, given)
    args.media_notices = media_notices(config, given)
    args.loaded_config = config
    return config


def _fresh(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    import copy

    return copy.deepcopy(parser)


def ignore_rules(args: argparse.Namespace) -> list[IgnoreRules]:
    """The ignore rules for this run (none with ``--no-config``)."""
    config: Config | None = getattr(args, "loaded_config", None)
    if getattr(args, "no_config", False):
        return []
    return (config or Config()).ignore_rules()




def media_notice_options(args: argparse.Namespace, base: Notice) -> tuple[tuple[str, Any], ...]:
    """``LabelOptions.media_notices`` from ``[notice.<media>]``: the command-line notice (``base``,
    with every notice flag) with the media's own fields on top (flags given on the command line
    were already removed)."""
    return tuple((media, base.with_fields(**fields)) for media, fields in sorted(getattr(args, "media_notices", {}).items()))

__all__ = [
    "Config",
    "Setting",
    "add_config_arguments",
    "apply_config",
    "configure",
    "explicit_dests",
    "find_config",
    "ignore_rules",
    "load_config",
    "media_notice_options",
    "media_notices",
    "show",
]
