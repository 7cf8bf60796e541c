"""One weekly run (or theme mining) per database at a time, with a lock the system holds.

Two `rootcause run` for the same week would each mine the window and replace the other's theme
assignments, and each would register new themes. The second one therefore stops at once with a
clear message (or, with `wait`, waits its turn). The lock is never a file whose existence means
"locked", which a crashed run would leave behind:

    PostgreSQL  a session advisory lock (`pg_try_advisory_lock`) on a dedicated connection; the
                server drops it when that connection ends, however the process ended.
    SQLite      an exclusive `flock` on `<database>.lock` beside the database file; the kernel
                drops it when the process ends. (Not on the database file itself: closing any
                descriptor of that file would drop SQLite's own POSIX locks.)
    in-memory   nothing to share, no lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from rootcause.errors import RootcauseError, safe_url

_POLL_SECONDS = 0.5


class RunLockedError(RootcauseError):
    """Another run holds the database's run lock; trying again later will work."""

    exit_code = 75  # EX_TEMPFAIL


def _key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for `name`."""
    return int.from_bytes(
        hashlib.sha256(f"rootcause:{name}".encode()).digest()[:8], "big", signed=True
    )


def _busy(engine: Engine) -> RunLockedError:
    where = safe_url(engine.url.render_as_string(hide_password=False))
    return RunLockedError(
        f"another `rootcause run` or theme mining is already working on {where}; "
        "try again when it has finished, or pass --wait"
    )


@contextmanager
def run_lock(engine: Engine, *, wait: bool = False, name: str = "weekly-run") -> Iterator[None]:
    """Hold the database's run lock for the block; raise RunLockedError if another process
    holds it (or, with `wait`, block until it is free)."""
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine, name, wait):
            yield
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with _file_lock(Path(f"{database}.lock"), engine, name, wait):
        yield


@contextmanager
def _postgres_lock(engine: Engine, name: str, wait: bool) -> Iterator[None]:
    key = _key(name)
    with engine.connect() as raw:
        conn = raw.execution_options(isolation_level="AUTOCOMMIT")
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            if not wait:
                raise _busy(engine)
            time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


@contextmanager
def _file_lock(path: Path, engine: Engine, name: str, wait: bool) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise _busy(engine) from None
        yield
    finally:
        os.close(fd)  # drops the lock
