"""labeler: put China's two mandatory AI-content labels on media files, and check them.

GB 45438-2025 requires an explicit notice (visible or audible) and an implicit label (the
seven-field ``AIGC`` JSON in the file's metadata) on every public AI-generated file.
"""

from ._version import __version__
from .api import BatchOutcome, label_paths, verify_paths
from .c2pa import C2paSettings, SignalOptions, Signals
from .config import load_config
from .errors import BackendMissingError, InputError, LabelerError, LabelFormatError, OutputError, UnsupportedError
from .label import Label, ParsedLabel, ProviderCode, parse_label, parse_provider_code
from .labelling import LabelResult, label_file
from .model import Evidence, Found, Presence
from .notice import Notice
from .policy import Policy, Waiver
from .pool import Limits
from .problems import Problem, Severity
from .report import RunInfo
from .report import render as render_report
from .roles import LabelOptions
from .verify import Verdict, gate_failures, verify_file

#: The public surface, chosen deliberately (tests/test_public_api.py checks it equals the public names).
__all__ = [
    "BackendMissingError",
    "BatchOutcome",
    "C2paSettings",
    "Evidence",
    "Found",
    "InputError",
    "Label",
    "LabelFormatError",
    "LabelOptions",
    "LabelResult",
    "LabelerError",
    "Limits",
    "Notice",
    "OutputError",
    "ParsedLabel",
    "Policy",
    "Presence",
    "Problem",
    "ProviderCode",
    "RunInfo",
    "Severity",
    "SignalOptions",
    "Signals",
    "UnsupportedError",
    "Verdict",
    "Waiver",
    "__version__",
    "gate_failures",
    "label_file",
    "label_paths",
    "load_config",
    "parse_label",
    "parse_provider_code",
    "render_report",
    "verify_file",
    "verify_paths",
]
