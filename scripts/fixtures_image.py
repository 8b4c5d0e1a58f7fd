"""Image-family fixtures: one clean sample per format/mode that matters (small, but big enough for a
5 % notice), and odd, third-party or hostile cases with self-describing names."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin

PRODUCER = "001191110102MACQD9K64010000"
GOOD = (
    '{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"doubao-7f3a","ReservedCode1":"",'
    '"ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
)
OTHER = GOOD.replace("doubao-7f3a", "other-0001")
NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
SIZE = (320, 240)


def scene(size: tuple[int, int] = SIZE, seed: int = 0) -> Image.Image:
    """A deterministic photo-like picture: sky and ground gradients, a sun, hills, a house."""
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.62)
    for y in range(height):
        t = y / height
        colour = (int(90 + 80 * t), int(150 + 60 * t), 235) if y < horizon else (int(60 + 40 * t), int(120 - 30 * t), int(50 + 20 * t))
        draw.line([(0, y), (width, y)], fill=colour)
    r = height // 8
    cx = width // 4 + seed * 13 % (width // 2)
    draw.ellipse([cx - r, height // 6 - r // 2, cx + r, height // 6 + r + r // 2], fill=(250, 220, 120))
    draw.polygon([(0, horizon), (width // 3, horizon - height // 5), (2 * width // 3, horizon)], fill=(70, 110, 70))
    hx, hy = int(width * 0.6), int(height * 0.5)
    draw.rectangle([hx, hy, hx + width // 6, hy + height // 5], fill=(180, 90, 60))
    draw.polygon([(hx - 6, hy), (hx + width // 12, hy - height // 8), (hx + width // 6 + 6, hy)], fill=(120, 50, 40))
    return image


def xmp(inner: str, attribute: bool = False) -> bytes:
    body = (
        f'<rdf:Description rdf:about="" xmlns:TC260="{NS}" TC260:AIGC="{inner}"/>'
        if attribute
        else f'<rdf:Description rdf:about="" xmlns:TC260="{NS}"><TC260:AIGC>{inner}</TC260:AIGC></rdf:Description>'
    )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{body}</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
    ).encode()


def escaped(label: str) -> str:
    return label.replace('"', "&quot;")


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def app1(namespace: bytes, payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(namespace) + len(payload) + 2) + namespace + payload


def with_jpeg_segments(data: bytes, *segments: bytes) -> bytes:
    """Insert raw segments after SOI and any JFIF APP0."""
    at = 2 + (2 + struct.unpack(">H", data[4:6])[0] if data[2:4] == b"\xff\xe0" else 0)
    return data[:at] + b"".join(segments) + data[at:]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_insert(data: bytes, chunk: bytes, after_idat: bool = False) -> bytes:
    at = data.rfind(b"IEND") - 4 if after_idat else 33
    return data[:at] + chunk + data[at:]


def png16(image: Image.Image) -> bytes:
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one): 8-bit values spread to 16 bits plus a ramp."""
    width, height = image.size
    values = np.asarray(image, dtype=np.uint16) * 257 + (np.arange(width, dtype=np.uint16) % 200)[None, :, None]
    rows = b"".join(b"\0" + values[y].astype(">u2").tobytes() for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(rows, 9)) + png_chunk(b"IEND", b"")


def exif_with(comment: str | None = None, description: str | None = None, orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x0131] = "labeler fixtures"
    if orientation:
        exif[0x0112] = orientation
    if description is not None:
        exif[0x010E] = description
    if comment is not None:
        exif.get_ifd(0x8769)[0x9286] = b"ASCII\0\0\0" + comment.encode("ascii")
    return exif.tobytes()


def animated(size: tuple[int, int], count: int) -> list[Image.Image]:
    frames = []
    for index in range(count):
        frame = scene(size, index)
        ImageDraw.Draw(frame).rectangle([20 + 30 * index, 20, 60 + 30 * index, 60], fill=(200, 30, 30))
        frames.append(frame)
    return frames


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def samples(folder: Path) -> None:
    base = scene()
    srgb = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    srgb[24:36] = bytes([0x07, 0xE9, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])  # fixed creation date: deterministic bytes
    srgb[84:100] = bytes(16)  # profile ID "not computed" (it would hash the date)
    _write(
        folder / "jpeg-baseline-exif-icc.jpg", encode(base, "JPEG", quality=85, exif=exif_with(), icc_profile=bytes(srgb), dpi=(300, 300))
    )
    _write(folder / "jpeg-progressive.jpg", encode(scene(seed=1), "JPEG", quality=80, progressive=True, subsampling=0))
    _write(folder / "jpeg-cmyk.jpg", encode(base.convert("CMYK"), "JPEG", quality=85))
    _write(folder / "jpeg-gray.jpg", encode(base.convert("L"), "JPEG", quality=85))
    _write(folder / "png-rgb.png", encode(base, "PNG", optimize=True, dpi=(144, 144), pnginfo=_text_info()))
    rgba = base.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(SIZE).point(lambda v: 128 + v // 2))
    _write(folder / "png-rgba.png", encode(rgba, "PNG", optimize=True))
    _write(folder / "png-palette.png", encode(base.quantize(64, dither=Image.Dither.NONE), "PNG", optimize=True))
    _write(folder / "png-gray.png", encode(base.convert("L"), "PNG", optimize=True))
    gray16 = Image.fromarray(np.asarray(base.convert("L"), dtype=np.uint16) * 257)
    _write(folder / "png-gray-16bit.png", encode(gray16, "PNG"))
    _write(folder / "webp-lossy.webp", encode(base, "WEBP", quality=80, method=4))
    _write(folder / "webp-lossless.webp", encode(base.quantize(32).convert("RGB"), "WEBP", lossless=True))
    frames = animated((240, 180), 3)
    _write(
        folder / "webp-animated.webp",
        encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=2, quality=70),
    )
    _write(
        folder / "png-apng-animated.png",
        encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0),
    )
    _write(folder / "tiff-lzw.tif", encode(base, "TIFF", compression="tiff_lzw", dpi=(300, 300)))
    _write(folder / "gif-static.gif", encode(base.quantize(64, dither=Image.Dither.NONE), "GIF"))
    pal = [f.quantize(32, dither=Image.Dither.NONE) for f in animated((240, 180), 3)]
    _write(
        folder / "gif-animated.gif",
        encode(pal[0], "GIF", save_all=True, append_images=pal[1:], duration=[100, 150, 200], loop=0, disposal=[1, 2, 1]),
    )
    _write(folder / "gif-disposal-transparent-subframes.gif", gif_disposal())
    _write(folder / "mpo-stereo.mpo", encode(base, "MPO", save_all=True, append_images=[scene(seed=2)], quality=85))
    _write(folder / "tiff-gray-16bit.tif", encode(gray16, "TIFF", compression="tiff_adobe_deflate"))
    _write(
        folder / "tiff-bilevel-g4.tif",
        encode(base.convert("L").point(lambda v: 255 if v > 128 else 0).convert("1"), "TIFF", compression="group4", dpi=(300, 300)),
    )
    _write(folder / "bmp-rgb.bmp", encode(scene((200, 150)), "BMP"))
    _write(folder / "avif-still.avif", encode(base, "AVIF", quality=60))
    if heif_available():
        _write(folder / "heic-still.heic", encode(base, "HEIF", quality=60))
    try:
        import pillow_jxl  # noqa: F401 - libjxl through pillow-jxl-plugin (the `jxl` extra) registers "JXL"
    except ImportError:
        pass
    else:  # a bare codestream, as cjxl writes by default
        _write(folder / "jxl-still.jxl", encode(base, "JXL", quality=90, effort=7))


def gif_disposal() -> bytes:
    """A transparent animation of small frames: disposal 2 (background) and 3 (previous), one
    transparency index, per-frame durations, two identical frames, loop count 2 (Pillow writes the
    sub-rectangles from the differences; labeler must keep them all)."""
    frames = []
    for i in range(6):
        frame = Image.new("P", SIZE, 0)
        frame.putpalette([0, 0, 0, 220, 40, 40, 40, 160, 60, 40, 60, 200, 250, 210, 60] + [128] * (256 * 3 - 15))
        x = 20 + 40 * min(i, 4)
        ImageDraw.Draw(frame).ellipse((x, 40, x + 60, 100), fill=1 + i % 4 if i < 5 else 4)
        frames.append(frame)
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=[80, 120, 80, 200, 80, 120], loop=2,
                  disposal=[2, 3, 2, 1, 2, 3], transparency=0, optimize=False)  # fmt: skip


def heif_available() -> bool:
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def _text_info() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "Spring launch")
    info.add_text("Comment", "a PNG text chunk that must survive", zip=True)
    return info


def cases(folder: Path) -> None:
    base = scene()
    jpg = encode(base, "JPEG", quality=85)
    png = encode(base, "PNG")
    _write(folder / "jpeg-xmp-tc260.jpg", with_jpeg_segments(jpg, app1(b"http://ns.adobe.com/xap/1.0/\0", xmp(escaped(GOOD)))))
    _write(
        folder / "jpeg-xmp-attribute-form.jpg",
        with_jpeg_segments(jpg, app1(b"http://ns.adobe.com/xap/1.0/\0", xmp(escaped(GOOD), attribute=True))),
    )
    _write(folder / "jpeg-exif-usercomment-aigc.jpg", encode(base, "JPEG", quality=85, exif=exif_with(comment='{"AIGC":' + GOOD + "}")))
    _write(
        folder / "jpeg-exif-imagedescription-aigc.jpg",
        encode(base, "JPEG", quality=85, exif=exif_with(description='{"AIGC":' + GOOD + "}")),
    )
    two = encode(base, "JPEG", quality=85, exif=exif_with(comment='{"AIGC":' + OTHER + "}"))
    at = two.find(b"\xff\xdb")
    _write(folder / "jpeg-two-labels-disagree.jpg", two[:at] + app1(b"http://ns.adobe.com/xap/1.0/\0", xmp(escaped(GOOD))) + two[at:])
    _write(folder / "jpeg-exif-orientation-6.jpg", encode(base, "JPEG", quality=90, exif=exif_with(orientation=6)))
    padding = ("<!-- " + "x" * 100 + " -->\n") * 560
    big = xmp("").replace(b"<TC260:AIGC></TC260:AIGC>", b"").replace(b"</rdf:RDF>", padding.encode() + b"</rdf:RDF>")
    _write(folder / "jpeg-xmp-60kb.jpg", with_jpeg_segments(jpg, app1(b"http://ns.adobe.com/xap/1.0/\0", big)))
    guid = b"0123456789ABCDEF0123456789ABCDEF"
    extended = xmp(escaped(GOOD))
    main_xmp = (
        xmp("")
        .replace(b"<TC260:AIGC></TC260:AIGC>", b"")
        .replace(
            b"</rdf:RDF>",
            b'<rdf:Description rdf:about="" xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="'
            + guid
            + b'"/></rdf:RDF>',
        )
    )
    ext = b"".join(
        app1(b"http://ns.adobe.com/xmp/extension/\0", guid + struct.pack(">II", len(extended), off) + extended[off : off + 200])
        for off in range(0, len(extended), 200)
    )
    _write(folder / "jpeg-extended-xmp.jpg", with_jpeg_segments(jpg, app1(b"http://ns.adobe.com/xap/1.0/\0", main_xmp), ext))
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        + xmp("&c;")
    )
    _write(folder / "jpeg-xmp-xml-bomb.jpg", with_jpeg_segments(jpg, app1(b"http://ns.adobe.com/xap/1.0/\0", bomb)))
    _write(
        folder / "jpeg-xmp-unclosed-tags.jpg",
        with_jpeg_segments(jpg, app1(b"http://ns.adobe.com/xap/1.0/\0", xmp(escaped(GOOD)).replace(b"</rdf:Description>", b""))),
    )
    _write(folder / "jpeg-truncated.jpg", jpg[: len(jpg) // 2])
    _write(folder / "jpeg-empty.jpg", b"")
    _write(folder / "png-really-named.jpg", png)
    _write(folder / "png-truncated.png", png[: len(png) // 2])
    bad = bytearray(png)
    bad[29] ^= 0xFF  # IHDR CRC
    _write(folder / "png-bad-crc.png", bytes(bad))
    _write(folder / "png-text-aigc-wrapped.png", png_insert(png, png_chunk(b"tEXt", b"AIGC\0" + ('{"AIGC":' + GOOD + "}").encode())))
    _write(folder / "png-ztxt-aigc.png", png_insert(png, png_chunk(b"zTXt", b"AIGC\0\0" + zlib.compress(GOOD.encode()))))
    _write(folder / "png-itxt-aigc-bare.png", png_insert(png, png_chunk(b"iTXt", b"AIGC\0\0\0\0\0" + GOOD.encode())))
    _write(
        folder / "png-xmp-after-idat.png",
        png_insert(png, png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp(escaped(GOOD))), after_idat=True),
    )
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    _write(
        folder / "png-decompression-bomb.png",
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 90001 * 4, 9)) + png_chunk(b"IEND", b""),
    )
    _write(folder / "png-rgb-16bit.png", png16(scene()))
    _write(folder / "png-tiny-20x14.png", encode(scene((20, 14)), "PNG"))


def generate(root: Path) -> None:
    samples(root / "samples" / "image")
    cases(root / "cases" / "image")
