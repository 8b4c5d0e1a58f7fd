"""Offline speech recognition for spoken notices: a sherpa-onnx model directory the user supplies.

No package on PyPI ships Mandarin recognition weights that work offline (sensevoice-onnx and
rapid-paraformer wheels carry none; vosk, sherpa-onnx, soulshell-kws and moonshine-voice download
models at run time or need them given). So labeler loads a model directory the user already has, in
sherpa-onnx's offline format, with the ``sherpa-onnx`` package (extra ``asr``; pure wheels, no
torch, nothing is downloaded):

=============  ==========================================================================
layout         files in the directory
=============  ==========================================================================
SenseVoice     ``model.onnx`` (or ``model.int8.onnx``) + ``tokens.txt`` with ``<|zh|>`` tags
Paraformer     ``model.onnx`` (or ``model.int8.onnx``) + ``tokens.txt``
transducer     ``encoder*.onnx`` + ``decoder*.onnx`` + ``joiner*.onnx`` + ``tokens.txt``
=============  ==========================================================================

The directory comes from ``--asr-model DIR`` or the environment variable ``LABELER_ASR_MODEL`` (the
CLI sets the variable, so worker processes see it too). A directory that is set but unusable is an
error naming the directory and what is missing, never silently ignored; no directory means no
recogniser, and spoken content is then reported as undecided.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import BackendMissingError
from ..lazy import lazy_module
from ..model import Backend
from .rhythm import RATE

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")

ENV = "LABELER_ASR_MODEL"
INSTALL_HINT = "pip install 'gb45438-labeler[asr]', then give --asr-model DIR or LABELER_ASR_MODEL: a sherpa-onnx offline model (SenseVoice, Paraformer, transducer)"


class Recogniser(Protocol):
    """Anything that turns mono 16 kHz float samples into text."""

    @property
    def name(self) -> str: ...  # read-only, so frozen dataclasses qualify

    def transcribe(self, samples: np.ndarray) -> str: ...


@dataclass(frozen=True)
class SherpaRecogniser:
    name: str
    engine: Any  # sherpa_onnx.OfflineRecognizer

    def transcribe(self, samples: np.ndarray) -> str:
        stream = self.engine.create_stream()
        stream.accept_waveform(RATE, np.asarray(samples, dtype=np.float32))
        self.engine.decode_stream(stream)
        return str(stream.result.text).strip()


def _first(directory: Path, *patterns: str) -> Path | None:
    """The first file matching a pattern, int8 variants last (the full model is preferred)."""
    for pattern in patterns:
        found = sorted(directory.glob(pattern), key=lambda p: ("int8" in p.name, p.name))
        if found:
            return found[0]
    return None


def _layout(directory: Path) -> tuple[str, Callable[[Any], Any]]:
    """(layout name, loader taking the sherpa_onnx module) for the files in ``directory``."""
    tokens = directory / "tokens.txt"
    if not tokens.is_file():
        raise BackendMissingError(f"the speech recognition model directory has no tokens.txt; {INSTALL_HINT}", directory)
    encoder, decoder, joiner = (_first(directory, f"{part}*.onnx") for part in ("encoder", "decoder", "joiner"))
    if encoder and decoder and joiner:
        return "transducer", lambda so: so.OfflineRecognizer.from_transducer(
            encoder=str(encoder), decoder=str(decoder), joiner=str(joiner), tokens=str(tokens), num_threads=1
        )
    model = _first(directory, "model.onnx", "model*.onnx")
    if model is None:
        raise BackendMissingError(
            f"the speech recognition model directory has no model.onnx (SenseVoice, Paraformer) nor encoder/decoder/joiner .onnx files (transducer); {INSTALL_HINT}",
            directory,
        )
    with open(tokens, encoding="utf-8", errors="replace") as handle:
        sense_voice = any("<|zh|>" in line for line in handle)
    if sense_voice:
        return "SenseVoice", lambda so: so.OfflineRecognizer.from_sense_voice(
            model=str(model), tokens=str(tokens), num_threads=1, use_itn=False
        )
    return "Paraformer", lambda so: so.OfflineRecognizer.from_paraformer(paraformer=str(model), tokens=str(tokens), num_threads=1)


@functools.lru_cache(maxsize=4)
def load(directory: str) -> SherpaRecogniser:
    """The recogniser in ``directory`` (loaded once per process); a clear error when it cannot be."""
    path = Path(directory)
    if not path.is_dir():
        raise BackendMissingError(f"the speech recognition model directory does not exist; {INSTALL_HINT}", path)
    layout, make = _layout(path)
    try:
        import sherpa_onnx
    except ImportError as exc:
        raise BackendMissingError(
            f"a speech recognition model is configured but sherpa-onnx is not installed; {INSTALL_HINT}", path
        ) from exc
    try:
        engine = make(sherpa_onnx)
    except (RuntimeError, ValueError, OSError) as exc:
        raise BackendMissingError(
            f"sherpa-onnx cannot load the {layout} model ({str(exc).strip()[:200]}); the files are damaged or not a sherpa-onnx offline {layout} model",
            path,
        ) from exc
    return SherpaRecogniser(f"sherpa-onnx {layout} ({path.name})", engine)


def configured() -> str | None:
    return os.environ.get(ENV) or None


_given: ContextVar[Recogniser | None] = ContextVar("labeler_recogniser", default=None)


@contextlib.contextmanager
def using(engine: Recogniser) -> Iterator[None]:
    """Within the block, spoken content is transcribed by ``engine`` (any object with ``name`` and
    ``transcribe(samples)``), for API users with a recogniser of their own."""
    token = _given.set(engine)
    try:
        yield
    finally:
        _given.reset(token)


def in_use() -> bool:
    """Is a recogniser given (``using``) or configured (a model directory)?"""
    return _given.get() is not None or configured() is not None


def recogniser() -> Recogniser | None:
    """The recogniser in use: one given with ``using``, else the configured model directory's, else
    None (a configured but broken directory is an error, never silently skipped)."""
    given = _given.get()
    if given is not None:
        return given
    directory = configured()
    return load(directory) if directory else None


def sherpa_installed() -> bool:
    try:
        import sherpa_onnx  # noqa: F401
    except ImportError:
        return False
    return True


def backend() -> Backend:
    """The ``labeler formats`` line: present only when a model is configured and loads."""
    directory = configured()
    if not sherpa_installed():
        return Backend(
            "speech recogniser", False, "sherpa-onnx not installed: speech other than labeler's own notice reads undecided", INSTALL_HINT
        )
    if directory is None:
        return Backend(
            "speech recogniser", False, "no model directory set: speech other than labeler's own notice reads undecided", INSTALL_HINT
        )
    try:
        found = load(directory)
    except BackendMissingError as exc:
        return Backend("speech recogniser", False, exc.message, INSTALL_HINT)
    return Backend("speech recogniser", True, f"spoken notices are transcribed with {found.name}", INSTALL_HINT)
