"""The text family: plain text, Markdown, HTML and subtitles."""

from .html import HtmlAdapter
from .markdown import MarkdownAdapter
from .plain import PlainTextAdapter
from .subtitle import SrtAdapter, VttAdapter

__all__ = ["HtmlAdapter", "MarkdownAdapter", "PlainTextAdapter", "SrtAdapter", "VttAdapter"]
