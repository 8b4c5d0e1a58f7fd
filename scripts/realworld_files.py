#!/usr/bin/env python3
"""Real-world file kinds for ``tests/realworld/``, each made by an independent tool.

Not a ``fixtures_*`` generator: these files are built at test time into a temporary folder (a few
hundred kB in all, ~20 s), so the repository holds no binary copies. Every file is the kind of thing
a user really has: odd JPEGs (CMYK with Adobe APP14, EXIF+ICC+IPTC, progressive, MPO), PNG with text
chunks/ICC/16 bits, an animated GIF with disposal and transparency, 16-bit/bilevel/planar TIFF, an
animated WebP, audio (ALAC, FLAC, Opus, MP3 with ID3v2.3, an M4B audiobook with chapters, WAV with
LIST INFO), video (MP4 with XMP, MKV with chapters, VP9 WebM), PDF (reportlab), DOCX/PPTX/XLSX
(python-docx, python-pptx, openpyxl) and structured text labeler must leave alone (XMP sidecar,
KML, GPX, plist, RTF, vCard).

Writers: Pillow, ImageMagick ``convert``, ffmpeg, exiftool, reportlab, python-docx, python-pptx,
openpyxl, plistlib. Usage: ``python scripts/realworld_files.py DIR`` (prints what it made).
"""

from __future__ import annotations

import argparse
import plistlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo

#: exiftool -p print formats (after exiftool's own fmt_files/gpx.fmt and kml.fmt, which Debian
#: ships under /usr/share/doc: slim images drop that folder, so the formats travel with the script).
PRINT_FORMATS = {
    "gpx": """#[HEAD]<?xml version="1.0" encoding="utf-8"?>
#[HEAD]<gpx version="1.0" creator="ExifTool $ExifToolVersion" xmlns="http://www.topografix.com/GPX/1/0">
#[HEAD]<trk><number>1</number><trkseg>
#[IF]  $gpslatitude $gpslongitude
#[BODY]<trkpt lat="$gpslatitude#" lon="$gpslongitude#"><time>${datetimeoriginal#;DateFmt("%Y-%m-%dT%H:%M:%SZ")}</time></trkpt>
#[TAIL]</trkseg></trk></gpx>
""",
    "kml": """#[HEAD]<?xml version="1.0" encoding="UTF-8"?>
#[HEAD]<kml xmlns="http://earth.google.com/kml/2.0"><Document><name>My Photos</name>
#[IF]  $gpslatitude $gpslongitude
#[BODY]<Placemark><name>$filename</name><Point><coordinates>$gpslongitude#,$gpslatitude#,0</coordinates></Point></Placemark>
#[TAIL]</Document></kml>
""",
}


def _run(*argv: str) -> bytes:
    return subprocess.run(list(argv), check=True, capture_output=True).stdout


def _exiftool(path: Path, *tags: str) -> None:
    _run("exiftool", "-q", "-overwrite_original", *tags, str(path))


def _ffmpeg(*argv: str) -> None:
    _run("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *argv)


def _scene(size: tuple[int, int] = (320, 240), mode: str = "RGB") -> Image.Image:
    """A picture with edges and gradients (a flat image hides re-encoding damage)."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 255 // (w + h)], axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), outline=(255, 255, 255), width=4)
    draw.rectangle((10, 10, 60, 40), fill=(200, 30, 30))
    return image.convert(mode) if mode != "RGB" else image


# -- images --------------------------------------------------------------------------------------
def jpeg_cmyk(path: Path) -> None:
    _scene(mode="CMYK").save(path, quality=90)  # Pillow writes the Adobe APP14 segment for CMYK


def jpeg_exif_icc_iptc(path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Canon", "EOS R5", "2026:01:02 03:04:05"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    _scene().save(path, quality=92, exif=exif.tobytes(), icc_profile=icc)
    _exiftool(
        path,
        "-IPTC:Keywords=launch",
        "-IPTC:Keywords=spring",
        "-IPTC:By-line=Li Lei",
        "-IPTC:City=Shanghai",
        "-EXIF:Artist=Li Lei",
        "-EXIF:Copyright=(c) 2026 Example",
        "-XMP-dc:Rights=All rights reserved",
    )


def jpeg_progressive(path: Path) -> None:
    _scene().save(path, quality=85, progressive=True, optimize=True)


def mpo_stereo(path: Path) -> None:
    left, right = _scene(), _scene().transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    left.save(path, format="MPO", save_all=True, append_images=[right], quality=90)


def png_text_icc(path: Path) -> None:
    info = PngInfo()
    info.add_text("Title", "Spring launch")
    info.add_text("Comment", "compressed comment " * 20, zip=True)
    info.add_itxt("Description", "春季发布", lang="zh", tkey="描述")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    _scene().save(path, pnginfo=info, icc_profile=icc)


def png_16bit_gray(path: Path) -> None:
    y, x = np.mgrid[0:240, 0:320]
    Image.fromarray(((x * 200 + y * 30) % 65536).astype(np.uint16)).save(path)


def png_16bit_rgb(path: Path) -> None:
    _run("convert", "-size", "320x240", "gradient:navy-orange", "-depth", "16", f"PNG48:{path}")


def gif_animated(path: Path) -> None:
    frames = []
    for i in range(6):
        frame = Image.new("P", (160, 120), 0)
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0] + [128] * (256 * 3 - 15))
        ImageDraw.Draw(frame).ellipse((10 + 20 * i, 20, 50 + 20 * i, 60), fill=1 + i % 4)
        frames.append(frame)
    frames[0].save(
        path,
        save_all=True,
        append_images=frames[1:],
        duration=[80, 120, 80, 200, 80, 120],
        loop=0,
        disposal=[2, 3, 2, 1, 2, 3],
        transparency=0,
        optimize=False,
    )


def tiff_16bit(path: Path) -> None:
    _run("convert", "-size", "320x240", "gradient:black-white", "-depth", "16", str(path))


def tiff_bilevel_g4(path: Path) -> None:
    _scene().convert("1").save(path, compression="group4", dpi=(300, 300))


def tiff_planar(path: Path) -> None:
    _scene().save(path.with_suffix(".png"))
    _run("convert", str(path.with_suffix(".png")), "-interlace", "plane", "-compress", "lzw", str(path))
    path.with_suffix(".png").unlink()


def dng_like(path: Path) -> None:
    _scene().save(path, format="TIFF")
    _exiftool(path, "-DNGVersion=1.4.0.0", "-UniqueCameraModel=Example Cam", "-Make=Example", "-Model=Cam")


def webp_animated(path: Path) -> None:
    frames = [_scene((160, 120)).rotate(15 * i) for i in range(5)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0, quality=80)


# -- audio ---------------------------------------------------------------------------------------
_TONE = (
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=330:sample_rate=44100:duration=3",
    "-f",
    "lavfi",
    "-i",
    "anoisesrc=color=pink:amplitude=0.05:duration=3:seed=7",
    "-filter_complex",
    "amix=inputs=2:duration=first",
)
_TAGS = ("-metadata", "title=Spring launch", "-metadata", "artist=Li Lei", "-metadata", "album=Demos", "-metadata", "date=2026")


def _chapters(folder: Path, seconds: float) -> Path:
    half = int(seconds * 500)
    meta = folder / "chapters.ffmeta"
    meta.write_text(
        f";FFMETADATA1\ntitle=Book\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND={half}\ntitle=Opening\n"
        f"[CHAPTER]\nTIMEBASE=1/1000\nSTART={half}\nEND={2 * half}\ntitle=Ending\n"
    )
    return meta


def alac_m4a(path: Path) -> None:
    _ffmpeg(*_TONE, "-c:a", "alac", *_TAGS, str(path))


def flac_tags(path: Path) -> None:
    _ffmpeg(*_TONE, "-c:a", "flac", *_TAGS, str(path))


def opus(path: Path) -> None:
    _ffmpeg(*_TONE, "-c:a", "libopus", "-b:a", "64k", *_TAGS, str(path))


def mp3_id3v23(path: Path) -> None:
    _ffmpeg(*_TONE, "-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "3", *_TAGS, str(path))


def m4b_chapters(path: Path) -> None:
    meta = _chapters(path.parent, 3)
    raw = path.with_suffix(".wav")
    _ffmpeg(*_TONE, str(raw))
    _ffmpeg(
        "-i",
        str(raw),
        "-i",
        str(meta),
        "-map",
        "0:a",
        "-map_metadata",
        "1",
        "-map_chapters",
        "1",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        *_TAGS,
        "-f",
        "ipod",
        str(path),
    )
    raw.unlink()
    meta.unlink()


def wav_list_info(path: Path) -> None:
    _ffmpeg(*_TONE, "-c:a", "pcm_s16le", *_TAGS, str(path))


# -- video ---------------------------------------------------------------------------------------
_VIDEO = (
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=320x240:rate=15:duration=3",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=48000:duration=3",
)


def mp4_xmp(path: Path) -> None:
    _ffmpeg(
        *_VIDEO,
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        "-metadata",
        "title=Spring launch",
        "-metadata",
        "artist=Li Lei",
        str(path),
    )
    _exiftool(path, "-XMP-dc:Title=Spring launch", "-XMP-dc:Creator=Li Lei", "-XMP-dc:Rights=All rights reserved", "-XMP-xmp:Rating=4")


def mkv_chapters(path: Path) -> None:
    meta = _chapters(path.parent, 3)
    _ffmpeg(
        *_VIDEO,
        "-i",
        str(meta),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-map_metadata",
        "2",
        "-map_chapters",
        "2",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "libopus",
        "-b:a",
        "64k",
        "-metadata",
        "title=Spring launch",
        str(path),
    )
    meta.unlink()


def webm_vp9(path: Path) -> None:
    _ffmpeg(
        *_VIDEO,
        "-c:v",
        "libvpx-vp9",
        "-b:v",
        "300k",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "libopus",
        "-b:a",
        "64k",
        str(path),
    )


def webm_vp9_gbrp(path: Path) -> None:
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=15:duration=3",
        "-c:v",
        "libvpx-vp9",
        "-b:v",
        "300k",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-pix_fmt",
        "gbrp",
        str(path),
    )


# -- documents -----------------------------------------------------------------------------------
def pdf_reportlab(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pagesize=A4)
    page.setTitle("Spring launch")
    page.setAuthor("Li Lei")
    page.setSubject("Quarterly report")
    for number in (1, 2):
        page.setFont("Helvetica", 14)
        page.drawString(72, 760, f"Spring launch report, page {number}")
        page.rect(72, 500, 200, 120)
        page.showPage()
    page.save()


def docx(path: Path) -> None:
    import docx as python_docx

    document = python_docx.Document()
    document.core_properties.title, document.core_properties.author = "Spring launch", "Li Lei"
    document.add_heading("Spring launch", 1)
    document.add_paragraph("Sales rose in every region.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(1, 1).text = "Q1", "12"
    document.save(str(path))


def pptx(path: Path) -> None:
    import pptx as python_pptx

    deck = python_pptx.Presentation()
    deck.core_properties.title, deck.core_properties.author = "Spring launch", "Li Lei"
    for title in ("Spring launch", "Numbers"):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = "Sales rose in every region."
    deck.save(str(path))


def xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.title, book.properties.creator = "Spring launch", "Li Lei"
    sheet = book.active
    sheet.title = "Sales"
    for row in (("Region", "Q1"), ("East", 12), ("West", 9)):
        sheet.append(row)
    sheet["C2"] = "=B2*2"
    book.save(str(path))


# -- text ----------------------------------------------------------------------------------------
def plain_text(path: Path) -> None:
    path.write_text("春季发布\n\n这是一段普通的文字，没有任何格式。\nSecond line.\n", encoding="utf-8")


def _geotagged(folder: Path) -> Path:
    photo = folder / "geotag-source.jpg"
    _scene((32, 24)).save(photo)
    _exiftool(
        photo,
        "-GPSLatitude=31.23",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=121.47",
        "-GPSLongitudeRef=E",
        "-DateTimeOriginal=2026:01:02 03:04:05",
        "-XMP-dc:Title=Bund",
    )
    return photo


def xmp_sidecar(path: Path) -> None:
    photo = _geotagged(path.parent)
    _run("exiftool", "-q", "-o", str(path), str(photo))
    photo.unlink()


def exiftool_print(kind: str) -> Callable[[Path], None]:
    """A GPX or KML file as exiftool prints it from a geotagged photo (``exiftool -p FMT``)."""

    def make(path: Path) -> None:
        photo = _geotagged(path.parent)
        fmt = path.parent / f"{kind}.fmt"
        fmt.write_text(PRINT_FORMATS[kind], encoding="utf-8")
        path.write_bytes(_run("exiftool", "-q", "-p", str(fmt), str(photo)))
        photo.unlink()
        fmt.unlink()

    return make


def plist(path: Path) -> None:
    path.write_bytes(plistlib.dumps({"CFBundleName": "Demo", "CFBundleVersion": "1.0", "Items": [1, 2, 3]}))


def rtf(path: Path) -> None:
    path.write_text("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\\f0\\fs24 Spring {\\b launch}.\\par}\n", encoding="ascii")


def vcard(path: Path) -> None:
    path.write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Li Lei\r\nN:Li;Lei;;;\r\nEMAIL:li@example.com\r\nEND:VCARD\r\n")


#: file name -> (writer, what labeler must do: "label" or "refuse"). Names say what the file is.
KINDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "jpeg-cmyk-app14.jpg": (jpeg_cmyk, "label"),
    "jpeg-exif-icc-iptc.jpg": (jpeg_exif_icc_iptc, "label"),
    "jpeg-progressive.jpg": (jpeg_progressive, "label"),
    "mpo-stereo.mpo": (mpo_stereo, "label"),
    "png-text-icc.png": (png_text_icc, "label"),
    "png-16bit-gray.png": (png_16bit_gray, "label"),
    "png-16bit-rgb.png": (png_16bit_rgb, "label"),
    "gif-animated-disposal.gif": (gif_animated, "label"),
    "tiff-16bit.tif": (tiff_16bit, "label"),
    "tiff-bilevel-g4.tif": (tiff_bilevel_g4, "label"),
    "tiff-planar.tif": (tiff_planar, "label"),
    "dng-like.dng": (dng_like, "refuse"),  # a visible notice would develop the raw data; --no-explicit labels it
    "webp-animated.webp": (webp_animated, "label"),
    "alac.m4a": (alac_m4a, "label"),
    "flac-tags.flac": (flac_tags, "label"),
    "opus-tags.opus": (opus, "label"),
    "mp3-id3v23.mp3": (mp3_id3v23, "label"),
    "m4b-chapters.m4b": (m4b_chapters, "label"),
    "wav-list-info.wav": (wav_list_info, "label"),
    "mp4-xmp.mp4": (mp4_xmp, "label"),
    "mkv-chapters.mkv": (mkv_chapters, "label"),
    "webm-vp9.webm": (webm_vp9, "label"),
    "webm-vp9-gbrp.webm": (webm_vp9_gbrp, "label"),
    "reportlab.pdf": (pdf_reportlab, "label"),
    "python-docx.docx": (docx, "label"),
    "python-pptx.pptx": (pptx, "label"),
    "openpyxl.xlsx": (xlsx, "label"),
    "notes.txt": (plain_text, "label"),
    "photo.xmp": (xmp_sidecar, "refuse"),
    "track.kml": (exiftool_print("kml"), "refuse"),
    "track.gpx": (exiftool_print("gpx"), "refuse"),
    "Info.plist": (plist, "refuse"),
    "letter.rtf": (rtf, "refuse"),
    "contact.vcf": (vcard, "refuse"),
}


def generate(root: Path, names: list[str] | None = None) -> list[Path]:
    """Write the wanted kinds (default all) into ``root`` with mode 0644; return their paths."""
    root.mkdir(parents=True, exist_ok=True)
    made = []
    for name in names or list(KINDS):
        path = root / name
        KINDS[name][0](path)
        path.chmod(0o644)
        made.append(path)
    return made


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("folder", nargs="?", type=Path, default=Path("realworld"), help="where to make the files (default: ./realworld)")
    for made in generate(cli.parse_args().folder):
        print(f"{made.stat().st_size:>9,}  {made}")
