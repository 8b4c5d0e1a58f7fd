"""Fuzz campaign: mutate every fixture of one media family and run ``label`` AND ``verify`` on it.

Each case is classified, and the counts are what BENCHMARKS.md's reliability section records:

- ``internal``: an "internal error" from verify, or from label (a bug: bad input must get a clear
  ``InputError``), or an exception escaping either;
- ``hang``: verify or label did not answer within the per-case limit (``--seconds``);
- ``broken-passing``: a file (the mutated input, or label's output) that ``verify`` calls
  ``compliant`` while the independent reader its format row declares (Pillow, mutagen, zipfile CRC
  check, PyMuPDF, ffprobe, Python's codecs: ``READERS``) rejects it; also a failed label that left
  an output behind.

    nice -n 15 python scripts/fuzz_campaign.py --family text --cases 10000 --json fuzz-text.json

Mutations come from ``random.Random(seed)``: the same ``--seed`` replays the same cases, and every
failing input is saved to ``fuzz-crashes/`` (git-ignored) named after its digest. The default test
suite replays a derandomised subset (``tests/test_fuzz.py``); ``pytest -m nightly`` runs 10,000 per
family through this module.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import hashlib
import io
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labeler import LabelOptions, label_file, verify_file  # noqa: E402
from labeler.facts import identify, suffix_of  # noqa: E402
from labeler.registry import HEAD_SIZE, sniff, sniff_bytes  # noqa: E402
from labeler.sidecar import is_sidecar  # noqa: E402

FIXTURES = ROOT / "fixtures"
CRASHES = ROOT / "fuzz-crashes"
PRODUCER = "001191110102MACQD9K64010000"
#: Smaller, faster families first: a campaign cut short still has its cheap families complete.
FAMILIES = ("text", "document", "audio", "image", "video")
CASE_SECONDS = 60
#: Per-case limits that differ: a video label re-encodes (~30 s for a 1 s clip on a loaded 2-core VM).
FAMILY_SECONDS = {"video": 300}
OUTCOMES = ("ok", "internal", "hang", "broken-passing")
RENAMES = (".txt", ".jpg", ".mp3", ".pdf", ".bin", ".md")


class Chooser(Protocol):
    """The randomness a mutation needs; ``random.Random`` here, Hypothesis draws in the tests."""

    def integer(self, low: int, high: int) -> int: ...
    def choice(self, options: Sequence[str]) -> str: ...
    def binary(self, low: int, high: int) -> bytes: ...


class RandomChooser:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def choice(self, options: Sequence[str]) -> str:
        return self.rng.choice(list(options))

    def binary(self, low: int, high: int) -> bytes:
        return self.rng.randbytes(self.rng.randint(low, high))


def mutate(data: bytes, pick: Chooser) -> bytes:
    """One structural mutation: bit flips, truncation, insertion, zeroing, duplication, new head."""
    if not data:
        return pick.binary(0, 64)
    kind = pick.choice(("flip", "truncate", "insert", "zero", "duplicate", "overwrite-head"))
    at = pick.integer(0, len(data) - 1)
    if kind == "flip":
        flipped = bytearray(data)
        for _ in range(pick.integer(1, 8)):
            flipped[pick.integer(0, len(data) - 1)] ^= 1 << pick.integer(0, 7)
        return bytes(flipped)
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + pick.binary(1, 256) + data[at:]
    if kind == "zero":
        length = pick.integer(1, 512)
        return data[:at] + bytes(min(length, len(data) - at)) + data[at + length :]
    if kind == "duplicate":
        length = pick.integer(1, 4096)
        return data[:at] + data[at : at + length] * 2 + data[at + length :]
    return pick.binary(1, 64) + data[min(64, len(data)) :]


def seeds(family: str | None = None) -> list[Path]:
    """Fixture files (samples and odd cases) under 2 MB, optionally of one media family."""
    found = sorted(
        p
        for folder in ("samples", "cases")
        for p in (FIXTURES / folder).rglob("*")
        if p.is_file() and not is_sidecar(p) and p.stat().st_size < 2_000_000 and "__pycache__" not in p.parts
    )
    if family is None:
        return found
    return [p for p in found if (s := sniff(p)) is not None and s.adapter.media == family]


class Hang(BaseException):
    """Raised by the alarm; a BaseException so labeler's per-file catch-alls cannot swallow it."""


@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    def hung(signum: int, frame: object) -> None:
        raise Hang(f"no answer within {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _pillow(path: Path) -> bool:
    from PIL import Image

    for plugin in ("pillow_heif", "pillow_jxl"):  # optional decoders, registered when installed
        with contextlib.suppress(ImportError):
            module = __import__(plugin)
            getattr(module, "register_heif_opener", lambda: None)()
    with Image.open(path) as image:
        image.load()
    return True


def _mutagen(path: Path) -> bool:
    import mutagen

    return mutagen.File(path) is not None


def _zipfile(path: Path) -> bool:
    return zipfile.ZipFile(io.BytesIO(path.read_bytes())).testzip() is None


def _pymupdf(path: Path) -> bool:
    import pymupdf

    with pymupdf.open(path) as document:
        return bool(document.page_count > 0)


def _ffprobe(path: Path) -> bool:
    if not shutil.which("ffprobe"):
        return True  # not installed: nothing to ask
    return subprocess.run(["ffprobe", "-v", "error", str(path)], capture_output=True, timeout=60).returncode == 0


def _text(path: Path) -> bool:
    """Python's own codecs decode it in one of the encodings labeler accepts for text."""
    data = path.read_bytes()
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    encodings = [next((enc for bom, enc in boms if data.startswith(bom)), None) or "utf-8", "gb18030"]
    for encoding in encodings:
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


#: A format row's ``reader`` (``labeler.facts.Format``) -> how that independent tool opens a file.
READERS = {"Pillow": _pillow, "mutagen": _mutagen, "zipfile": _zipfile, "PyMuPDF": _pymupdf, "ffprobe": _ffprobe, "text": _text}


def reader_of(path: Path) -> str | None:
    """The reference reader the format table declares for this file's format (None: not sniffed)."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_SIZE)
    sniffed = sniff_bytes(path.name, head)
    if sniffed is None:
        return None
    rows = sniffed.adapter.formats
    row = identify(rows, path.name, head) or next((f for f in rows if suffix_of(path.name) in f.extensions), rows[0])
    return row.reader


def opens_in_reference_reader(path: Path) -> bool:
    """The independent reader the format table names for the file accepts it (used to check "compliant" claims)."""
    reader = reader_of(path)
    if reader is None:
        return True
    try:
        return READERS[reader](path)
    except Exception:  # noqa: BLE001 - any failure means "the reference reader refuses it"
        return False


class Finding(Exception):
    """A case that breaks a property; ``outcome`` is one of OUTCOMES."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


def _timed(seconds: int, what: str, call):  # type: ignore[no-untyped-def]
    try:
        with alarm(seconds):
            return call()
    except Hang as exc:
        raise Finding("hang", f"{what}: {exc}") from None
    except Finding:
        raise
    except Exception as exc:
        raise Finding("internal", f"{what} raised {type(exc).__name__}: {exc}") from exc


def _check_verdict(verdict, path: Path, what: str) -> None:  # type: ignore[no-untyped-def]
    if (verdict.error or "").startswith("internal error"):
        raise Finding("internal", f"{what}: {verdict.error}")
    if verdict.status == "compliant" and not opens_in_reference_reader(path):
        raise Finding("broken-passing", f"{what} says compliant but the reference reader ({reader_of(path)}) rejects {path.name}")


def check(path: Path, workdir: Path, seconds: int = CASE_SECONDS) -> None:
    """Verify the input, label it, verify the output; raise ``Finding`` on a broken property."""
    _check_verdict(_timed(seconds, "verify", lambda: verify_file(path)), path, "verify")
    out = workdir / "out" / path.name
    result = _timed(seconds, "label", lambda: label_file(path, out, LabelOptions(producer=PRODUCER)))
    if (result.error or "").startswith("internal error"):  # as label_file words it (not a library's text)
        raise Finding("internal", f"label: {result.error}")
    if not result.ok:
        if out.exists():
            raise Finding("broken-passing", "a failed label left an output behind")
        return
    if not out.exists():
        raise Finding("broken-passing", f"label says {result.status} but wrote no output")
    _check_verdict(_timed(seconds, "verify of the output", lambda: verify_file(out)), out, "verify of label's output")


def save_crash(data: bytes, name: str) -> Path:
    CRASHES.mkdir(exist_ok=True)
    target = CRASHES / f"{hashlib.sha256(data).hexdigest()[:12]}-{name}"
    target.write_bytes(data)
    return target


def run_case(data: bytes, name: str, seconds: int = CASE_SECONDS) -> tuple[str, str]:
    """(outcome, message) for one input; failing inputs are kept in ``fuzz-crashes/``."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            check(path, Path(folder), seconds)
        except Finding as finding:
            save_crash(data, name)
            return finding.outcome, str(finding)
    return "ok", ""


def campaign(family: str, cases: int, seed: int = 0, seconds: int | None = None, progress: Path | None = None) -> dict[str, object]:
    """Run ``cases`` mutated inputs of one family; return the counts (written to ``progress`` as it goes)."""
    seconds = seconds or FAMILY_SECONDS.get(family, CASE_SECONDS)
    pool = seeds(family)
    if not pool:
        raise SystemExit(f"no fixtures of family {family!r}; run scripts/make_fixtures.py")
    rng = random.Random(f"{family}:{seed}")
    pick = RandomChooser(rng)
    counts: Counter[str] = Counter(dict.fromkeys(OUTCOMES, 0))
    examples: list[str] = []
    started = time.monotonic()
    for number in range(1, cases + 1):
        source = rng.choice(pool)
        name = source.name if rng.random() < 0.5 else "renamed" + rng.choice(RENAMES)
        outcome, message = run_case(mutate(source.read_bytes(), pick), name, seconds)
        counts[outcome] += 1
        if message and len(examples) < 50:
            examples.append(f"{source.name}: {message}")
        if progress and (number % 25 == 0 or number == cases):
            summary = {
                "family": family,
                "cases": number,
                "planned": cases,
                "seed": seed,
                "seconds": round(time.monotonic() - started, 1),
                **{k: counts[k] for k in OUTCOMES},
                "examples": examples,
            }
            progress.write_text(json.dumps(summary, indent=1))
    return {"family": family, "cases": cases, **{k: counts[k] for k in OUTCOMES}, "examples": examples}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", action="append", choices=FAMILIES, help="repeatable; default: all, smallest first")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--seconds", type=int, help=f"per-case limit for each verify and label (default {CASE_SECONDS}, video {FAMILY_SECONDS['video']})"
    )
    parser.add_argument("--json", type=Path, help="write running counts here (one file per family: NAME-FAMILY.json)")
    args = parser.parse_args(argv)
    failed = 0
    for family in args.family or FAMILIES:
        progress = args.json.with_name(f"{args.json.stem}-{family}.json") if args.json else None
        result = campaign(family, args.cases, args.seed, args.seconds, progress)
        print(json.dumps({k: v for k, v in result.items() if k != "examples"}), flush=True)
        failed += sum(int(result[k]) for k in OUTCOMES if k != "ok")  # type: ignore[call-overload]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
