"""One adapter class per image container family, each a row of byte-level functions."""

from __future__ import annotations

from ...errors import BackendMissingError
from ...facts import C2pa, Format, Signature
from ...model import Backend, Found
from . import encoders, gif, isobmff, jpeg, jpegpatch, mpf, png, raw, tiffdir, webp
from .adapter import Container, ImageAdapter
from .packets import labels_in_xmp


def _tiff_labels(data: bytes) -> list[Found]:
    packet = tiffdir.xmp_of(data)
    found = labels_in_xmp(packet) if packet is not None else []
    return found + [Found.of(carrier, text) for carrier, text in tiffdir.exif_texts(data)]


def _brand(brand: bytes) -> Signature:
    """An ISO-BMFF file whose major brand is ``brand``."""
    return Signature(4, b"ftyp", ((8, brand),))


def _bmp_magic(head: bytes) -> bool:
    return head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in (12, 16, 40, 52, 56, 64, 108, 124)


def _no_labels(data: bytes) -> list[Found]:
    return []


def _jpeg_with_xmp(data: bytes, packet: bytes) -> bytes:
    return mpf.relink(data, jpeg.with_xmp(data, packet))  # an MPO's index follows the primary image's growth


class JpegAdapter(ImageAdapter):
    name = "jpeg"
    formats = (
        Format("JPEG", ("jpg", "jpeg", "jpe", "jfif"), "image/jpeg", (Signature(0, b"\xff\xd8\xff"),), C2pa.EMBEDDED, "Pillow"),
        Format("MPO", ("mpo",), "image/mpo", (), C2pa.EMBEDDED, "Pillow"),  # starts as a JPEG: the JPEG signature claims it
    )
    carrier = "xmp:TC260:AIGC"
    description = (
        "JPEG and MPO; XMP APP1 segment spliced as bytes; notice: only the 8x8 blocks under it re-encoded with the source's "
        "quantisation tables, every other block copied (MPO: on the primary image, the MP index relinked)"
    )
    container = Container(
        jpeg.labels, jpeg.xmp_packet, _jpeg_with_xmp, jpegpatch.encode_jpeg, encoder_keeps_metadata=True,
        without_legacy=jpeg.without_legacy, notice_method=jpegpatch.explain,
    )  # fmt: skip

    def backends(self) -> list[Backend]:
        tools = Backend(
            "jpegtran/djpeg",
            jpegpatch.tools_available(),
            "a JPEG notice re-encodes only the 8x8 blocks under it; without them the whole image is re-encoded",
            jpegpatch.INSTALL_HINT,
        )
        return [tools, *super().backends()]


class PngAdapter(ImageAdapter):
    name = "png"
    formats = (Format("PNG/APNG", ("png", "apng"), "image/png", (Signature(0, png.SIGNATURE),), C2pa.EMBEDDED, "Pillow"),)
    carrier = "xmp:TC260:AIGC"
    description = "PNG/APNG; XMP iTXt chunk before IDAT; every ancillary chunk kept"
    container = Container(
        png.labels, png.xmp_packet, png.with_xmp, encoders.encode_png, encoder_keeps_metadata=True, without_legacy=png.without_legacy
    )


class WebpAdapter(ImageAdapter):
    name = "webp"
    formats = (Format("WebP", ("webp",), "image/webp", (Signature(0, b"RIFF", ((8, b"WEBP"),)),), C2pa.EMBEDDED, "Pillow"),)
    carrier = "xmp:TC260:AIGC"
    description = "WebP (lossy, lossless, animated); RIFF 'XMP ' chunk with the VP8X flag"
    container = Container(webp.labels, webp.xmp_packet, webp.with_xmp, encoders.encode_webp, without_legacy=webp.without_legacy)


def _tiff_with_xmp(data: bytes, packet: bytes) -> bytes:
    """Tag 700 is UNDEFINED in a TIFF (XMP spec) and BYTE in a raw file (DNG spec; exiftool warns otherwise)."""
    return tiffdir.with_xmp(data, packet, tiffdir.TYPE_BYTE if raw.tiff_raw_kind(data) else tiffdir.TYPE_UNDEFINED)


def _raw_notice(data: bytes) -> str | None:
    kind = raw.tiff_raw_kind(data)
    return None if kind is None else raw.notice_refusal(kind)


class TiffAdapter(ImageAdapter):
    name = "tiff"
    formats = (
        Format("TIFF", ("tif", "tiff"), "image/tiff", (Signature(0, b"II*\0"), Signature(0, b"MM\0*")), C2pa.EMBEDDED, "Pillow"),
        Format("BigTIFF", ("tif", "tiff"), "image/tiff", (Signature(0, b"II+\0"), Signature(0, b"MM\0+")), C2pa.NONE, "Pillow"),
        # TIFF-based raw starts as a TIFF: the TIFF signature claims it, raw.tiff_raw_kind tells it apart
        Format("Camera raw (TIFF-based)", raw.TIFF_RAW_EXTENSIONS, "image/x-raw", (), C2pa.EMBEDDED, "Pillow"),
    )
    carrier = "xmp:TC260:AIGC"
    description = (
        "TIFF; XMP in tag 700 of IFD 0 (directory rewritten, pixel data untouched). TIFF-based camera raw "
        "(DNG, CR2, NEF, ARW, PEF...): implicit label only, raw data untouched; a visible notice is refused"
    )
    container = Container(
        _tiff_labels, tiffdir.xmp_of, _tiff_with_xmp, encoders.encode_tiff, without_legacy=tiffdir.without_legacy, no_notice=_raw_notice,
    )  # fmt: skip


class GifAdapter(ImageAdapter):
    name = "gif"
    formats = (Format("GIF", ("gif",), "image/gif", (Signature(0, b"GIF87a"), Signature(0, b"GIF89a")), C2pa.EMBEDDED, "Pillow"),)
    carrier = "xmp:TC260:AIGC"
    description = "GIF (static, animated); XMP application extension; notice on every frame"
    container = Container(
        gif.labels, gif.xmp_packet, gif.with_xmp, encoders.encode_gif, palette_notice=True, without_legacy=gif.without_legacy
    )


class BmpAdapter(ImageAdapter):
    name = "bmp"
    formats = (Format("BMP", ("bmp", "dib"), "image/bmp", (Signature(0, b"BM"),), C2pa.NONE, "Pillow"),)
    carrier = None
    description = "BMP; explicit notice only (no metadata carrier): the label goes to a NAME.aigc.json sidecar"
    container = Container(_no_labels, None, None, encoders.encode_bmp, magic=_bmp_magic)


HEIF_HINT = "pip install 'gb45438-labeler[heif]'  (pillow-heif)"


def heif_available() -> bool:
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        return False
    return True


def _register_heif() -> None:
    try:
        import pillow_heif
    except ImportError as exc:
        raise BackendMissingError(f"drawing or checking a notice on HEIC needs pillow-heif; {HEIF_HINT}") from exc
    pillow_heif.register_heif_opener()


AVIF_HINT = "pip install -U 'pillow>=11.3'  (its wheels include the AVIF codec)"


def avif_available() -> bool:
    from PIL import features

    return bool(features.check("avif"))


def _require_avif() -> None:
    if not avif_available():
        raise BackendMissingError(f"this Pillow has no AVIF codec, needed to draw or check the notice; {AVIF_HINT}")


class AvifAdapter(ImageAdapter):
    name = "avif"
    # c2pa is given the MIME type of the major brand; sniffing also accepts AVIF as a compatible brand
    formats = (Format("AVIF", ("avif",), "image/avif", (_brand(b"avif"), _brand(b"avis")), C2pa.EMBEDDED, "Pillow"),)
    carrier = "xmp:TC260:AIGC"
    description = "AVIF; XMP 'mime' item in the meta box (item tables rewritten, coded image untouched)"
    container = Container(
        isobmff.labels, isobmff.xmp_packet, isobmff.with_xmp, encoders.encode_with("AVIF", 90),
        encoder_writes_xmp=True, prepare=_require_avif, magic=isobmff.is_avif,
    )  # fmt: skip

    def backends(self) -> list[Backend]:
        codec = Backend(
            "pillow-avif",
            avif_available(),
            "Pillow's AVIF codec draws/checks the notice (labels are read and written without it)",
            AVIF_HINT,
        )
        return [codec, *super().backends()]


class HeifAdapter(ImageAdapter):
    name = "heif"
    formats = (
        Format(
            "HEIC",
            ("heic", "hif"),
            "image/heic",
            tuple(_brand(b) for b in (b"heic", b"heix", b"heim", b"heis")),
            C2pa.EMBEDDED,
            "Pillow",
            "heif",
            "pillow_heif",
        ),
        Format("HEIF", ("heif",), "image/heif", (_brand(b"mif1"), _brand(b"msf1")), C2pa.EMBEDDED, "Pillow", "heif", "pillow_heif"),
    )
    carrier = "xmp:TC260:AIGC"
    description = "HEIC/HEIF; XMP 'mime' item in the meta box; the notice needs pillow-heif (extra 'heif')"
    container = Container(
        isobmff.labels, isobmff.xmp_packet, isobmff.with_xmp, encoders.encode_with("HEIF", 90),
        encoder_writes_xmp=True, prepare=_register_heif, magic=isobmff.is_heif,
    )  # fmt: skip

    def backends(self) -> list[Backend]:
        heif = Backend(
            "pillow-heif",
            heif_available(),
            "decodes/encodes HEIC for the visible notice (labels are read and written without it)",
            HEIF_HINT,
        )
        return [heif, *super().backends()]
