"""Outputs sharing the source's unchanged blocks (issue 18b) on real XFS and Btrfs file systems.

Each file system with reflinks is made in a file and loop-mounted (as root; skipped with the
reason where that is impossible). Labelled outputs must own only their new head (the file
system's used blocks are measured), read the same in independent readers (exiftool, Pillow,
ffprobe, mutagen), and be exactly what the copy path writes on a file system that cannot clone,
apart from the alignment padding.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labeler import LabelOptions, clone, label_file, verify_file
from labeler.api import label_paths

from .conftest import PRODUCER

EXIFTOOL = shutil.which("exiftool")
FFMPEG = shutil.which("ffmpeg")
CONFIG = Path(__file__).resolve().parent.parent / "labeler" / "data" / "exiftool-tc260.config"
OPTIONS = LabelOptions(producer=PRODUCER, produce_id="clone-1", explicit=False)


#: The file systems with reflinks the clone path is tested on: mkfs command and Debian package.
FILE_SYSTEMS = {
    "xfs": (["mkfs.xfs", "-q", "-m", "reflink=1"], "xfsprogs"),
    "btrfs": (["mkfs.btrfs", "-q"], "btrfs-progs"),
}


def _unavailable(kind: str) -> str | None:
    mkfs, package = FILE_SYSTEMS[kind]
    if os.geteuid() != 0:
        return "mounting a loop device needs root"
    if shutil.which(mkfs[0]) is None:
        return f"{mkfs[0]} is not installed (apt-get install {package})"
    if not Path("/dev/loop-control").exists():
        return "no loop device (/dev/loop-control missing)"
    return None


@pytest.fixture(scope="module", params=sorted(FILE_SYSTEMS))
def fs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An empty file system with reflinks (XFS, Btrfs), loop-mounted for this module."""
    kind = request.param
    why = _unavailable(kind)
    if why:
        pytest.skip(why)
    base = tmp_path_factory.mktemp(kind)
    image, mount = base / "fs.img", base / "mnt"
    mount.mkdir()
    with open(image, "wb") as handle:
        handle.truncate(600 << 20)
    subprocess.run([*FILE_SYSTEMS[kind][0], str(image)], check=True, capture_output=True)
    mounted = subprocess.run(["mount", "-o", "loop", str(image), str(mount)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a loop device here: {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False, capture_output=True)


def used_bytes(folder: Path) -> int:
    os.sync()
    st = os.statvfs(folder)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def photo_jpeg(path: Path, seed: int, size: tuple[int, int] = (1024, 768)) -> None:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).resize(size, Image.Resampling.BICUBIC)
    noisy = np.clip(np.asarray(image, np.int16) + rng.integers(-12, 12, (size[1], size[0], 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noisy).save(buffer, "JPEG", quality=90, exif=Image.Exif())
    path.write_bytes(buffer.getvalue())


def exif_label(path: Path) -> dict[str, str]:
    assert EXIFTOOL
    out = subprocess.run([EXIFTOOL, "-config", str(CONFIG), "-j", "-XMP-TC260:AIGC", str(path)], capture_output=True, text=True, check=True)
    value = json.loads(out.stdout)[0]["AIGC"]
    return value if isinstance(value, dict) else json.loads(value)


def pixels(path: Path) -> bytes:
    with Image.open(path) as image:
        return image.tobytes()


def test_plan_finds_shared_blocks_at_both_offsets() -> None:
    block = 16
    data = bytes(range(256)) * 4  # 1024 bytes
    out = b"H" * 40 + data[24:]  # a head grown by 16: the tail moved by one block
    pieces = clone.plan(out, data, block)
    assert b"".join(bytes(p) if not isinstance(p, clone.Range) else data[p.offset : p.offset + p.length] for p in pieces) == out
    ranges = [p for p in pieces if isinstance(p, clone.Range)]
    assert ranges == [clone.Range(32, 992)]  # from the first whole block after the head to the end
    assert clone.plan(b"x" + data[1:], data, block)[1:] == [clone.Range(16, 1008)]  # same offsets, first block changed


def test_jpegs_share_all_but_their_head(fs: Path) -> None:
    src, out = fs / "jpeg-in", fs / "jpeg-out"
    src.mkdir()
    for n in range(6):
        photo_jpeg(src / f"p{n}.jpg", n)
    before = used_bytes(fs)
    outcome = label_paths([src], out=out, options=OPTIONS, jobs=2)
    grown = used_bytes(fs) - before
    assert [r.status for r in outcome.results] == ["labelled"] * 6
    for result in outcome.results:
        assert result.write is not None and result.write["layout"] == "clone", result.write
        assert result.write["written_bytes"] <= 64 << 10
        assert result.output is not None and result.source.stat().st_size - result.write["cloned_bytes"] < 8192
    # journal and lock included: far below the 6 x ~200 KB a copy would take
    assert grown <= 6 * (64 << 10), grown
    for n in range(6):
        labelled = out / f"p{n}.jpg"
        assert verify_file(labelled, check_explicit=False).status == "unverified"
        assert pixels(labelled) == pixels(src / f"p{n}.jpg")
        assert (src / f"p{n}.jpg").read_bytes()[-100_000:] == labelled.read_bytes()[-100_000:]
        if EXIFTOOL:
            assert exif_label(labelled)["ProduceID"] == "clone-1"


def test_copy_path_elsewhere_is_unchanged_and_said(fs: Path, tmp_path: Path) -> None:
    """The same file labelled onto a file system that cannot clone (the test's own tmp folder, or
    XFS once it refused): exactly the bytes the copy path writes, and the report says why."""
    source = fs / "one.jpg"
    photo_jpeg(source, 42)
    elsewhere = label_file(source, tmp_path / "one.jpg", OPTIONS)
    assert elsewhere.write is not None and elsewhere.write["layout"] == "copy" and "another file system" in elsewhere.write["why"]
    cloned = label_file(source, fs / "cloned.jpg", OPTIONS)
    assert cloned.write is not None and cloned.write["layout"] == "clone"
    plain, shared = (tmp_path / "one.jpg").read_bytes(), (fs / "cloned.jpg").read_bytes()
    assert len(shared) > len(plain) and (len(shared) - len(source.read_bytes())) % 4096 == 0
    assert pixels(tmp_path / "one.jpg") == pixels(fs / "cloned.jpg")
    device = os.stat(fs).st_dev
    clone._refused.add(device)
    try:
        refused = label_file(source, fs / "refused.jpg", OPTIONS)
    finally:
        clone._refused.discard(device)
    assert refused.write is not None and refused.write["layout"] == "copy" and "refused" in refused.write["why"]
    assert (fs / "refused.jpg").read_bytes() == plain


def test_source_changed_since_read_is_copied_from_what_was_read(fs: Path) -> None:
    source = fs / "moving.jpg"
    photo_jpeg(source, 7)
    data = source.read_bytes()
    seen = clone.identity(source)
    os.utime(source, ns=(1, 1))  # the file is no longer the one read
    layout = clone.write_like(source, fs / "moved.jpg", data[:100] + data[100:], data, block=4096, expect=seen)
    assert layout.path == "copy" and (fs / "moved.jpg").read_bytes() == data


def _mp4(path: Path, *extra: str) -> None:
    assert FFMPEG
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=6", "-f", "lavfi", "-i", "sine=d=6",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", *extra, str(path)],
        check=True,
    )  # fmt: skip


def _decoded_md5(path: Path) -> str:
    assert FFMPEG
    out = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-map", "0", "-f", "md5", "-"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize("layout", ["faststart", "moov-at-end"])
def test_mp4_shares_its_media(fs: Path, layout: str) -> None:
    source = fs / f"{layout}.mp4"
    _mp4(source, *(["-movflags", "+faststart"] if layout == "faststart" else []))
    original = hashlib.sha256(source.read_bytes()).hexdigest()
    before = used_bytes(fs)
    result = label_file(source, fs / f"{layout}-out.mp4", OPTIONS)
    grown = used_bytes(fs) - before
    assert result.status == "labelled", result.error
    assert result.write is not None and result.write["layout"] == "clone", result.write
    size = source.stat().st_size
    assert result.write["cloned_bytes"] >= size - 3 * 65536 and grown <= 128 << 10, (result.write, grown)
    output = fs / f"{layout}-out.mp4"
    assert hashlib.sha256(source.read_bytes()).hexdigest() == original
    assert _decoded_md5(output) == _decoded_md5(source)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags=AIGC", "-of", "json", str(output)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(json.loads(probe.stdout)["format"]["tags"]["AIGC"])["ProduceID"] == "clone-1"


@pytest.mark.parametrize("kind", ["png", "webp", "tiff"])
def test_other_image_containers(fs: Path, kind: str) -> None:
    rng = np.random.default_rng(3)
    source = fs / f"noise.{kind}"
    # an extended WebP (VP8X header, as any with EXIF or ICC): its image data keeps its offset
    extra = {"lossless": True, "exif": Image.Exif().tobytes()} if kind == "webp" else {}
    Image.fromarray(rng.integers(0, 255, (400, 500, 3), dtype=np.uint8)).save(source, **extra)
    result = label_file(source, fs / f"noise-out.{kind}", OPTIONS)
    assert result.status == "labelled", result.error
    assert result.write is not None and result.write["layout"] == "clone", result.write
    assert result.write["written_bytes"] <= 64 << 10
    assert pixels(fs / f"noise-out.{kind}") == pixels(source)
    if EXIFTOOL:
        assert exif_label(fs / f"noise-out.{kind}")["ProduceID"] == "clone-1"


def test_simple_webp_is_copied_and_says_why(fs: Path) -> None:
    """A simple WebP gets a VP8X header in front of its image data (18 bytes): nothing stays in place."""
    source = fs / "simple.webp"
    Image.fromarray(np.random.default_rng(4).integers(0, 255, (300, 300, 3), dtype=np.uint8)).save(source, lossless=True)
    result = label_file(source, fs / "simple-out.webp", OPTIONS)
    assert result.status == "labelled" and result.write is not None
    assert result.write["layout"] == "copy" and result.write["why"] == "no block of the output equals one of the source"
    assert pixels(fs / "simple-out.webp") == pixels(source)


def test_cli_report_names_the_layout(fs: Path) -> None:
    folder = fs / "cli-in"
    folder.mkdir()
    photo_jpeg(folder / "a.jpg", 1)
    run = subprocess.run(
        [sys.executable, "-m", "labeler", "label", str(folder), "--out", str(fs / "cli-out"), "--producer", PRODUCER,
         "--no-explicit", "--no-progress", "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    write = json.loads(run.stdout)["files"][0]["write"]
    assert write["layout"] == "clone" and write["durable"].startswith("group commit (syncfs")


def _audio(path: Path) -> None:
    assert FFMPEG
    subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=20",
            *(["-b:a", "128k"] if path.suffix == ".mp3" else []),
            str(path),
        ],
        check=True,
    )


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize(
    ("name", "shared"), [("tone.flac", True), ("nopad.flac", True), ("tone.mp3", True), ("bare.mp3", True), ("v1.mp3", False)]
)
def test_audio_tags_share_the_audio(fs: Path, name: str, shared: bool) -> None:
    """A FLAC's metadata blocks and an MP3's ID3v2 tag are rebuilt in memory, the same size when the
    label fits their padding (ffmpeg leaves 8 KB in a FLAC), else grown by a whole block; the audio
    is cloned behind them. With an ID3v1 tag at the end
    too (mutagen updates it) and no padding, mutagen moves the audio: a copy, and the report says so."""
    import mutagen

    source = fs / name
    _audio(source)
    if name in ("tone.mp3", "v1.mp3"):
        from mutagen.id3 import ID3, TIT2

        tags = ID3(source)
        tags.add(TIT2(encoding=3, text="tone"))
        tags.save(source, padding=lambda info: 4096 if name == "tone.mp3" else 0, v1=2 if name == "v1.mp3" else 1)
    if name == "nopad.flac":  # no PADDING block: the metadata must grow by a whole block
        from mutagen.flac import FLAC

        FLAC(source).save(padding=lambda info: 0)
    original = source.read_bytes()
    result = label_file(source, fs / f"out-{name}", OPTIONS)
    assert result.status == "labelled", result.error
    assert result.write is not None
    if shared:
        assert result.write["layout"] == "clone" and result.write["written_bytes"] <= 16384, result.write
    else:
        assert result.write["layout"] == "copy" and "outgrew its padding" in result.write["why"]
    assert source.read_bytes() == original
    labelled = mutagen.File(fs / f"out-{name}")
    assert labelled is not None and labelled.tags is not None
    text = str(labelled.tags["TXXX:AIGC"]) if name.endswith(".mp3") else labelled.tags["AIGC"][0]
    assert json.loads(text)["ProduceID"] == "clone-1"
    assert _decoded_md5(fs / f"out-{name}") == _decoded_md5(source)
    if name == "tone.mp3":
        assert str(labelled.tags["TIT2"]) == "tone"
    if EXIFTOOL and name.endswith(".mp3"):
        out = subprocess.run([EXIFTOOL, "-j", "-UserDefinedText", str(fs / f"out-{name}")], capture_output=True, text=True, check=True)
        assert "clone-1" in out.stdout


def test_in_place_clone_keeps_mode_and_times(fs: Path) -> None:
    folder = fs / "in-place"
    folder.mkdir()
    source = folder / "a.jpg"
    photo_jpeg(source, 9)
    source.chmod(0o640)
    os.utime(source, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = pixels(source)
    outcome = label_paths(
        [folder], out=None, options=LabelOptions(producer=PRODUCER, produce_id="clone-1", explicit=False, in_place=True), jobs=1
    )
    result = outcome.results[0]
    assert result.status == "labelled" and result.write is not None and result.write["layout"] == "clone", result
    st = source.stat()
    assert oct(st.st_mode & 0o777) == oct(0o640) and st.st_mtime_ns == 1_600_000_000_000_000_000
    assert pixels(source) == before and verify_file(source, check_explicit=False).status == "unverified"


def test_an_explicit_produce_id_reads_no_hash(fs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a template with {sha256} hashes the content (a 1 GB video took seconds for nothing)."""
    from labeler.source import Source

    source = fs / "nohash.jpg"
    photo_jpeg(source, 10)

    def refuse(self: Source) -> str:
        raise AssertionError("hashed")

    monkeypatch.setattr(Source, "sha256", refuse)
    assert label_file(source, fs / "nohash-out.jpg", OPTIONS).status == "labelled"
    assert label_file(source, fs / "hash-out.jpg", LabelOptions(producer=PRODUCER, explicit=False)).status == "failed"
