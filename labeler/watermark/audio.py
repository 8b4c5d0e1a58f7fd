"""Audio watermark: the label's code bits, spread over the 700-3500 Hz magnitudes, found again after
MP3 / AAC re-encoding, resampling to 16 kHz, downmixing and cutting.

Why this design (the numbers are in ``audio_dsp``)
- **Where**: STFT magnitudes of 700-3500 Hz at 16 kHz (512-point frames, 256 hop). Perceptual
  codecs keep this band best (MP3 at 128 kb/s and AAC at 96 kb/s spend most bits there and cut
  above ~15 kHz first), resampling to 16 kHz keeps everything below 8 kHz, and it is where speech
  and music have energy to hide a change in. Embedding and extraction both work on the 16 kHz
  version, so a file and its resampled or downmixed copy share one grid.
- **How**: each tile (one frame: a 32 ms window every 16 ms, x 2 bins = 62.5 Hz; 44 bands) is
  scaled by ``1 + g * chip``, chip = +-1. The change is proportional to the tile's own magnitude:
  loud tiles change more, quiet ones less, silence not at all (a psychoacoustic shortcut: the added
  signal stays ``-20 log10(g)`` dB under the content in every tile, 10.5 dB for the largest
  g = 0.3, 18 dB for g = 0.12). Phases are kept; every channel gets the same gains, so the mono
  downmix carries the same mark.
- **What**: a block of 2.2 s repeats through the file. A fixed pseudorandom map (not keyed: the
  payload is already keyed by ``payload``) gives a quarter of its tiles to a known synchronisation
  pattern and the rest to the code bits, each bit 24 times per block with its own signs, spread
  over time and frequency so a narrow-band loss or a burst weakens every bit a little and none
  entirely. Small tiles were measured better than larger ones (48 ms x 188 Hz, then 32 ms x 125 Hz:
  36/40 benchmark clips after MP3 / AAC; 16 ms x 62.5 Hz: 39/40 at a higher SNR): speech and
  percussive music change faster than a large tile, and more tiles means more repetitions, so sparse
  material (a sine sweep holds one band at a time, speech with long pauses a third of the tiles)
  still touches every bit many times, and each bit needs less gain to read the same.
- **Informed gains**: the content itself is the main noise (a vowel or a drum hit moves a tile's
  energy far more than the mark does), so the embedder runs the detector on each segment with no
  mark and with a trial gain, and sets every bit's gain so the detector reads it at ``TARGET_Z``
  (within 0.04-0.3), the sync pattern at ``SYNC_TARGET_Z``: bits the content already favours get
  less, bits it fights get more.
- **Finding it**: log tile energies minus the mean of all bands at that moment (loudness) and their
  moving average over three tiles (the content's envelope), clipped
  (transients); tiles at the floor (50 dB under the mean tile: digital silence, or what a codec or a
  resampler leaves in it) read 0 and stay out of the scale, else the noise of silence-heavy audio
  is scaled up to full weight (before, rounding a marked clip to 16 bits moved its bit errors from
  0 % to 15 %). The features are folded modulo the block length: every repetition, partial ones
  included, adds up.
  The sync pattern is correlated at every frame offset of the block (one FFT) and at four
  sub-frame shifts; the best peak must stand ``SYNC_Z`` robust standard deviations above all
  offsets, else there is no watermark (``None``). The code bits are then read at that offset as
  z-scores (positive = 1) for ``payload.decode`` (soft Viterbi + CRC-24).
- **Limit (alignment)**: the detector reads the file on a grid of ``SUBSHIFTS`` per hop (64 samples
  at 16 kHz). Speech, music and noise read the same 30 samples off that grid; pure tones do not:
  part of what the exact grid shows of them is the gain on bins that hold no content of their own
  (a tone's side lobes, a tone below 700 Hz leaking into the band, a tone split across two bands),
  which a re-analysis at another sub-frame offset does not see. Sine sweeps and sine chords are
  recovered when the samples stay aligned (ffmpeg's MP3 / AAC decoders remove the codec delay;
  resampling keeps the timing) and lost after a cut at an arbitrary sample (as before this layout).

Files (``embed_file``) go through the audio adapters' own decode / re-encode paths (the ones the
audible notice uses), so codec, sample rate, channels, bit depth, bitrate and tags are kept the
same way; the mark is added segment by segment (``SEGMENT_S``), so a long file is never in memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from ..adapters.audio.common import Rewrite
from ..adapters.audio.stream import decode_blocks
from ..errors import InputError, UnsupportedError
from ..lazy import lazy_module
from . import audio_dsp as dsp
from .payload import CODE_BITS

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy_module("numpy")


class AudioRewriter(Protocol):
    """The audio adapters' shared write path (``write_explicit`` uses it for the notice)."""

    def rewrite_audio(self, src: Path, dst: Path, change: Rewrite) -> None: ...


#: Core length of an embedding segment (whole 2 s steps keep every rate's samples on the 16 kHz grid).
SEGMENT_S = 30
MARGIN_S = 2
STEP_S = 2
FADE_S = 0.05
SUBSHIFTS = 4
SYNC_Z = 5.0
MIN_RATE = 8000
#: The shortest clip embedded: below it too few repetitions of the block make the payload unreliable
#: on speech and sparse music (BENCHMARKS.md, "Watermark — audio": recovery by duration).
MIN_SECONDS = 15
#: Extraction reads the 16 kHz mono signal in chunks of this many frames (plus a margin for the smoothing).
CHUNK_FRAMES = 1 << 12
CHUNK_MARGIN = 64
#: extract_file reads at most this much audio from the start of a file.
MAX_EXTRACT_S = 180


def minimum_seconds(code_bits: int = CODE_BITS) -> int:
    """The shortest clip that carries the payload: ``MIN_SECONDS``, and never less than two blocks."""
    return max(MIN_SECONDS, math.ceil(2 * dsp.layout(code_bits).seconds + dsp.FRAME / dsp.RATE))


def _check(rate: int, frames: int, code_bits: int) -> None:
    if rate < MIN_RATE:
        raise InputError(f"audio at {rate} Hz cannot carry the watermark (it lives in 700-3500 Hz); {MIN_RATE} Hz or more is needed")
    need = minimum_seconds(code_bits)
    if frames < need * rate:
        raise InputError(f"the audio is {frames / rate:.1f} s long; the watermark needs at least {need} s of audio to carry its payload")


def _grid(sample: int, rate: int) -> int:
    """The last STEP_S boundary at or before ``sample`` (there the 16 kHz frame grid meets ``rate``)."""
    step = STEP_S * rate
    return max(0, sample // step * step)


def embed_stream(blocks: Iterable[np.ndarray], rate: int, channels: int, code: np.ndarray) -> Iterator[np.ndarray]:
    """The stream of float blocks ``(frames, channels)`` with the watermark of ``code`` added,
    segment by segment (each segment's gains are set from its own content; the deltas of two
    segments cross-fade over ``2 * FADE_S`` at their boundary)."""
    bits = np.asarray(code, dtype=np.int64).reshape(-1)
    if rate < MIN_RATE:
        _check(rate, 0, len(bits))
    block_s = dsp.layout(len(bits)).seconds
    core = max(SEGMENT_S, STEP_S * math.ceil(block_s / STEP_S)) * rate
    margin = MARGIN_S * rate
    fade = max(1, int(FADE_S * rate))
    buffer = np.zeros((0, channels))
    start = 0  # file sample index of buffer[0]
    done = 0  # file samples already given out
    carry: np.ndarray | None = None  # the previous segment's delta over [done, done + 2 * fade)
    stream = iter(blocks)
    ended = False
    while not ended or done < start + len(buffer):
        while not ended and start + len(buffer) < done + 2 * core + margin:
            block = next(stream, None)
            if block is None:
                ended = True
            else:
                buffer = np.concatenate([buffer, np.asarray(block, dtype=np.float64).reshape(-1, channels)])
        available = start + len(buffer)
        if ended and available < minimum_seconds(len(bits)) * rate:
            _check(rate, available, len(bits))
        last = ended and available < done + 2 * core
        seg_end = available if last else done + core
        ext_from = _grid(done - margin, rate)
        ext_to = min(available, seg_end + margin)
        delta = _delta(buffer[ext_from - start : ext_to - start], rate, ext_from, done - ext_from, seg_end - ext_from, bits)
        out_to = seg_end if last else seg_end - fade
        piece = delta[done - ext_from : out_to - ext_from].copy()
        if carry is not None:
            ramp = np.linspace(0.0, 1.0, len(carry), endpoint=False)[:, None]
            piece[: len(carry)] = carry * (1 - ramp) + piece[: len(carry)] * ramp
        carry = None if last else delta[out_to - ext_from : out_to + 2 * fade - ext_from]
        yield np.clip(buffer[done - start : out_to - start] + piece, -1.0, 1.0)
        done = out_to
        keep = _grid(done - margin, rate)
        buffer = buffer[keep - start :]
        start = keep


def _delta(ext: np.ndarray, rate: int, ext_from: int, core_from: int, core_to: int, bits: np.ndarray) -> np.ndarray:
    """The watermark at ``rate`` for ``ext``, the file's samples from ``ext_from`` (on the grid)."""
    x16 = dsp.resample(ext, rate, dsp.RATE)
    to16 = dsp.RATE / rate
    first = round(ext_from * to16) // dsp.HOP
    core = slice(math.ceil(core_from * to16 / dsp.HOP), max(1, dsp.frame_count(round(core_to * to16))))
    delta16 = dsp.segment_delta(x16, first, core, bits)
    return dsp.resample(delta16, dsp.RATE, rate, length=len(ext))


def embed(samples: np.ndarray, rate: int, code: np.ndarray) -> np.ndarray:
    """``samples`` (float32 frames x channels in [-1, 1]) with the watermark of ``code`` (0/1 bits)."""
    x = np.asarray(samples, dtype=np.float64)
    flat = x.ndim == 1
    x2 = x[:, None] if flat else x
    _check(rate, len(x2), len(code))
    out = np.concatenate(list(embed_stream([x2], rate, x2.shape[1], code))).astype(np.float32)
    return out[:, 0] if flat else out


class Folder:
    """Accumulates the folded features of a 16 kHz mono stream at ``SUBSHIFTS`` sub-frame shifts,
    chunk by chunk (each with ``CHUNK_MARGIN`` frames of context either side for the smoothing)."""

    def __init__(self, code_bits: int) -> None:
        self.plan = dsp.layout(code_bits)
        self.folds = np.zeros((SUBSHIFTS, self.plan.frames, dsp.BANDS))
        self.pending = np.zeros(0)
        self.origin = 0  # 16 kHz sample index of pending[0]
        self.next = [0] * SUBSHIFTS  # per shift: the first frame not folded yet

    def add(self, x16: np.ndarray, final: bool = False) -> None:
        self.pending = np.concatenate([self.pending, x16])
        end = self.origin + len(self.pending)
        while True:
            progressed = False
            for shift in range(SUBSHIFTS):
                lag = shift * dsp.HOP // SUBSHIFTS
                first = self.next[shift]
                available = dsp.frame_count(end - lag)
                stop = available if final else min(first + CHUNK_FRAMES, available - CHUNK_MARGIN)
                if stop <= first or (not final and stop < first + CHUNK_FRAMES):
                    continue
                begin = max(0, first - CHUNK_MARGIN)
                upto = min(available, stop + CHUNK_MARGIN)
                at = lag + begin * dsp.HOP - self.origin
                feats = dsp.features(dsp.band_stft(self.pending[at : at + (upto - begin - 1) * dsp.HOP + dsp.FRAME]))
                self.folds[shift] += dsp.fold(feats[first - begin : stop - begin], first, self.plan.frames)
                self.next[shift] = stop
                progressed = True
            if not progressed or final:
                break
        keep = min(max(0, (f - CHUNK_MARGIN) * dsp.HOP) for f in self.next)
        if keep > self.origin:
            self.pending = self.pending[keep - self.origin :]
            self.origin = keep

    def result(self) -> tuple[float, np.ndarray]:
        """(sync z, soft bits at the best offset)."""
        scores = np.stack([dsp.sync_scores(f, self.plan) for f in self.folds])
        shift, offset = np.unravel_index(int(np.argmax(scores)), scores.shape)
        centre = float(np.median(scores))
        spread = 1.4826 * float(np.median(np.abs(scores - centre))) + 1e-12
        z = (float(scores[shift, offset]) - centre) / spread
        return z, dsp.read_bits(self.folds[shift], int(offset), self.plan)


def analyse(samples: np.ndarray, rate: int, code_bits: int = CODE_BITS) -> tuple[float, np.ndarray]:
    """(sync z, soft bits) of ``samples``: for tests and the benchmark, which also want the z."""
    x = np.asarray(samples, dtype=np.float64)
    folder = Folder(code_bits)
    folder.add(dsp.resample(x if x.ndim == 1 else x.mean(axis=1), rate, dsp.RATE), final=True)
    return folder.result()


def extract(samples: np.ndarray, rate: int, code_bits: int = CODE_BITS) -> np.ndarray | None:
    """Soft code bits (z-scores, positive = 1), or None when no synchronisation is found."""
    if rate < MIN_RATE or len(samples) < dsp.FRAME * rate // dsp.RATE:
        return None
    z, soft = analyse(samples, rate, code_bits)
    return soft if z >= SYNC_Z else None


# --- files ------------------------------------------------------------------------------------------


def _audio_adapter(path: Path) -> AudioRewriter:
    from ..registry import sniff

    sniffed = sniff(path)
    rewrite = getattr(sniffed.adapter, "rewrite_audio", None) if sniffed is not None else None
    if sniffed is None or sniffed.adapter.media != "audio" or rewrite is None:
        what = f"a {sniffed.adapter.name} file" if sniffed is not None else "not a format labeler recognises"
        raise UnsupportedError(f"the audio watermark is written into WAV, MP3, FLAC, OGG/Opus, M4A and AIFF files; this is {what}", path)
    return cast(AudioRewriter, sniffed.adapter)


def _duration(path: Path) -> tuple[float, int] | None:
    """(seconds, sample rate) as the container declares them (mutagen), or None when it cannot say."""
    import mutagen

    try:
        info = getattr(mutagen.File(path), "info", None)
    except Exception:  # noqa: BLE001 - mutagen raises many types for damaged files; the decoder then names the problem
        return None
    length, rate = getattr(info, "length", None), getattr(info, "sample_rate", None)
    if not isinstance(length, (int, float)) or not isinstance(rate, int) or length <= 0 or rate <= 0:
        return None
    return float(length), rate


def embed_file(source: Path, target: Path, code: np.ndarray) -> None:
    """Write ``source`` with the watermark of ``code`` to ``target``: same container, codec, sample
    rate, channels, bit depth (lossless) or no lower bitrate (lossy), tags and cover art; the
    adapter's own write path for the audible notice does the decoding and re-encoding."""
    adapter = _audio_adapter(source)
    declared = _duration(source)
    if declared is not None:
        seconds, rate = declared
        _check(rate, int(seconds * rate), len(code))
    bits = np.asarray(code, dtype=np.int64).reshape(-1)
    change = Rewrite(lambda blocks, rate, channels: embed_stream(blocks, rate, channels, bits))
    try:
        adapter.rewrite_audio(source, target, change)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def extract_file(path: Path) -> np.ndarray | None:
    """Soft code bits of the first audio stream of ``path`` (any file ffmpeg decodes), or None.
    Only the first ``MAX_EXTRACT_S`` are read: the block repeats every few seconds, so that window
    holds dozens of repetitions, and the cost of a check stays per file, not per hour of audio."""
    folder = Folder(CODE_BITS)
    wanted = int(MAX_EXTRACT_S * dsp.RATE)
    blocks = decode_blocks(path, dsp.RATE, 1)
    try:
        for block in blocks:
            folder.add(block[:wanted, 0])
            wanted -= len(block)
            if wanted <= 0:
                break
    finally:
        blocks.close()  # stops the decoder when the window is read (verify runs this on every audio file)
    folder.add(np.zeros(0), final=True)
    z, soft = folder.result()
    return soft if z >= SYNC_Z else None
