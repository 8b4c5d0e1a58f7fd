"""The document family: PDF and Office Open XML (Word, PowerPoint, Excel and their variants)."""

from .ooxml import OoxmlAdapter
from .pdf import PdfAdapter

__all__ = ["OoxmlAdapter", "PdfAdapter"]
