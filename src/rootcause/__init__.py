"""rootcause: mine customer complaints for their root causes.

The package is split into stages (ingest, redact, classify, themes, fixes, report) that meet only in
`pipeline.py` and `cli.py`; heavy libraries are imported inside the stage that needs them, so
`import rootcause` and `rootcause --help` stay fast.
"""

from rootcause.errors import (
    ConfigError,
    DatabaseError,
    InputError,
    ReportError,
    RootcauseError,
    TaxonomyError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DatabaseError",
    "InputError",
    "ReportError",
    "RootcauseError",
    "TaxonomyError",
    "__version__",
]
