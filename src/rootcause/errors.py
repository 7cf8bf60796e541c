"""The exceptions rootcause raises, so the CLI can turn each into one line and an exit code.

    RootcauseError                 anything rootcause knows how to explain (exit 1)
    ├── ConfigError                a settings file or value is wrong (exit 2)
    │   └── TaxonomyError          the taxonomy file is wrong; names the key
    ├── InputError                 an input file cannot be used at all (exit 2); names file and line
    ├── DatabaseError              the database cannot be reached or migrated (exit 1)
    └── ReportError                the report cannot be rendered or written (exit 1)

Library code raises these and logs; only `cli.py` prints. Messages never contain a database
password: build them with `safe_url()`, and `cli.main()` passes every message it prints through
`hide_password()` in case a driver quoted its connection string.
"""

from __future__ import annotations

import errno
from pathlib import Path
from urllib.parse import quote, quote_plus


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


def hide_password(message: str, url: str | None) -> str:
    """Return `message` with every trace of `url`'s password replaced by ***.

    A driver may echo its connection string in an error; replacing the bare password (and its
    URL-quoted forms) anywhere outside the already masked URL catches every wording, at the cost
    of odd-looking text when the password is a common word, which is the right trade for a secret.
    """
    if not url:
        return message
    from sqlalchemy.engine import make_url

    try:
        password = make_url(url).password
    except Exception:
        return message.replace(url, "<unparseable database URL>")
    if not password:
        return message
    masked = safe_url(url)
    parts = message.replace(url, masked).split(masked)  # keep the masked URL itself readable
    forms = sorted(
        {password, quote(password, safe=""), quote_plus(password)}, key=len, reverse=True
    )
    for form in forms:
        parts = [part.replace(form, "***") for part in parts]
    return masked.join(parts)


DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
# Errors of the file system and the disk: the environment's doing, never a bug in rootcause.
FILE_ERRNOS = DISK_FULL | frozenset(
    {
        errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.EEXIST,
        errno.ENOENT, errno.ENAMETOOLONG, errno.ELOOP, errno.EIO, errno.EMFILE, errno.ENFILE,
    }
)  # fmt: skip


def describe_os_error(exc: OSError) -> str:
    """The reason an OSError gives, with a hint when the disk (or a size limit) is full."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.EFBIG:
        reason += " (a file-size limit was reached, or the disk is full)"
    elif exc.errno in DISK_FULL:
        reason += " (the disk or quota is full)"
    return reason


def describe_mkdir_error(folder: Path, exc: OSError) -> str:
    """Why `folder` cannot be created: names the file in its way, which mkdir's own "File exists"
    or "Not a directory" leaves the reader to guess."""
    for candidate in (folder, *folder.parents):
        if candidate.exists() and not candidate.is_dir():
            if candidate == folder:
                return f"{folder} is a file, not a folder"
            return f"cannot create the folder {folder}: {candidate} is a file, not a folder"
    return f"cannot create the folder {folder}: {describe_os_error(exc)}"
