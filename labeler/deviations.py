"""Where a label was found, judged once for every adapter: the deviations of non-canonical carriers.

Adapters read tolerantly and name the carrier (``png:tEXt:Comment``, ``id3:COMM``, ...);
``Found.of`` asks this table which deviations that carrier is, so every family reports the same
rule for the same kind of place:

    implicit.comment-field   the label sits in a free-text comment (PNG Comment, ID3 COMM, MP4
                             ©cmt, RIFF INFO ICMT, JPEG COM, GIF comment): other tools show, edit
                             or drop comments; relabelling moves it to the canonical carrier
    implicit.jpeg-app-blob   a bare ``AIGC{...}`` blob in a JPEG APPn segment: a private layout no
                             standard describes and no other reader finds
    implicit.no-aigc-key     bare seven-field JSON in a field whose name does not say AIGC (e.g.
                             EXIF ImageDescription): GB 45438 requires the field name or a
                             wrapping ``{"AIGC":...}`` key to contain AIGC — an error
"""

from __future__ import annotations

import re

from .problems import Problem, error, warning

#: Carrier name pattern -> the deviation it is (first match wins).
_CARRIERS: tuple[tuple[re.Pattern[str], Problem], ...] = tuple(
    (re.compile(pattern), problem)
    for pattern, problem in (
        (
            r"^(png:[a-zA-Z]{4}:Comment|id3:COMM(:.*)?|mp4:(\xa9|©)cmt|riff:LIST/INFO:ICMT|jpeg:COM|gif:comment)$",
            warning(
                "implicit.comment-field",
                "the label is in a free-text comment field, which other tools show, edit or drop; "
                "relabel to move it into the format's canonical carrier",
            ),
        ),
        (
            r"^jpeg:APP\d+:AIGC$",
            warning(
                "implicit.jpeg-app-blob",
                "a bare AIGC{...} blob in a JPEG APP segment: a non-standard layout other readers do not find; "
                "relabel to move it into XMP (APP1)",
            ),
        ),
    )
)
#: Carriers whose own name is allowed not to say AIGC (the sidecar's file name ends in .aigc.json).
_NAMED_ELSEWHERE = frozenset({"sidecar"})


def carrier_deviations(carrier: str, wrapped: bool) -> tuple[Problem, ...]:
    """The findings about *where* a parsed label was found (never about its JSON)."""
    found = [problem for pattern, problem in _CARRIERS if pattern.search(carrier)][:1]
    if "AIGC" not in carrier.upper() and not wrapped and carrier not in _NAMED_ELSEWHERE:
        found.append(
            error(
                "implicit.no-aigc-key",
                f"the label in {carrier} is bare JSON: neither the field name nor a wrapping "
                '{"AIGC":...} key says AIGC, as GB 45438 requires; relabel to move it into the canonical carrier',
            )
        )
    return tuple(found)


def holds_label(text: str, *, whole: bool = False) -> bool:
    """A text field holding a label: wrapped (``AIGC`` in it) or the bare seven-field JSON some
    tools write into ImageDescription (read, and reported ``implicit.no-aigc-key``). ``whole``:
    the field is the label and nothing else (comment fields, which may hold any prose)."""
    folded = text.strip().casefold()
    if whole and not folded.startswith("{"):
        return False
    return "aigc" in folded or (folded.startswith("{") and '"label"' in folded and '"contentproducer"' in folded)
