"""The image adapter: one class, one ``Container`` per file family (a table of byte-level functions).

- implicit: XMP spliced as bytes (no pixel re-encode); a label already equal is left alone, so
  relabelling is byte-stable.
- explicit: the notice drawn in display orientation, the image re-encoded by its container's
  encoder, and a render receipt stored in the XMP for the OCR-free check.
- detection: receipt check → default-notice template check → OCR (if installed) → UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageSequence

from ... import clone
from ...errors import BackendMissingError, InputError, UnsupportedError
from ...facts import MAGIC, WEAK
from ...label import Label
from ...model import Backend, Evidence, Found, Presence, WriteOptions
from ...notice import Notice
from ...problems import Problem, warning
from ...render.banner import DEFAULT_HEIGHT_RATIO, POSITIONS, Receipt, plan_banner
from ...source import read_all
from ..base import Adapter, with_path
from .packets import implicit_packet, receipt_in, with_receipt
from .pixels import Placement, display_size, opened, place, stored_box, to_display

Encoder = Callable[[Image.Image, Placement, bytes, bytes], bytes]
MAX_CHECKED_FRAMES = 64
#: A reduced-scale check needs glyphs at least this tall (pixels) after scaling, and OCR this short side.
MIN_CHECK_PX = 40
MIN_OCR_SHORT = 720


@dataclass(frozen=True)
class Container:
    """Byte-level functions for one container family (``None`` = no XMP carrier)."""

    labels: Callable[[bytes], list[Found]]
    xmp: Callable[[bytes], bytes | None] | None
    with_xmp: Callable[[bytes, bytes], bytes] | None
    encode: Encoder
    #: True when ``encode`` already stored the XMP packet (formats whose encoder writes it).
    encoder_writes_xmp: bool = False
    #: True when the encoder carries metadata itself (JPEG/PNG splice the original segments back).
    encoder_keeps_metadata: bool = False
    palette_notice: bool = False
    #: Removes labels from non-canonical carriers once the label is in XMP (one label per file).
    without_legacy: Callable[[bytes], bytes] | None = None
    #: Called before Pillow opens the file (registers an optional plugin, or raises BackendMissingError).
    prepare: Callable[[], None] | None = None
    #: Why this file can take no visible notice (camera raw data), or None; asked before any decoding.
    no_notice: Callable[[bytes], str | None] | None = None
    #: A content check that replaces the adapter's signatures where fixed bytes are not enough
    #: (ISO-BMFF compatible brands, the BMP header size); None: the signatures decide.
    magic: Callable[[bytes], bool] | None = None
    #: How the notice goes into these bytes (``Adapter.notice_method``), when the container has a choice.
    notice_method: Callable[[bytes], str] | None = None


def read_bytes(path: Path) -> bytes:
    data = read_all(path)  # once per Source: plan, write and verify share it
    if not data:
        raise InputError("the file is empty (0 bytes); re-export or re-download it", path)
    return data


def _aligned(out: bytes, original: bytes, block: int, padded: Callable[[int], bytes]) -> bytes:
    """``out`` with XMP padding that puts everything after the packet at its source offset modulo
    ``block`` (so it can be cloned), when that shares more blocks; else ``out`` unchanged. A
    container may round a chunk up (RIFF pads to even sizes): the nearest sizes are tried too."""
    need = (len(original) - len(out)) % block
    for extra in (need, need - 1, need + block - 1):
        try:
            candidate = padded(extra) if extra > 0 else out
        except InputError:  # no room for the padding (a JPEG APP1 segment holds 64 KB)
            return out
        if (len(candidate) - len(original)) % block == 0:
            better = clone.shared(clone.plan(candidate, original, block)) > clone.shared(clone.plan(out, original, block))
            return candidate if better else out
    return out


def orientation_of(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not stop labelling; treat as upright
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _default_glyph(frame: tuple[int, int]) -> int:
    try:
        return plan_banner(Notice().text_for("image"), frame).glyph_height
    except ValueError:
        return 0


def _draft(image: Image.Image, glyph_px: int) -> tuple[float, float]:
    """Decode a big JPEG at 1/2-1/8 scale (DCT scaling: several times faster) when the notice is
    still large enough to check there and OCR still gets enough pixels; returns the scale."""
    width, height = image.size
    if image.format != "JPEG" or image.mode not in ("RGB", "L", "CMYK"):
        return 1.0, 1.0
    for factor in (8, 4, 2):
        if glyph_px / factor >= MIN_CHECK_PX and min(width, height) / factor >= MIN_OCR_SHORT:
            image.draft(image.mode, (-(-width // factor), -(-height // factor)))
            return width / image.width, height / image.height
    return 1.0, 1.0


def _reduce(box: tuple[int, int, int, int], scale: tuple[float, float]) -> tuple[int, int, int, int]:
    sx, sy = scale
    return round(box[0] / sx), round(box[1] / sy), round(box[2] / sx), round(box[3] / sy)


class ImageAdapter(Adapter):
    """Subclasses set the class attributes and ``container``."""

    media = "image"
    container: Container

    def score(self, name: str, head: bytes) -> int:
        if not head:  # an empty file named like an image is this adapter's to refuse, clearly
            return (WEAK - 2) * self.extension_score(name)
        check = self.container.magic
        matched = check(head) if check is not None else self.signature_score(head) > 0
        return MAGIC + self.extension_score(name) if matched else 0

    # -- implicit --------------------------------------------------------------------------
    def read_labels(self, path: Path) -> list[Found]:
        return with_path(path, lambda: self.container.labels(read_bytes(path)))

    def write_implicit(self, src: Path, dst: Path, label: Label, options: WriteOptions = WriteOptions()) -> None:
        container = self.container
        xmp, with_xmp = container.xmp, container.with_xmp
        if xmp is None or with_xmp is None:
            super().write_implicit(src, dst, label, options)
            return

        def run() -> None:
            seen = clone.identity(src)  # the file the bytes below come from: cloning checks it is still that file
            data = original = read_bytes(src)
            if container.without_legacy is not None and any(not f.carrier.startswith("xmp") for f in container.labels(data)):
                data = container.without_legacy(data)  # the label moves to XMP: GB 45438 6.1 c) one label per file
            packet = implicit_packet(xmp(data), label, options.source_type)
            out = data if packet is None else with_xmp(data, packet)
            block = clone.block_size(src, dst)
            if block is not None and packet is not None and (len(out) - len(original)) % block:
                out = _aligned(out, original, block, lambda extra: with_xmp(data, clone.pad_xmp(packet, extra)))
            clone.write_like(src, dst, out, original, block=block, expect=seen)

        with_path(src, run)

    # -- explicit --------------------------------------------------------------------------
    def write_explicit(self, src: Path, dst: Path, notice: Notice, options: WriteOptions = WriteOptions()) -> None:
        container = self.container
        data = read_bytes(src)

        def run() -> bytes:
            why = container.no_notice(data) if container.no_notice else None
            if why is not None:
                raise UnsupportedError(why, src)
            if container.prepare:
                container.prepare()
            with opened(data, options.max_pixels) as image:
                binary = container.palette_notice or image.mode in ("P", "PA", "1")
                placement = place(
                    notice.text_for(self.media), image.size, orientation_of(image), notice.position, notice.height_ratio, binary
                )
                existing = container.xmp(data) if container.xmp else None
                packet = with_receipt(existing, placement.receipt.to_json())
                encoded = container.encode(image, placement, data, packet)
            if container.with_xmp is not None and not container.encoder_keeps_metadata and not container.encoder_writes_xmp:
                encoded = container.with_xmp(encoded, packet)
            return encoded

        dst.write_bytes(with_path(src, run))

    def notice_method(self, path: Path) -> str | None:
        method = self.container.notice_method
        return with_path(path, lambda: method(read_bytes(path))) if method is not None else None

    # -- detection -------------------------------------------------------------------------
    def detect_explicit(self, path: Path) -> Evidence:
        return with_path(path, lambda: self._detect(read_bytes(path)))

    def _detect(self, data: bytes) -> Evidence:
        from ...detect import ocr, scan
        from ...detect.geometry import TextHit, hit_evidence, judge_hits

        why = self.container.no_notice(data) if self.container.no_notice else None
        if why is not None:
            return Evidence(Presence.ABSENT, why, detail={"method": "raw"})
        raw = receipt_in(self.container.xmp(data)) if self.container.xmp else None
        extra: tuple[Problem, ...] = ()
        if self.container.prepare:
            try:
                self.container.prepare()
            except BackendMissingError as exc:  # the label is still readable; the notice check is not
                return Evidence.unknown(exc.message)
        with opened(data) as image:
            orientation = orientation_of(image)
            full = image.size
            receipt = None
            if raw is not None:
                try:
                    receipt = Receipt.from_json(raw)
                except ValueError as exc:
                    extra = (warning("notice.receipt-unreadable", f"the notice receipt in the XMP is unreadable ({exc})"),)
            scale = _draft(image, receipt.glyph_height if receipt else _default_glyph(display_size(full, orientation)))
            if receipt is not None:
                ok, why = self._receipt_holds(image, full, scale, receipt, orientation)
                if ok:
                    return hit_evidence(TextHit(receipt.text, receipt.box, receipt.glyph_height), receipt.frame, "receipt")
                extra = (
                    warning(
                        "notice.receipt-mismatch",
                        f"the notice labeler drew is no longer in the pixels ({why}): cropped, scaled or painted over",
                    ),
                )
            elif raw is None:
                template = self._template(image, full, scale, orientation)
                if template is not None:
                    return hit_evidence(TextHit(template.text, template.box, template.glyph_height), template.frame, "template")
            if not ocr.available():
                summary = "; ".join(p.message for p in extra) or "no labeler notice receipt in the file"
                if extra:
                    return Evidence(Presence.ABSENT, summary, problems=extra, detail={"method": "receipt"})
                return Evidence.unknown(f"{summary}; reading a third-party notice needs OCR: {ocr.INSTALL_HINT}")
            image.seek(0)
            frame = (
                image if image.mode in ("RGB", "RGBA", "L") else image.convert("RGBA" if "A" in image.mode or image.mode == "P" else "RGB")
            )
            shown = to_display(frame, orientation)  # no copy when upright
            sx, sy = display_size(scale, orientation)
            hits = [
                TextHit(
                    h.text,
                    (round(h.box[0] * sx), round(h.box[1] * sy), round(h.box[2] * sx), round(h.box[3] * sy)),
                    h.glyph_height * sy,
                    h.score,
                )
                for h in scan.read_notice_lines(shown)
            ]  # back to full-resolution coordinates when the frame was decoded reduced
            return judge_hits(hits, display_size(full, orientation), "ocr", extra)

    def _receipt_holds(
        self, image: Image.Image, full: tuple[int, int], scale: tuple[float, float], receipt: Receipt, orientation: int
    ) -> tuple[bool, str]:
        from ...detect.receipt import patch_matches

        if display_size(full, orientation) != receipt.frame:
            return False, f"image is {full}, the notice was drawn on {receipt.frame}"
        box = _reduce(stored_box(receipt.box, full, orientation), scale)
        frames = [image] if image.format == "MPO" else ImageSequence.Iterator(image)  # MPO: the notice is on the primary image
        for index, frame in enumerate(frames):
            if index >= MAX_CHECKED_FRAMES:
                break
            ok, why = patch_matches(to_display(frame.crop(box), orientation), receipt, reduced=scale != (1.0, 1.0))
            if not ok:
                return False, f"frame {index}: {why}" if index else why
        return True, "matches"

    def _template(self, image: Image.Image, full: tuple[int, int], scale: tuple[float, float], orientation: int) -> Receipt | None:
        """labeler's default notice at any of the eight positions, for files whose XMP was stripped."""
        from ...detect.receipt import patch_matches

        frame = display_size(full, orientation)
        binary = self.container.palette_notice or image.mode in ("P", "PA", "1")
        for position in POSITIONS:
            try:
                receipt = plan_banner(Notice().text_for(self.media), frame, position, DEFAULT_HEIGHT_RATIO, binary=binary)
            except ValueError:
                return None
            region = to_display(image.crop(_reduce(stored_box(receipt.box, full, orientation), scale)), orientation)
            if patch_matches(region, receipt, reduced=scale != (1.0, 1.0))[0]:
                return receipt
        return None

    def backends(self) -> list[Backend]:
        from ...detect import ocr

        return [ocr.backend()]
