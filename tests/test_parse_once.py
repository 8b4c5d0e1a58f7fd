"""Parse once: one ``label_file`` (plan -> write -> verify) reads, parses and probes each file once.

Real files made by ffmpeg and Pillow, the real ffprobe (behind a wrapper that logs each run), and
the real ``open``/moov parser with a counter around them.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from labeler import ffmpeg
from labeler.containers import mp4
from labeler.labelling import label_file
from labeler.roles import LabelOptions
from labeler.source import Source, memo, read_head

PRODUCER = "001191110102MACQD9K64010000"
needs_ffprobe = pytest.mark.skipif(not (shutil.which("ffprobe") and shutil.which("ffmpeg")), reason="needs ffmpeg and ffprobe")


def _options(explicit: bool) -> LabelOptions:
    return LabelOptions(explicit=explicit, producer=PRODUCER, produce_id="parse-once")


def _png(path: Path) -> Path:
    Image.new("RGB", (320, 240), (40, 90, 160)).save(path)
    return path


def _mp4(path: Path) -> Path:
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=10:duration=1",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            "-y",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every file opened for reading through Python's ``open``, by absolute path."""
    counted: Counter[str] = Counter()
    real = builtins.open

    def counting(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if isinstance(file, (str, os.PathLike)) and not any(c in mode for c in "wax+"):
            counted[os.path.abspath(os.fspath(file))] += 1
        return real(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", counting)
    monkeypatch.setattr(io, "open", counting)
    return counted


@pytest.mark.parametrize("explicit", [False, True], ids=["implicit-only", "full"])
def test_a_png_is_read_once(tmp_path: Path, opens: Counter[str], explicit: bool) -> None:
    src = _png(tmp_path / "in.png")
    (tmp_path / "out").mkdir()
    before = src.read_bytes()
    opens.clear()
    result = label_file(src, tmp_path / "out" / "in.png", _options(explicit))
    assert result.ok, result.error
    assert result.verdict is not None and result.verdict.status.value == ("compliant" if explicit else "unverified")
    assert opens[str(src)] == 1  # sniff, plan, notice/label write and c2pa scan share one read (was 5-6)
    assert src.read_bytes() == before
    # the written file is verified from disk, once: the notice stage read by the label write, the result by verify
    written = {path: n for path, n in opens.items() if path.startswith(str(tmp_path / "out"))}
    assert all(n == 1 for n in written.values()), written
    assert len(written) == (2 if explicit else 1)


def test_an_unchanged_file_is_verified_from_the_same_read(tmp_path: Path, opens: Counter[str]) -> None:
    src = _png(tmp_path / "in.png")
    first = label_file(src, tmp_path / "labelled.png", _options(False))
    assert first.ok, first.error
    opens.clear()
    again = label_file(
        tmp_path / "labelled.png", None, LabelOptions(explicit=False, producer=PRODUCER, produce_id="parse-once", in_place=True)
    )
    assert again.status == "unchanged", again.error
    assert opens[str(tmp_path / "labelled.png")] == 1


@pytest.fixture
def ffprobe_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """ffprobe behind a wrapper that appends its last argument (the file) to a log, then runs it."""
    log = tmp_path / "ffprobe.log"
    wrapper = tmp_path / "ffprobe-logged"
    wrapper.write_text(f'#!/bin/sh\nfor last; do :; done\necho "$last" >> "{log}"\nexec "{shutil.which("ffprobe")}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("LABELER_FFPROBE", str(wrapper))
    ffmpeg.resolve.cache_clear()
    yield log
    ffmpeg.resolve.cache_clear()


@needs_ffprobe
@pytest.mark.slow
def test_an_mp4_is_probed_and_parsed_once_per_file(tmp_path: Path, ffprobe_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _mp4(tmp_path / "in.mp4")
    parsed: Counter[str] = Counter()
    real = mp4._load

    def counting(path: Path) -> mp4.Movie:
        parsed[os.path.abspath(path)] += 1
        return real(path)

    monkeypatch.setattr(mp4, "_load", counting)
    (tmp_path / "out").mkdir()
    result = label_file(src, tmp_path / "out" / "in.mp4", _options(True))
    assert result.ok, result.error
    probed = Counter(os.path.abspath(line) for line in ffprobe_log.read_text().splitlines())
    assert probed[str(src)] == 1  # plan's notice check and the notice write share it (was 2)
    assert sum(probed.values()) == 2, probed  # + the verify of the written file, once
    assert parsed[str(src)] == 1  # moov of the source read and parsed once (was 8)
    assert all(n == 1 for n in parsed.values()), parsed  # every intermediate file once too


def test_a_source_forgets_what_it_read_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"first")
    source = Source(path)
    assert source.data() == b"first"
    assert source.sha256() == hashlib.sha256(b"first").hexdigest()
    calls = []
    assert memo(source, "k", lambda: calls.append(1) or len(calls)) == 1
    assert memo(source, "k", lambda: calls.append(1) or len(calls)) == 1  # memoised
    path.write_bytes(b"second, longer")
    assert source.data() == b"second, longer"
    assert source.sha256() == hashlib.sha256(b"second, longer").hexdigest()
    assert memo(source, "k", lambda: calls.append(1) or len(calls)) == 2  # a new file, a new memo
    assert memo(path, "k", lambda: calls.append(1) or len(calls)) == 3  # a plain Path memoises nothing


def test_a_source_is_a_path_and_hands_out_private_copies(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(range(256)) * 64)
    source = Source.of(path)
    assert Source.of(source) is source and source == path and isinstance(source, Path)
    assert read_head(source, 16) == bytes(range(16))
    assert source.stat().st_size == 16384 and source.with_suffix(".x").name == "big.x"
    first = memo(source, "tree", lambda: {"children": [1]}, private=True)
    first["children"].append(2)  # a caller editing its copy (mp4.rewrite edits the moov tree)
    assert memo(source, "tree", lambda: {"children": []}, private=True) == {"children": [1]}


def test_the_c2pa_scan_of_a_large_file_read_whole_takes_the_same_edges_from_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opens: Counter[str]
) -> None:
    from labeler.c2pa import scan

    monkeypatch.setattr(scan, "WHOLE_LIMIT", 4096)  # "large" at test scale: kB, not the real 32 MB
    monkeypatch.setattr(scan, "EDGE", 1024)
    path = tmp_path / "large.bin"
    path.write_bytes(bytes(range(256)) * 40)
    from_disk = scan.windows(path)
    source = Source(path)
    source.data()
    opens.clear()
    assert scan.windows(source) == from_disk and [w.offset for w in from_disk] == [0, 10240 - 1024]
    assert opens[str(path)] == 0
