"""The JPEG walker finds the end-of-image marker of a single-scan JPEG by searching the scan data
once per distinct scan: an output whose scan data is its source's (a header splice) reuses the
source's answer only when the bytes are the same, checked by comparing them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from labeler.adapters.image import jpeg
from labeler.errors import InputError


def photo_jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((320, 240), 40 + seed).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def cold(data: bytes) -> list[jpeg.Segment]:
    jpeg._last_scan = None
    return jpeg._walk(data)


def test_an_output_after_its_source_walks_as_it_would_alone(tmp_path: Path) -> None:
    source = photo_jpeg(1) + b"TRAILER\xff\xd9more"  # a trailer holding FF D9 after the EOI
    output = jpeg.with_xmp(source, b"<x:xmpmeta/>")
    expected = cold(output)
    jpeg._walk(source)
    assert jpeg._walk(output) == expected
    assert expected[-1].marker == jpeg.EOI and output[expected[-1].end :] == b"TRAILER\xff\xd9more"


@pytest.mark.parametrize("change", ["truncated", "different scan"])
def test_a_different_tail_of_the_same_length_is_searched(change: str) -> None:
    source = photo_jpeg(2)
    jpeg._walk(source)
    if change == "truncated":  # the EOI bytes overwritten: no end-of-image marker at all
        with pytest.raises(InputError, match="truncated"):
            jpeg._walk(source[:-2] + b"\x00\x00")
    else:  # an FF D9 earlier in the scan: the walk must stop there, as a cold walk does
        at = len(source) // 2
        other = source[:at] + b"\xff\xd9" + source[at + 2 :]
        assert jpeg._walk(other)[-1].start == cold(other)[-1].start <= at


def test_a_truncated_scan_is_not_remembered() -> None:
    truncated = photo_jpeg(3)[:-2]
    with pytest.raises(InputError, match="truncated"):
        jpeg._walk(truncated)
    moved = truncated[:2] + b"\xff\xfe\x00\x06note" + truncated[2:]  # the same scan after a comment
    with pytest.raises(InputError, match="truncated"):
        jpeg._walk(moved)
