"""The image family: JPEG, PNG/APNG, WebP, TIFF, GIF, AVIF/HEIC, BMP.

Byte-level container modules (``jpeg``, ``png``, ``webp``, ``tiffdir``, ``gif``, ``isobmff``) splice
the XMP carrier without touching pixel data; ``pixels`` and ``encoders`` draw the explicit notice
and re-encode, keeping everything else; ``adapter`` ties them to the Adapter contract.
"""

from .formats import (
    AvifAdapter,
    BmpAdapter,
    GifAdapter,
    HeifAdapter,
    JpegAdapter,
    PngAdapter,
    TiffAdapter,
    WebpAdapter,
)

__all__ = ["AvifAdapter", "BmpAdapter", "GifAdapter", "HeifAdapter", "JpegAdapter", "PngAdapter", "TiffAdapter", "WebpAdapter"]
