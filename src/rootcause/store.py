"""Reads and writes: every query rootcause runs lives here, with a keyword-only `session=`.

Writes that must be idempotent use the database's own conflict handling (ON CONFLICT DO NOTHING
against the unique keys), so a re-run or a second process can never insert a row twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Insert
from sqlmodel import Session, SQLModel, col

from rootcause.models import (
    Classification,
    Complaint,
    Fix,
    IngestRun,
    Label,
    Quarantine,
    ReportRun,
    Theme,
    utcnow,
)


def insert_ignoring_conflicts(session: Session, model: type[SQLModel]) -> Insert:
    table = model.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


_COMPLAINT_COLUMNS = (
    "source", "external_id", "text_original", "text_redacted", "text_hash", "text_digest",
    "received_at", "week", "channel", "customer_id", "order_id", "agent_id", "product",
    "first_response_at", "resolved_at", "ingested_at", "ingest_run_id",
)  # fmt: skip
_SQLITE_INSERT = (
    f"INSERT INTO complaint ({', '.join(_COMPLAINT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_COMPLAINT_COLUMNS))}) ON CONFLICT DO NOTHING"
)


def sqlite_time(value: datetime | None) -> str | None:
    """A UTC time as SQLite stores it, for rows that bypass SQLAlchemy's type processing."""
    # The text form SQLAlchemy's SQLite DateTime writes and reads back (naive UTC, microseconds).
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


_TIME_COLUMNS = frozenset({"received_at", "first_response_at", "resolved_at", "ingested_at"})


def _sqlite_rows(rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    cached: dict[datetime, str | None] = {}  # ingested_at is one value per batch

    def time(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value not in cached:
            cached[value] = sqlite_time(value)
        return cached[value]

    getters = [(c, c in _TIME_COLUMNS) for c in _COMPLAINT_COLUMNS]
    return [tuple(time(r.get(c)) if t else r.get(c) for c, t in getters) for r in rows]


def insert_complaints(*, session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert complaints, skipping any that clash with a stored one on (source, external id)
    or (source, text hash); returns how many were new.

    The database decides what is a duplicate (unique keys + ON CONFLICT DO NOTHING), so a
    re-run, a resumed run and two concurrent loads all count the same way. On SQLite the rows go
    to the driver's executemany directly: SQLAlchemy's per-row processing cost a third of the
    load time.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        result: Any = session.connection().exec_driver_sql(_SQLITE_INSERT, _sqlite_rows(rows))
        return int(result.rowcount)
    if dialect == "postgresql":
        return _copy_complaints(session, rows)
    stmt = insert_ignoring_conflicts(session, Complaint).returning(Complaint.__table__.c.id)  # type: ignore[attr-defined]
    return len(session.execute(stmt, list(rows)).all())


_COLUMN_LIST = ", ".join(_COMPLAINT_COLUMNS)


def _copy_complaints(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """PostgreSQL: COPY the batch into a temporary table, then one INSERT ... SELECT ... ON
    CONFLICT DO NOTHING moves the new rows across.

    COPY is PostgreSQL's bulk path (no per-row statement or round trip), but it cannot skip
    conflicts itself; the staging table lets the unique keys decide as before. `ord` keeps the
    file's order, so of two rows that clash within one batch the earlier one wins, as it does
    with row-by-row inserts. The staging table lives for the session and is emptied each time.
    """
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS complaint_staging AS "
            f"SELECT 0::bigint AS ord, {_COLUMN_LIST} FROM complaint WITH NO DATA"
        )
        with cursor.copy(f"COPY complaint_staging (ord, {_COLUMN_LIST}) FROM STDIN") as copy:
            for ord_, row in enumerate(rows):
                copy.write_row((ord_, *(row.get(c) for c in _COMPLAINT_COLUMNS)))
        cursor.execute(
            f"INSERT INTO complaint ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} "
            "FROM complaint_staging ORDER BY ord ON CONFLICT DO NOTHING"
        )
        inserted = int(cursor.rowcount)
        cursor.execute("TRUNCATE complaint_staging")
    return inserted


def pending_complaints(*, session: Session, limit: int, after: int = 0) -> list[tuple[int, str]]:
    """The oldest complaints without a classification and with an id above `after`: (id,
    redacted text).

    `after` lets a run resume past its own last batch: from id 0, every batch would re-check
    the whole classified history before reaching the new week (a 1.2M-complaint history made
    classifying a 100k week 2.5 times slower).

    On PostgreSQL the rows are claimed with FOR UPDATE SKIP LOCKED until the transaction ends, so
    several `rootcause classify` workers (on one machine or many) take disjoint batches, and a
    killed worker's batch is released for the next claim. SQLite has a single writer anyway.
    """
    # NOT EXISTS, not NOT IN: PostgreSQL plans NOT IN (subquery) as a hashed subplan only while
    # the verdicts fit in work_mem; past that it rescans them for every complaint.
    done = select(col(Classification.complaint_id)).where(
        col(Classification.complaint_id) == col(Complaint.id)
    )
    q = (
        select(col(Complaint.id), col(Complaint.text_redacted))
        .where(col(Complaint.id) > after, ~done.exists())
        .order_by(col(Complaint.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name != "postgresql":
        return [(int(i), t) for i, t in session.execute(q)]
    q = q.with_for_update(skip_locked=True, of=Complaint)
    while True:
        claimed = [(int(i), t) for i, t in session.execute(q)]
        if not claimed:
            return []
        # A row whose lock we got only once another worker committed it was pending in our
        # statement's snapshot but is classified now; a fresh statement sees that. Asking again
        # is safe: this statement's snapshot no longer lists those rows as pending.
        verdicts = select(col(Classification.complaint_id)).where(
            col(Classification.complaint_id).in_([i for i, _ in claimed])
        )
        done_now = {int(i) for i in session.scalars(verdicts)}
        pending = [(i, t) for i, t in claimed if i not in done_now]
        if pending:
            return pending


def complaint_text_pages(*, session: Session, page_size: int) -> Iterator[list[str]]:
    """Every complaint's redacted text, a page at a time (keyset pagination: no OFFSET scans,
    and never the whole table in memory)."""
    last = 0
    while True:
        q = (
            select(col(Complaint.id), col(Complaint.text_redacted))
            .where(col(Complaint.id) > last)
            .order_by(col(Complaint.id))
            .limit(page_size)
        )
        rows = session.execute(q).all()
        if not rows:
            return
        last = int(rows[-1][0])
        yield [t for _, t in rows]


def insert_classifications(*, session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Store verdicts; a complaint already classified (by another worker) is left as it is."""
    if not rows:
        return 0
    stmt = insert_ignoring_conflicts(session, Classification)
    stmt = stmt.returning(Classification.__table__.c.complaint_id)  # type: ignore[attr-defined]
    return len(session.execute(stmt, list(rows)).all())


def add_label(
    *, session: Session, complaint_id: int, cause: str, author: str, origin: str = "cli"
) -> Label:
    if session.get(Complaint, complaint_id) is None:
        raise LookupError(f"no complaint with id {complaint_id}")
    label = Label(
        complaint_id=complaint_id, cause=cause, author=author, origin=origin, created_at=utcnow()
    )
    session.add(label)
    session.flush()
    return label


def human_causes() -> Any:
    """Subquery (complaint_id, cause): each labelled complaint's newest human label."""
    newest = (
        select(func.max(col(Label.id)).label("last")).group_by(col(Label.complaint_id)).subquery()
    )
    return (
        select(col(Label.complaint_id), col(Label.cause))
        .join(newest, newest.c.last == col(Label.id))
        .subquery()
    )


def review_queue(
    *, session: Session, limit: int | None = None
) -> list[tuple[Complaint, Classification]]:
    """Complaints the model flagged for review that no person has labelled yet, least sure first."""
    human = human_causes()
    q = (
        select(Complaint, Classification)
        .join(Classification, col(Classification.complaint_id) == col(Complaint.id))
        .outerjoin(human, human.c.complaint_id == col(Complaint.id))
        .where(col(Classification.needs_review).is_(True), human.c.cause.is_(None))
        .order_by(col(Classification.confidence), col(Complaint.id))
    )
    if limit is not None:
        q = q.limit(limit)
    return [(row[0], row[1]) for row in session.execute(q)]


def existing_complaint_ids(*, session: Session, ids: Sequence[int]) -> set[int]:
    found = session.scalars(select(col(Complaint.id)).where(col(Complaint.id).in_(list(ids))))
    return {int(i) for i in found if i is not None}


def labelled_texts(*, session: Session) -> list[tuple[str, str]]:
    """(redacted text, cause) of every complaint a person labelled; the newest label wins."""
    human = human_causes()
    q = (
        select(col(Complaint.text_redacted), human.c.cause)
        .join(human, human.c.complaint_id == col(Complaint.id))
        .order_by(col(Complaint.id))
    )
    return [(t, c) for t, c in session.execute(q)]


def insert_quarantine(*, session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert_ignoring_conflicts(session, Quarantine), list(rows))


def start_ingest_run(
    *, session: Session, source: str, path: str, file_format: str, encoding: str
) -> IngestRun:
    run = IngestRun(
        source=source, path=path, file_format=file_format, encoding=encoding, started_at=utcnow()
    )
    session.add(run)
    session.flush()
    return run


def add_to_ingest_run(
    *,
    session: Session,
    run_id: int,
    inserted: int,
    duplicates: int,
    quarantined: int,
    warnings: Sequence[str] = (),
    finished: bool = False,
) -> None:
    run = session.get(IngestRun, run_id)
    if run is None:
        raise LookupError(f"ingest run {run_id} is gone")
    run.inserted += inserted
    run.duplicates += duplicates
    run.quarantined += quarantined
    run.rows_read += inserted + duplicates + quarantined
    if warnings:
        run.warnings = [*run.warnings, *warnings][:100]
    if finished:
        run.finished_at = utcnow()
    session.add(run)


def count_complaints(*, session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Complaint)) or 0)


def status_counts(*, session: Session) -> dict[str, int]:
    """What the database holds, for `rootcause status`."""

    def count(model: type[SQLModel], *where: Any) -> int:
        q = select(func.count()).select_from(model)
        for w in where:
            q = q.where(w)
        return int(session.scalar(q) or 0)

    complaints = count(Complaint)
    classified = count(Classification)
    return {
        "complaints": complaints,
        "quarantined": count(Quarantine),
        "classified": classified,
        "pending": complaints - classified,
        "needs_review": count(Classification, Classification.needs_review.is_(True)),  # type: ignore[attr-defined]
        "themes": count(Theme, Theme.merged_into_id.is_(None)),  # type: ignore[union-attr]
        "fixes": count(Fix),
    }


def latest_received_at(*, session: Session) -> datetime | None:
    return session.scalar(select(func.max(Complaint.received_at)))


def quarantine_rows(*, session: Session, limit: int = 100) -> list[Quarantine]:
    q = select(Quarantine).order_by(Quarantine.id).limit(limit)  # type: ignore[arg-type]
    return list(session.scalars(q))


def weekly_channel_counts(*, session: Session, weeks: Sequence[str]) -> dict[tuple[str, str], int]:
    """Complaints per (week, channel) for the given weeks; channel '' when unknown."""
    q = (
        select(col(Complaint.week), col(Complaint.channel), func.count())
        .where(col(Complaint.week).in_(list(weeks)))
        .group_by(col(Complaint.week), col(Complaint.channel))
    )
    return {(w, c or ""): int(n) for w, c, n in session.execute(q)}


def weekly_cause_counts(*, session: Session, weeks: Sequence[str]) -> dict[tuple[str, str], int]:
    """Complaints per (week, cause); a person's newest label overrides the model's verdict."""
    human = human_causes()
    cause = func.coalesce(human.c.cause, col(Classification.cause))
    q = (
        select(col(Complaint.week), cause, func.count())
        .join(Classification, col(Classification.complaint_id) == col(Complaint.id))
        .outerjoin(human, human.c.complaint_id == col(Complaint.id))
        .where(col(Complaint.week).in_(list(weeks)))
        .group_by(col(Complaint.week), cause)
    )
    return {(w, c): int(n) for w, c, n in session.execute(q)}


def classifier_versions(*, session: Session) -> dict[str, int]:
    q = select(col(Classification.model_version), func.count()).group_by(
        col(Classification.model_version)
    )
    return {v: int(n) for v, n in session.execute(q)}


def source_counts(*, session: Session) -> dict[str, int]:
    source = col(Complaint.source)
    q = select(source, func.count()).group_by(source).order_by(source)
    return {s: int(n) for s, n in session.execute(q)}


def quarantine_by_code(*, session: Session) -> dict[str, int]:
    code = col(Quarantine.code)
    q = select(code, func.count()).group_by(code).order_by(code)
    return {c: int(n) for c, n in session.execute(q)}


def complaints_between(
    *, session: Session, start: datetime, end: datetime, limit: int | None = None
) -> list[Complaint]:
    q = (
        select(Complaint)
        .where(col(Complaint.received_at) >= start, col(Complaint.received_at) < end)
        .order_by(col(Complaint.received_at), col(Complaint.id))
    )
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def record_report_run(*, session: Session, run: ReportRun) -> ReportRun:
    session.add(run)
    session.flush()
    return run
