"""The audio family: WAV, MP3, FLAC, OGG Vorbis/Opus, M4A/AAC, AIFF."""

from .aiff import AiffAdapter
from .m4a import M4aAdapter
from .mp3 import Mp3Adapter
from .vorbis import FlacAdapter, OggAdapter
from .wav import WavAdapter

__all__ = ["AiffAdapter", "FlacAdapter", "M4aAdapter", "Mp3Adapter", "OggAdapter", "WavAdapter"]
