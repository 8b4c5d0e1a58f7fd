"""The watermark payload and its channel code (labeler/watermark/payload.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labeler.errors import LabelFormatError
from labeler.label import Label
from labeler.watermark import MEDIA, medium
from labeler.watermark.payload import CODE_BITS, DEFAULT_KEY, PAYLOAD_BITS, Decoded, decode, encode, key_from, payload_for, producer_digest

from .conftest import PRODUCER

LABEL = Label(content_producer=PRODUCER, produce_id="img-0001")


def soft_of(code: np.ndarray) -> np.ndarray:
    return 2.0 * code.astype(np.float64) - 1.0


def test_sizes_and_layout() -> None:
    payload = payload_for(LABEL, None)
    assert PAYLOAD_BITS == 64 and len(payload) == 8 and payload[0] == 1
    assert payload[1:4] == producer_digest(PRODUCER, None)
    assert CODE_BITS <= 256
    code = encode(payload)
    assert code.shape == (CODE_BITS,) and code.dtype == np.uint8 and set(np.unique(code)) <= {0, 1}


def test_payload_depends_on_producer_id_and_key() -> None:
    base = payload_for(LABEL, None)
    assert payload_for(LABEL, None) == base == payload_for(LABEL, DEFAULT_KEY)
    assert payload_for(LABEL.with_fields(produce_id="img-0002"), None)[4:] != base[4:]
    assert payload_for(LABEL.with_fields(produce_id="img-0002"), None)[:4] == base[:4]
    assert payload_for(LABEL.with_fields(content_producer="other"), None)[1:4] != base[1:4]
    assert payload_for(LABEL, b"secret") != base
    # Fields the watermark does not cover (propagator, reserved codes) leave it unchanged.
    assert payload_for(LABEL.with_fields(content_propagator="x", propagate_id="y"), None) == base


def test_round_trip_clean_and_noisy() -> None:
    payload = payload_for(LABEL, b"k")
    code = encode(payload, key=b"k")
    assert decode(soft_of(code), key=b"k") == Decoded(payload, 1.0)
    rng = np.random.default_rng(7)
    # Eb/N0 = 3 dB (noise 0.7 per +-1 symbol) with 15 % of the symbols erased: still decodes.
    decoded = 0
    for _ in range(50):
        noisy = soft_of(code) + rng.normal(0, 0.7, CODE_BITS)
        noisy[rng.random(CODE_BITS) < 0.15] = 0.0
        result = decode(noisy * 37.0, key=b"k")  # the scale of the soft values does not matter
        decoded += result is not None and result.payload == payload
    assert decoded >= 48


def test_confidence_falls_with_noise() -> None:
    payload = payload_for(LABEL, None)
    soft = soft_of(encode(payload))
    soft[np.random.default_rng(3).choice(CODE_BITS, 10, replace=False)] *= -1  # 10 symbols wrong: corrected
    result = decode(soft)
    assert result is not None and result.payload == payload
    assert result.confidence == pytest.approx((CODE_BITS - 20) / CODE_BITS, abs=1e-3)


def test_wrong_key_decodes_nothing() -> None:
    code = encode(payload_for(LABEL, b"right"), key=b"right")
    assert decode(soft_of(code), key=b"wrong") is None
    assert decode(soft_of(code)) is None  # the default key is a key like any other


def test_random_input_never_decodes() -> None:
    rng = np.random.default_rng(2026)
    hits = sum(decode(rng.normal(size=CODE_BITS)) is not None for _ in range(3000))
    assert hits == 0
    assert decode(np.zeros(CODE_BITS)) is None
    assert decode(np.full(CODE_BITS, np.nan)) is None


def test_bad_sizes_refused() -> None:
    with pytest.raises(ValueError, match="8 bytes"):
        encode(b"short")
    with pytest.raises(ValueError, match=f"expected {CODE_BITS}"):
        decode(np.ones(10))


def test_key_from(tmp_path: Path) -> None:
    assert key_from() == DEFAULT_KEY
    assert key_from("s3cret") == b"s3cret"
    keyfile = tmp_path / "wm.key"
    keyfile.write_bytes(b"from-file\n")
    assert key_from(key_file=keyfile) == b"from-file"
    keyfile.write_bytes(b"")
    with pytest.raises(LabelFormatError, match="empty"):
        key_from(key_file=keyfile)
    with pytest.raises(LabelFormatError, match="cannot read"):
        key_from(key_file=tmp_path / "missing.key")
    with pytest.raises(LabelFormatError, match="not both"):
        key_from("a", key_file=keyfile)
    with pytest.raises(LabelFormatError, match="empty"):
        key_from("")


def test_media_table() -> None:
    assert set(MEDIA) == {"image", "video", "audio"}
    assert medium("text") is None and medium("document") is None
