"""Hostile metadata and injection across families: every one is a clean finding or error."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from labeler import LabelOptions, Notice, label_file, verify_file

from .conftest import FIXTURES, PRODUCER

BOMB = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&c;</x:xmpmeta>'
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&e;</x:xmpmeta>'


def png_with_chunk(keyword: bytes, payload: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80\x80\x80" * 64 for _ in range(64)))
    itxt = keyword + b"\x00\x00\x00\x00\x00" + payload
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"iTXt", itxt) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("xmp-entity-bomb", BOMB),
        ("xmp-external-entity", EXTERNAL),
        ("xmp-50mb", b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + b" " * (50 * 1024 * 1024) + b"</x:xmpmeta>"),
    ],
    ids=["entity-bomb", "external-entity", "50mb-packet"],
)
def test_hostile_xmp_in_png(name: str, payload: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.png"
    path.write_bytes(png_with_chunk(b"XML:com.adobe.xmp", payload))
    verdict = verify_file(path)
    assert verdict.status in ("invalid", "error", "unlabelled", "unverified", "missing-explicit"), verdict.to_dict()
    assert "internal error" not in str(verdict.error)
    assert b"root:" not in str(verdict.to_dict()).encode(), "an external entity must never be resolved"
    out = tmp_path / "out" / path.name
    result = label_file(path, out, LabelOptions(producer=PRODUCER))
    assert "internal error" not in str(result.error)
    if not result.ok:
        assert not out.exists()


@pytest.mark.parametrize(
    "label_json",
    [
        '{"Label":"1","ContentProducer":"a\\u0000b","ProduceID":"x","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
        '{"Label":"1","Label":"3","ContentProducer":"a","ProduceID":"x","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}',
        '{"AIGC":' * 2000 + "{}" + "}" * 2000,
    ],
    ids=["nul-in-value", "duplicate-key", "deep-nesting"],
)
def test_hostile_label_json_in_png_text(label_json: str, tmp_path: Path) -> None:
    path = tmp_path / "label.png"
    path.write_bytes(png_with_chunk(b"AIGC", label_json.encode()))
    verdict = verify_file(path)
    assert verdict.status in ("invalid", "error"), verdict.to_dict()
    assert verdict.status == "error" or any(p.rule.startswith("label.") for p in verdict.problems())


def test_notice_text_with_html_is_escaped(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    text = "AI生成<script>alert('x')</script>"
    result = label_file(FIXTURES / "samples" / "text" / "landing.html", out, LabelOptions(producer=PRODUCER, notice=Notice(text=text)))
    assert result.ok, result.error
    assert "<script>" not in out.read_text() and "&lt;script&gt;" in out.read_text()


def test_notice_text_with_shell_metacharacters_is_literal(tmp_path: Path) -> None:
    text = "AI生成 $(touch pwned) `id` ; rm -rf / | &"
    out = tmp_path / "a.txt"
    result = label_file(FIXTURES / "samples" / "text" / "article-utf8.txt", out, LabelOptions(producer=PRODUCER, notice=Notice(text=text)))
    assert result.ok and out.read_text().splitlines()[0] == text
    assert not Path("pwned").exists() and not (tmp_path / "pwned").exists()
