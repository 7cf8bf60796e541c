"""Engine, sessions and migrations: the only place that knows which database is behind the URL.

SQLite gets WAL, a busy timeout and foreign keys so that a reader never blocks the weekly run and
two writers wait for each other instead of failing. The schema is owned by Alembic (batch mode on
SQLite, which cannot ALTER most things in place) and brought up to date when the CLI starts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from rootcause.errors import DatabaseError, describe_mkdir_error, hide_password, safe_url

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk loads touch many index pages
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine for `url`; raise DatabaseError (password hidden) if it is unusable."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"not a database URL: {safe_url(url)}") from None
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a file in the way, a read-only disk: say so in one line
                raise DatabaseError(
                    f"cannot use database {safe_url(url)}: {describe_mkdir_error(folder, exc)}"
                ) from None
        engine = create_engine(parsed, poolclass=NullPool, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except (SQLAlchemyError, ImportError) as exc:
        raise DatabaseError(f"cannot use database {safe_url(url)}: {_first_line(exc)}") from None


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def stream_rows(session: Session, q: Any, page: int = 20_000) -> Iterator[Sequence[Any]]:
    """The rows of `q` a page at a time, as plain tuples of what the driver returns (so only
    for integer, text and bytes columns: nothing is converted).

    A window is a million rows, and SQLAlchemy's per-row work was most of reading one: on
    SQLite the query goes straight to the driver's cursor (1.2M window complaints: 3.7 s
    through a Core connection, 1.0-1.3 s this way). Elsewhere it streams through Core, whose
    server-side cursor keeps PostgreSQL from sending the whole result at once.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        result = connection.execute(q.execution_options(yield_per=page))
        yield from result.partitions()
        return
    compiled = q.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), [params[name] for name in compiled.positiontup or ()])
        while rows := cursor.fetchmany(page):
            yield rows
    finally:
        cursor.close()


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(engine)
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        reason = _reason(exc) if exc.orig else "unreachable"
        raise DatabaseError(
            f"cannot connect to {safe_url(_url(engine))}: {hide_password(reason, _url(engine))}"
        ) from None
    if current == head:
        return
    if current is not None and current not in {r.revision for r in script.walk_revisions()}:
        # A newer rootcause (or another program) wrote it: alembic would fail with a traceback.
        raise DatabaseError(
            f"{safe_url(_url(engine))}: schema revision {current!r} is not one this rootcause "
            f"knows (its newest is {head!r}); a newer rootcause or another program wrote it"
        )
    log.info("migrating database from %s to %s", current, head)
    try:
        command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise DatabaseError(
            f"cannot migrate {safe_url(_url(engine))}: {hide_password(_reason(exc), _url(engine))}"
        ) from None


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


def _url(engine: Engine) -> str:
    """The engine's URL with its password, for `safe_url`/`hide_password` to work on."""
    return engine.url.render_as_string(hide_password=False)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


# The codes that mean "no space left": SQLite's result names and PostgreSQL's disk_full SQLSTATE.
_DISK_FULL = {
    "SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC", "SQLITE_IOERR_TRUNCATE", "53100",
}  # fmt: skip


def _reason(exc: BaseException) -> str:
    """The driver's own first line and error code; SQLAlchemy's text of the error appends the SQL
    and its parameters, which are long and may hold complaint text."""
    orig = getattr(exc, "orig", None) or exc
    reason = _first_line(orig)
    code = getattr(orig, "sqlite_errorname", None) or getattr(orig, "sqlstate", None)
    if code in _DISK_FULL:
        return f"{reason} ({code}: is the disk full?)"
    return f"{reason} ({code})" if code else reason


def describe_database_error(exc: BaseException, url: str | None) -> str:
    """One line for a failed database call: the URL (password hidden) and the driver's reason."""
    where = f"database {safe_url(url)}" if url else "the database"
    return hide_password(f"{where}: {_reason(exc)}", url)
