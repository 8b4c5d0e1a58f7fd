"""The gate flags of ``labeler verify``: ``--policy``, ``--fail-on``, ``--allow-empty``."""

from __future__ import annotations

import argparse
from typing import Any

from ..policy import PROFILES, Policy, get_policy
from ..status import STATUSES, Status

FAIL_ON_ANY = "any"


def parse_fail_on(text: str) -> frozenset[Status] | None:
    """``--fail-on invalid,error`` -> those statuses; ``any`` -> every status (unsupported files too);
    empty -> None (the default: every non-passing file but unsupported ones)."""
    names = frozenset(part.strip() for part in text.split(",") if part.strip())
    if not names:
        return None
    if FAIL_ON_ANY in names:
        return frozenset(STATUSES)
    unknown = sorted(names - set(STATUSES))
    if unknown:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown)}: not a status; use 'any' or a comma list of {', '.join(STATUSES)}")
    return frozenset(Status(name) for name in names)


def add_gate_arguments(parser: Any) -> None:
    gate = parser.add_argument_group("gate (policy, threshold, waivers in labeler.toml)")
    gate.add_argument(
        "--policy",
        choices=tuple(PROFILES),
        default="gb45438",
        help="gb45438 (default: both labels, Annex E strict); strict (also a 27-character provider code, audio notice at start and end); report-only (never fails)",
    )
    gate.add_argument(
        "--fail-on",
        type=parse_fail_on,
        default=None,
        metavar="STATUSES",
        help="exit 1 only for files with these statuses, e.g. 'invalid' or 'invalid,error'; 'any' = every status, "
        "unsupported included (default: any file that does not pass, except unsupported files, which are only reported)",
    )
    gate.add_argument(
        "--allow-empty",
        action="store_true",
        help="pass when no file was checked (an empty folder, only unsupported or ignored files); by default such a run fails: a gate that checked nothing must not pass silently",
    )


def policy_from_args(args: Any, config: Any = None) -> Policy:
    """The profile named by ``--policy`` plus the config's waivers."""
    policy = get_policy(getattr(args, "policy", None))
    if config is not None and config.waivers:
        policy = policy.with_waivers(config.waivers, root=config.root)
    return policy
