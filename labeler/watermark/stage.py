"""The watermark step of ``label_file``: after the explicit notice, before the metadata label (so a
C2PA signature still comes last).

The plan reads the source first: a watermark with the same payload is kept (labelling twice adds
nothing), and one with another payload or under another key refuses the file, because a second
pattern on top of the first would garble both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UnsupportedError
from ..label import Label
from ..model import Action, Step
from . import medium
from .settings import WatermarkSettings
from .signal import WatermarkSignal


@dataclass(frozen=True)
class MarkPlan:
    media: str
    payload: bytes
    key: bytes | None


def _key_name(settings: WatermarkSettings) -> str:
    return "the default key" if settings.key is None else "your key"


def plan_watermark(src: Path, media: str, label: Label, settings: WatermarkSettings) -> tuple[MarkPlan | None, Action]:
    """What to do about the watermark of ``src``: (the embedding to do or None, the plan's action)."""
    from .payload import decode, payload_for

    module = medium(media)
    if module is None:
        return None, Action(Step.NOTE, f"no watermark: {media} files cannot carry one (images, video and audio can)")
    payload = payload_for(label, settings.key)
    soft = module.extract_file(src)
    if soft is not None:
        found = decode(soft, key=settings.key)
        if found is not None and found.payload == payload:
            return None, Action(Step.KEEP_WATERMARK, f"invisible watermark already present (payload {payload.hex()})")
        what = f"payload {found.payload.hex()}, not this label's {payload.hex()}" if found else f"unreadable with {_key_name(settings)}"
        raise UnsupportedError(
            f"the file already carries a labeler watermark ({what}); a second one would garble both: "
            "watermark the original content, or leave --watermark off",
            src,
        )
    plan = MarkPlan(media, payload, settings.key)
    return plan, Action(Step.WATERMARK, f"embed an invisible watermark (payload {payload.hex()}, {_key_name(settings)})")


def embed(plan: MarkPlan, source: Path, target: Path) -> None:
    from .payload import encode

    module = medium(plan.media)
    if module is None:  # the plan found it: only a module removed while running gets here
        raise UnsupportedError(f"the {plan.media} watermark module is gone", source)
    module.embed_file(source, target, encode(plan.payload, key=plan.key))


def read_back_error(plan: MarkPlan, signal: WatermarkSignal | None) -> str | None:
    """Why the output's watermark does not prove the embedding worked, or None when it does."""
    if signal is not None and signal.present and signal.matches_label:
        return None
    seen = "no watermark" if signal is None or not signal.present else f"payload {signal.payload}"
    return (
        f"the watermark did not read back from the output ({seen}, expected payload {plan.payload.hex()}); nothing was written: "
        "the content may be too flat or too small to carry it; leave --watermark off for this file"
    )
