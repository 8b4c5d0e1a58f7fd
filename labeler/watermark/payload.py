"""The watermark payload: 64 bits derived from the label, and its channel code.

Payload (``PAYLOAD_BITS`` = 64, 8 bytes): byte 0 the layout version, bytes 1-3 a keyed digest
(HMAC-SHA256) of ContentProducer, bytes 4-7 a keyed digest of ContentProducer + ProduceID. The
producer part lets a verifier that knows a producer name it even when the metadata is gone; the
whole payload matches exactly one label under one key.

Code (``CODE_BITS`` = 188): payload + a keyed CRC-24 (88 bits) + 6 zero tail bits, convolutional
code K=7 rate 1/2 (generators 171/133 octal, the NASA/802.11 code: about 5 dB of soft-decision
gain), a fixed pseudo-random interleaver (a medium's burst of errors spreads over the trellis), and
a keyed scramble. ``decode`` runs a soft Viterbi decoder and accepts only a CRC match: random input
passes with probability 2^-24 (6e-8) per attempt. Without the key that embedded it, the scramble
and the CRC differ, so a wrong key decodes nothing at all.

The media modules (image, video, audio) carry ``CODE_BITS`` bits and know nothing of keys.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import LabelFormatError
from ..label import Label

PAYLOAD_BITS = 64
VERSION = 1
_CRC_BITS = 24
_TAIL = 6
_INFO_BITS = PAYLOAD_BITS + _CRC_BITS
CODE_BITS = 2 * (_INFO_BITS + _TAIL)
#: The key used when none is given (documented in the README): anyone can read a watermark made
#: with it. A private key (``--watermark-key`` / ``--watermark-key-file``) makes the mark readable
#: only by its holders.
DEFAULT_KEY = b"gb45438-labeler-watermark-default-key-v1"
#: Longest key file read (a key is a secret string, not a document).
MAX_KEY_BYTES = 4096
_GENERATORS = (0o171, 0o133)
_CRC_POLY = 0x864CFB  # CRC-24 (RFC 4880)

Bits = npt.NDArray[np.uint8]
Soft = npt.NDArray[np.floating]


@dataclass(frozen=True)
class Decoded:
    """A payload that passed the CRC; ``confidence`` is the soft input's agreement with its code (0..1)."""

    payload: bytes
    confidence: float


def key_from(key: str | bytes | None = None, key_file: str | Path | None = None) -> bytes:
    """The watermark key: a text key, the bytes of a key file (one trailing newline dropped), or the default."""
    if key is not None and key_file is not None:
        raise LabelFormatError("give a watermark key or a key file, not both", field="watermark.key")
    if key_file is not None:
        path = Path(key_file)
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_KEY_BYTES + 1)
        except OSError as exc:
            raise LabelFormatError(f"cannot read the watermark key file {path}: {exc.strerror or exc}", field="watermark.key_file") from exc
        if len(data) > MAX_KEY_BYTES:
            raise LabelFormatError(
                f"the watermark key file {path} is over {MAX_KEY_BYTES} bytes; a key is a short secret", field="watermark.key_file"
            )
        data = data.removesuffix(b"\n").removesuffix(b"\r")
        if not data:
            raise LabelFormatError(f"the watermark key file {path} is empty", field="watermark.key_file")
        return data
    if key is None:
        return DEFAULT_KEY
    data = key.encode("utf-8") if isinstance(key, str) else key
    if not data:
        raise LabelFormatError("the watermark key is empty; leave it out to use the default key", field="watermark.key")
    return data


def _mac(key: bytes | None, *parts: bytes) -> bytes:
    return hmac.new(DEFAULT_KEY if key is None else key, b"\x00".join(parts), hashlib.sha256).digest()


def producer_digest(producer: str, key: bytes | None) -> bytes:
    """Bytes 1-3 of a payload: who produced the content, under ``key``."""
    return _mac(key, b"producer", producer.encode("utf-8"))[:3]


def payload_for(label: Label, key: bytes | None) -> bytes:
    """The 8-byte payload for ``label`` under ``key`` (None: the default key)."""
    item = _mac(key, b"item", label.content_producer.encode("utf-8"), label.produce_id.encode("utf-8"))[:4]
    return bytes([VERSION]) + producer_digest(label.content_producer, key) + item


def _stream(key: bytes | None, purpose: bytes, count: int) -> bytes:
    out = bytearray()
    block = 0
    while len(out) < count:
        out += _mac(key, b"stream", purpose, block.to_bytes(4, "big"))
        block += 1
    return bytes(out[:count])


def _scramble(key: bytes | None) -> Bits:
    return np.unpackbits(np.frombuffer(_stream(key, b"scramble", (CODE_BITS + 7) // 8), dtype=np.uint8))[:CODE_BITS]


# A fixed interleaver (not keyed: it only spreads bursts). Seeded so every version agrees.
_PERMUTATION = np.random.default_rng(0x45438).permutation(CODE_BITS)


def _crc24(bits: Bits, key: bytes | None) -> Bits:
    crc = int.from_bytes(_mac(key, b"crc")[:3], "big")
    for bit in bits:
        top = ((crc >> 23) & 1) ^ int(bit)
        crc = ((crc << 1) & 0xFFFFFF) ^ (_CRC_POLY if top else 0)
    return np.array([(crc >> (23 - i)) & 1 for i in range(_CRC_BITS)], dtype=np.uint8)


def _parity(value: int) -> int:
    return bin(value).count("1") & 1


# Trellis tables: state = the last 6 input bits (newest in bit 5); register = (input << 6) | state.
_STATES = 64
_OUT = np.array([[[_parity(((bit << 6) | state) & g) for g in _GENERATORS] for bit in (0, 1)] for state in range(_STATES)], dtype=np.uint8)
_NEXT = np.array([[((bit << 6) | state) >> 1 for bit in (0, 1)] for state in range(_STATES)], dtype=np.int64)
# For each next state: its two predecessor states and the input bit that leads there (its bit 5).
_PREV = np.array([[((ns << 1) & 63) | low for low in (0, 1)] for ns in range(_STATES)], dtype=np.int64)
_INPUT = np.array([ns >> 5 for ns in range(_STATES)], dtype=np.int64)


def _convolve(info: Bits) -> Bits:
    state = 0
    out = np.empty(2 * len(info), dtype=np.uint8)
    for i, bit in enumerate(info):
        out[2 * i : 2 * i + 2] = _OUT[state, bit]
        state = int(_NEXT[state, bit])
    return out


def encode(payload: bytes, *, key: bytes | None = None) -> Bits:
    """``CODE_BITS`` bits (0/1) carrying the 8-byte ``payload``, scrambled under ``key``."""
    if len(payload) != PAYLOAD_BITS // 8:
        raise ValueError(f"a watermark payload is {PAYLOAD_BITS // 8} bytes, not {len(payload)}")
    bits = np.unpackbits(np.frombuffer(payload, dtype=np.uint8))
    info = np.concatenate([bits, _crc24(bits, key), np.zeros(_TAIL, dtype=np.uint8)])
    coded = _convolve(info)
    interleaved = np.empty_like(coded)
    interleaved[_PERMUTATION] = coded
    return interleaved ^ _scramble(key)


def _viterbi(soft: npt.NDArray[np.float64]) -> Bits:
    """Maximum-correlation path through the terminated trellis (starts and ends in state 0)."""
    steps = len(soft) // 2
    signs = 2.0 * _OUT.astype(np.float64) - 1.0  # (state, bit, 2)
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    choices = np.empty((steps, _STATES), dtype=np.int64)
    prev_bits = _INPUT  # the input bit that enters each next state
    for t in range(steps):
        branch = signs @ soft[2 * t : 2 * t + 2]  # (state, bit)
        # candidate[ns, k] = metric[prev] + branch[prev, input(ns)]
        prev = _PREV
        cand = metric[prev] + branch[prev, prev_bits[:, None]]
        pick = np.argmax(cand, axis=1)
        choices[t] = prev[np.arange(_STATES), pick]
        metric = cand[np.arange(_STATES), pick]
    state = 0
    info = np.empty(steps, dtype=np.uint8)
    for t in range(steps - 1, -1, -1):
        info[t] = _INPUT[state]
        state = int(choices[t, state])
    return info


def decode(soft: Soft, *, key: bytes | None = None) -> Decoded | None:
    """The payload in ``soft`` (CODE_BITS values, positive = bit 1), or None when the CRC fails."""
    values = np.nan_to_num(np.asarray(soft, dtype=np.float64).reshape(-1), nan=0.0, posinf=0.0, neginf=0.0)
    if values.size != CODE_BITS:
        raise ValueError(f"expected {CODE_BITS} soft bits, got {values.size}")
    total = float(np.abs(values).sum())
    if total == 0.0:
        return None
    signed = values * (1.0 - 2.0 * _scramble(key))  # undo the scramble: a scrambled 1 flips the sign
    coded = signed[_PERMUTATION]
    info = _viterbi(coded)
    payload_bits, crc = info[:PAYLOAD_BITS], info[PAYLOAD_BITS:_INFO_BITS]
    if info[_INFO_BITS:].any() or not np.array_equal(crc, _crc24(payload_bits, key)):
        return None
    payload = np.packbits(payload_bits).tobytes()
    agreement = float((values * (2.0 * encode(payload, key=key) - 1.0)).sum()) / total
    return Decoded(payload=payload, confidence=round(max(0.0, agreement), 4))
