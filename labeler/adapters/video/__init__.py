"""The video family: MP4/MOV/M4V, Matroska/WebM, AVI and FLV adapters sharing one notice pipeline."""

from .avi import AviAdapter
from .flv import FlvAdapter
from .matroska import MatroskaAdapter
from .mp4 import Mp4VideoAdapter

__all__ = ["AviAdapter", "FlvAdapter", "MatroskaAdapter", "Mp4VideoAdapter"]
