"""The watermark flags of ``labeler label`` and ``labeler verify`` (config: ``[watermark] embed``,
``key``, ``key_file``, ``producers``; ``[verify] no_watermark_check``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..watermark.settings import WatermarkSettings

_KEY_HELP = "the watermark key (default: the documented public key; a mark made under one key is invisible under another)"


def _key_arguments(group: argparse._ArgumentGroup) -> None:
    keys = group.add_mutually_exclusive_group()
    keys.add_argument("--watermark-key", dest="watermark_key", metavar="SECRET", help=_KEY_HELP)
    keys.add_argument("--watermark-key-file", dest="watermark_key_file", type=Path, metavar="FILE", help="read the watermark key from FILE")


def add_label_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "invisible watermark (optional)",
        "a second implicit label in the content (images, video, audio) that survives metadata stripping and recompression; "
        "never a replacement for the metadata label",
    )
    group.add_argument(
        "--watermark",
        dest="watermark_embed",
        action="store_true",
        help="embed a watermark carrying a keyed digest of ContentProducer + ProduceID (re-encodes the content)",
    )
    _key_arguments(group)


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("invisible watermark", "reported under signals.watermark for images, video and audio")
    _key_arguments(group)
    group.add_argument(
        "--watermark-producer",
        dest="watermark_producers",
        action="append",
        default=[],
        metavar="CODE",
        help="a producer code to name when a watermark is found in a file without its metadata label (repeatable)",
    )
    group.add_argument("--no-watermark-check", dest="no_watermark_check", action="store_true", help="do not look for watermarks")


def _key(args: argparse.Namespace) -> bytes | None:
    from ..watermark.payload import key_from  # numpy: loaded only when a key is given

    text, path = getattr(args, "watermark_key", None), getattr(args, "watermark_key_file", None)
    return None if text is None and path is None else key_from(text, path)


def label_settings(args: argparse.Namespace) -> WatermarkSettings | None:
    """``LabelOptions.watermark``: None unless --watermark was given."""
    return WatermarkSettings(_key(args)) if getattr(args, "watermark_embed", False) else None


def verify_settings(args: argparse.Namespace) -> WatermarkSettings:
    return WatermarkSettings(
        _key(args), check=not getattr(args, "no_watermark_check", False), producers=tuple(getattr(args, "watermark_producers", None) or ())
    )
