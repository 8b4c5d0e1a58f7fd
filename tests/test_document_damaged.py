"""Damaged documents: random byte edits, cuts and insertions in the clean samples must give a
verdict or a clean error, never an internal error (MuPDF and zlib failures become InputError)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file, verify_file

from .conftest import FIXTURES, PRODUCER

SAMPLES = sorted((FIXTURES / "samples" / "document").iterdir())


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        pos = rng.randrange(len(out))
        roll = rng.random()
        if roll < 0.5:
            out[pos] = rng.randrange(256)
        elif roll < 0.75:
            del out[pos:pos + rng.randint(1, 64)]
        else:
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(out)


@pytest.mark.parametrize("seed", range(6))
def test_mutated_documents_never_crash(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    for number in range(8):
        src = rng.choice(SAMPLES)
        damaged = tmp_path / f"m{number}{src.suffix}"
        damaged.write_bytes(mutate(src.read_bytes(), rng))
        verdict = verify_file(damaged)
        assert "internal error" not in (verdict.error or ""), (src.name, verdict.error)
        result = label_file(damaged, tmp_path / "out" / damaged.name, LabelOptions(producer=PRODUCER))
        assert "internal error" not in (result.error or ""), (src.name, result.error)
        if not result.ok:
            assert not (tmp_path / "out" / damaged.name).exists()
