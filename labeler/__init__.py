"""labeler: put China's two mandatory AI-content labels on media files, and check them.

GB 45438-2025 requires an explicit notice (visible or audible) and an implicit label (the
seven-field ``AIGC`` JSON in the file's metadata) on every public AI-generated file.
"""

from ._version import __version__
from .adapters.base import Evidence, Found, Presence
from .api import verify_paths
from .c2pa import C2paSettings, SignalOptions, Signals
from .errors import BackendMissingError, InputError, LabelerError, LabelFormatError, OutputError, UnsupportedError
from .label import Label, ParsedLabel, ProviderCode, parse_label, parse_provider_code
from .labelling import LabelResult, label_file
from .notice import Notice
from .problems import Problem, Severity
from .roles import LabelOptions
from .verify import Verdict, verify_file

__all__ = [
    "BackendMissingError",
    "C2paSettings",
    "Evidence",
    "Found",
    "InputError",
    "Label",
    "LabelFormatError",
    "LabelOptions",
    "LabelResult",
    "LabelerError",
    "Notice",
    "OutputError",
    "ParsedLabel",
    "Presence",
    "Problem",
    "ProviderCode",
    "Severity",
    "SignalOptions",
    "Signals",
    "UnsupportedError",
    "Verdict",
    "__version__",
    "label_file",
    "parse_label",
    "parse_provider_code",
    "verify_file",
    "verify_paths",
]
