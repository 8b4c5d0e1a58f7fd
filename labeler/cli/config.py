"""The configuration file mapped onto argparse: ``--config``/``--no-config``, filling the parsed
arguments from ``labeler.toml`` where the command line is silent, and ``labeler config --show``.

TOML keys map generically onto the destinations of the command being run (see ``labeler.config``).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..config import COMMAND_SECTIONS, NOTICE_FLAGS, Config, Setting, load_config
from ..errors import LabelFormatError
from ..ignore import IgnoreRules
from ..notice import Notice


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
                raise LabelFormatError(
                    f"{config.name}: unknown key {setting.key!r}; keys map onto command-line options: {', '.join(known)}"
                )
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
    lines += ["", "ignore:"] + (
        [f"  {p!r} # {r.origin}" for r in rules for p in r.patterns if p.strip() and not p.startswith("#")] or ["  (nothing ignored)"]
    )
    lines += ["", "waivers:"] + (
        [f"  {w.rule}: {w.reason}" + (f" (paths: {', '.join(w.paths)})" if w.paths else "") + f" # {w.origin}" for w in config.waivers]
        or ["  (none)"]
    )
    return "\n".join(lines) + "\n"


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
