"""Shared detection of visible notices: the notice rules, the render-receipt check and OCR.

- ``geometry``: ``TextHit`` and the rules (both elements, >= 5 % height, at an edge or corner).
- ``receipt``: labeler's own notice proven in the pixels by re-drawing it (no OCR).
- ``ocr``: rapidocr-onnxruntime wrapper, loaded lazily once per process (optional extra ``ocr``).
"""

from .geometry import (
    TextHit,
    at_edge,
    hit_evidence,
    judge_hits,
    position_of,
    rule_problems,
)
from .receipt import patch_matches

__all__ = ["TextHit", "at_edge", "hit_evidence", "judge_hits", "patch_matches", "position_of", "rule_problems"]
