"""The exceptions rootcause raises, so the CLI can turn each into one line and an exit code.

    RootcauseError                 anything rootcause knows how to explain (exit 1)
    ├── ConfigError                a settings file or value is wrong (exit 2)
    │   └── TaxonomyError          the taxonomy file is wrong; names the key
    ├── InputError                 an input file cannot be used at all (exit 2); names file and line
    ├── DatabaseError              the database cannot be reached or migrated (exit 1)
    └── ReportError                the report cannot be rendered or written (exit 1)

Library code raises these and logs; only `cli.py` prints. Messages never contain a database
password: build them with `safe_url()`.
"""

from __future__ import annotations

from pathlib import Path


class RootcauseError(Exception):
    """Base class: the message is meant for a person and fits on one line."""

    exit_code = 1


class ConfigError(RootcauseError):
    exit_code = 2


class TaxonomyError(ConfigError):
    pass


class InputError(RootcauseError):
    """A whole input file is unusable: missing, unreadable, not CSV/JSON Lines, no text column."""

    exit_code = 2

    def __init__(self, path: str | Path, reason: str, *, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}: line {line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class DatabaseError(RootcauseError):
    pass


class ReportError(RootcauseError):
    pass


def safe_url(url: str) -> str:
    """Return a database URL with its password replaced by ***, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"
