"""Every query the themes engine runs, with a keyword-only `session=` (as in `store.py`).

A window is a list of ISO week strings; complaints are selected by their indexed `week` column,
so the same query serves SQLite and PostgreSQL and never ships thousands of ids as parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, literal, select, update
from sqlmodel import Session, col

from rootcause.db import stream_rows
from rootcause.errors import RootcauseError
from rootcause.gcpause import paused_gc
from rootcause.models import (
    Classification,
    Complaint,
    EmbedderState,
    Embedding,
    Fix,
    Theme,
    ThemeAssignment,
    text_digest,
)
from rootcause.store import insert_ignoring_conflicts, sqlite_time

UNCLASSIFIED = "unclassified"
_INSERT_CHUNK = 2000


class UnknownThemeError(RootcauseError):
    """A theme id that is not in the registry (exit 1, with a hint)."""

    def __init__(self, theme_id: int) -> None:
        self.theme_id = theme_id
        super().__init__(f"no theme with id {theme_id} (list them with `rootcause themes`)")


@dataclass(frozen=True)
class WindowComplaints:
    """The window's complaints without their texts, a list per column, oldest id first: a
    window holds a million of them, so texts are read with `texts_of` only where needed, and
    columns, not an object per complaint: building a million named tuples took 2.1 s of a
    3.4 s window read, splitting the driver's pages into columns takes a tenth of that.

    `keys` are the digests of the redacted texts stored at ingest (`models.text_digest`), the
    text the model sees: equal texts, equal keys, so duplicates are told apart without
    keeping the texts.
    """

    ids: list[int]
    weeks: list[str]
    keys: list[bytes]

    def __len__(self) -> int:
        return len(self.ids)


def window_complaints(*, session: Session, weeks: Sequence[str]) -> WindowComplaints:
    """The window's complaints with the digest stored at ingest: reading and hashing the texts
    instead took mining a 1.2M-complaint window from 41 s to 46 s. A complaint stored without
    one (inserted some other way) is hashed here."""
    q = (
        select(col(Complaint.id), col(Complaint.week), col(Complaint.text_digest))
        .where(col(Complaint.week).in_(list(weeks)))
        .order_by(col(Complaint.id))
    )
    window = WindowComplaints([], [], [])
    with paused_gc():
        for page in stream_rows(session, q):
            ids, weeks_, keys = zip(*page, strict=True)
            window.ids.extend(ids)
            window.weeks.extend(weeks_)
            window.keys.extend(keys)
    missing = [n for n, key in enumerate(window.keys) if key is None]
    if missing:
        texts = texts_of(session=session, ids=[window.ids[n] for n in missing])
        for n, text in zip(missing, texts, strict=True):
            window.keys[n] = text_digest(text)
    return window


def texts_of(*, session: Session, ids: Sequence[int]) -> list[str]:
    """The redacted texts of `ids`, in that order (looked up by primary key, a chunk at a
    time so the IN list stays small)."""
    found: dict[int, str] = {}
    for start in range(0, len(ids), _INSERT_CHUNK):
        chunk = list(ids[start : start + _INSERT_CHUNK])
        q = select(col(Complaint.id), col(Complaint.text_redacted)).where(
            col(Complaint.id).in_(chunk)
        )
        found.update((int(i), t) for i, t in session.execute(q))
    return [found[i] for i in ids]


def cached_vector_pages(
    *, session: Session, embedder: str, weeks: Sequence[str], page: int = 20_000
) -> Iterator[tuple[list[int], list[bytes]]]:
    """Stored vectors of the window's complaints under `embedder`, a page of (ids, vectors) at a
    time: a million of them would not fit comfortably as Python objects at once, and a page is
    decoded with one numpy call instead of one per complaint."""
    # The window's ids as a subquery, not a join: SQLite then walks the vectors' index in id
    # order (1.2M vectors: 2.5 s, against 3.3-4.3 s joined).
    in_window = select(col(Complaint.id)).where(col(Complaint.week).in_(list(weeks)))
    q = select(col(Embedding.complaint_id), col(Embedding.vector)).where(
        col(Embedding.embedder) == embedder, col(Embedding.complaint_id).in_(in_window)
    )
    for part in stream_rows(session, q, page):
        ids, vectors = zip(*part, strict=True)
        yield [int(i) for i in ids], [bytes(v) for v in vectors]


def store_vectors(*, session: Session, embedder: str, vectors: Iterable[tuple[int, bytes]]) -> None:
    """Cache vectors; one already stored (by a concurrent run) is kept as it is."""
    rows = [{"complaint_id": i, "embedder": embedder, "vector": v} for i, v in vectors]
    stmt = insert_ignoring_conflicts(session, Embedding)
    for start in range(0, len(rows), _INSERT_CHUNK):
        session.execute(stmt, rows[start : start + _INSERT_CHUNK])


def drop_vectors_of_other_embedders(*, session: Session, kind_prefix: str, keep: str) -> int:
    """Forget vectors of superseded embedders of one kind (they can never be used again)."""
    result: Any = session.execute(
        delete(Embedding).where(
            col(Embedding.embedder).startswith(kind_prefix), col(Embedding.embedder) != keep
        )
    )
    return int(result.rowcount or 0)


def latest_embedder_state(
    *, session: Session, kind: str, params: dict[str, Any]
) -> EmbedderState | None:
    """The newest stored embedder of `kind` fitted with the same parameters, if any."""
    q = (
        select(EmbedderState)
        .where(col(EmbedderState.kind) == kind)
        .order_by(col(EmbedderState.created_at).desc(), col(EmbedderState.id))
    )
    for state in session.scalars(q):
        if state.params == params:
            return state
    return None


def save_embedder_state(*, session: Session, state: EmbedderState) -> None:
    if session.get(EmbedderState, state.id) is None:
        session.add(state)
        session.flush()


def all_themes(*, session: Session, lock: bool = False) -> list[Theme]:
    """Every registered theme, merged ones included, by id. `lock` serialises two miners on
    PostgreSQL (SELECT ... FOR UPDATE); SQLite's single writer needs no lock."""
    q = select(Theme).order_by(col(Theme.id))
    if lock and session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return list(session.scalars(q))


def get_theme(*, session: Session, theme_id: int) -> Theme:
    theme = session.get(Theme, theme_id)
    if theme is None:
        raise UnknownThemeError(theme_id)
    return theme


def window_members(
    *, session: Session, weeks: Sequence[str], theme_ids: Sequence[int | None] | None = None
) -> dict[int, int]:
    """complaint id -> theme id of the window's complaints as the last fit assigned them (only
    those of `theme_ids` when given)."""
    q = (
        select(col(ThemeAssignment.complaint_id), col(ThemeAssignment.theme_id))
        .join(Complaint, col(Complaint.id) == col(ThemeAssignment.complaint_id))
        .where(col(Complaint.week).in_(list(weeks)), col(ThemeAssignment.theme_id).is_not(None))
    )
    if theme_ids is not None:
        q = q.where(col(ThemeAssignment.theme_id).in_([t for t in theme_ids if t is not None]))
    return {int(c): int(t) for c, t in session.execute(q)}


def replace_assignments(
    *,
    session: Session,
    weeks: Sequence[str],
    week: str,
    assigned_at: datetime,
    rows: Sequence[tuple[int, int | None, float]],
) -> None:
    """One assignment per window complaint, (complaint id, theme id or None, probability), by
    the fit for `week`: the previous fit's rows for them are replaced. `rows` must cover every
    complaint of the window (the miner's do). Rows are plain tuples, not a dict each: a window
    is a million of them."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and rows:
        # Overwritten in place, not deleted and inserted again: on a 1.2M-complaint window the
        # delete and re-insert took 10.7 s, this 5.4 s (the rows' B-tree pages are rewritten
        # once, and no foreign key is checked again for a complaint that keeps its row).
        stamp = sqlite_time(assigned_at)
        values = [(c, t, p, week, stamp) for c, t, p in rows]
        session.connection().exec_driver_sql(_SQLITE_UPSERT, values)
        return
    in_window = select(col(Complaint.id)).where(col(Complaint.week).in_(list(weeks)))
    session.execute(delete(ThemeAssignment).where(col(ThemeAssignment.complaint_id).in_(in_window)))
    if dialect == "postgresql" and rows:
        # Straight to the driver (COPY) instead of SQLAlchemy's per-row parameter processing.
        copied = ((c, t, p, week, assigned_at) for c, t, p in rows)
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(f"COPY themeassignment ({_ASSIGN_COLUMNS}) FROM STDIN") as copy:
            for value in copied:
                copy.write_row(value)
        return
    table = ThemeAssignment.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), _INSERT_CHUNK):
        chunk = [
            {"complaint_id": c, "theme_id": t, "probability": p, "window_end_week": week,
             "assigned_at": assigned_at}
            for c, t, p in rows[start : start + _INSERT_CHUNK]
        ]  # fmt: skip
        session.execute(table.insert(), chunk)


_ASSIGN_COLUMNS = "complaint_id, theme_id, probability, window_end_week, assigned_at"
_SQLITE_UPSERT = (
    f"INSERT INTO themeassignment ({_ASSIGN_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (complaint_id) DO UPDATE SET theme_id = excluded.theme_id, "
    "probability = excluded.probability, window_end_week = excluded.window_end_week, "
    "assigned_at = excluded.assigned_at"
)


def window_is_mined(*, session: Session, week: str, weeks: Sequence[str]) -> bool:
    """True when every complaint of the window is assigned by a fit for exactly this window.

    False after new complaints arrived in the window, or after another week was mined since
    (assignments hold the latest fit that covered each complaint).
    """
    in_window = select(func.count()).where(col(Complaint.week).in_(list(weeks)))
    total = int(session.scalar(in_window.select_from(Complaint)) or 0)
    assigned = session.scalar(
        select(func.count())
        .select_from(ThemeAssignment)
        .join(Complaint, col(Complaint.id) == col(ThemeAssignment.complaint_id))
        .where(
            col(Complaint.week).in_(list(weeks)),
            col(ThemeAssignment.window_end_week) == week,
        )
    )
    return is_mined(total, int(assigned or 0))


def is_mined(window_complaints: int, assigned_by_this_fit: int) -> bool:
    """The window is mined when it has complaints and the fit for its last week assigned every
    one of them (the rule `window_is_mined` and `week_summary` share)."""
    return window_complaints > 0 and assigned_by_this_fit == window_complaints


def complaints_per_week(*, session: Session, weeks: Sequence[str]) -> dict[str, int]:
    q = (
        select(col(Complaint.week), func.count())
        .where(col(Complaint.week).in_(list(weeks)))
        .group_by(col(Complaint.week))
    )
    return {w: int(n) for w, n in session.execute(q)}


@dataclass(frozen=True)
class WindowTally:
    """The window's assignments counted once: per (theme or None, week), per (theme, cause), and
    how many were assigned by the fit for `week` (for `window_is_mined`'s test).

    `week_causes` counts the classified ones per (week, effective cause), as
    `store.weekly_cause_counts` does: for a mined window (every complaint assigned) the two
    are equal, and the report takes them from here instead of a second pass over the window.
    """

    weekly: dict[tuple[int | None, str], int]
    causes: dict[tuple[int, str], int]
    assigned_now: int
    week_causes: dict[tuple[str, str], int] = field(default_factory=dict)


def window_tally(
    *, session: Session, weeks: Sequence[str], week: str, causes: bool = True
) -> WindowTally:
    """One grouped pass over the window's assignments (each of the three figures had been its
    own pass over a million rows); with `causes=False` the cause mix stays empty and the
    verdict and label tables are not joined.

    The effective cause is the newest human label, else the classifier's verdict (the rule in
    `store.weekly_cause_counts`); complaints not yet classified count as 'unclassified'.
    """
    from rootcause.store import human_causes  # the one definition of "newest label wins"

    now = case((col(ThemeAssignment.window_end_week) == week, 1), else_=0)
    if causes:
        human = human_causes()
        cause: Any = func.coalesce(human.c.cause, col(Classification.cause), UNCLASSIFIED)
        classified: Any = case((col(Classification.complaint_id).is_(None), 0), else_=1)
    else:
        cause, classified = literal(UNCLASSIFIED), literal(0)
    q = (
        select(
            col(ThemeAssignment.theme_id), col(Complaint.week), cause, classified, now, func.count()
        )
        .join(Complaint, col(Complaint.id) == col(ThemeAssignment.complaint_id))
        .where(col(Complaint.week).in_(list(weeks)))
    )
    if causes:
        q = q.outerjoin(
            Classification, col(Classification.complaint_id) == col(Complaint.id)
        ).outerjoin(human, human.c.complaint_id == col(Complaint.id))
        q = q.group_by(col(ThemeAssignment.theme_id), col(Complaint.week), cause, classified, now)
    else:
        q = q.group_by(col(ThemeAssignment.theme_id), col(Complaint.week), now)
    weekly: dict[tuple[int | None, str], int] = {}
    mix: dict[tuple[int, str], int] = {}
    week_causes: dict[tuple[str, str], int] = {}
    assigned_now = 0
    for theme, complaint_week, verdict, has_verdict, current, n in session.execute(q):
        key = None if theme is None else int(theme)
        weekly[(key, complaint_week)] = weekly.get((key, complaint_week), 0) + int(n)
        if key is not None and causes:
            mix[(key, verdict)] = mix.get((key, verdict), 0) + int(n)
        if has_verdict:
            week_causes[(complaint_week, verdict)] = week_causes.get(
                (complaint_week, verdict), 0
            ) + int(n)
        assigned_now += int(n) if current else 0
    return WindowTally(weekly, mix, assigned_now, week_causes)


@dataclass(frozen=True)
class Representative:
    complaint_id: int
    week: str
    text: str
    similarity: float


def representatives(
    *,
    session: Session,
    theme_ids: Sequence[int],
    weeks: Sequence[str],
    limit: int,
    mined_for: str | None = None,
) -> dict[int, list[Representative]]:
    """Each theme's most central complaints in the window (closest to its centre), distinct
    texts only; ties by complaint id.

    Asked per theme with a LIMIT, widened only when duplicates fill it, so the database keeps
    just the best rows while it sorts and no other complaint's text is read: reading every
    window complaint's text to pick three per theme took seconds at a million complaints.

    `mined_for`: the window's week, when the window is mined (`is_mined`). Its assignments are
    then exactly those the fit for that week wrote, so they are found by that mark and only
    the chosen few complaints are read; telling the window by each complaint's week read
    every complaint row of the theme (3.4 s of a report at a 1.2M-complaint window).
    """
    out: dict[int, list[Representative]] = {}
    for theme_id in theme_ids:
        fetch = max(1, limit) * 4
        while True:
            rows = session.execute(_central(theme_id, weeks, mined_for, fetch)).all()
            chosen: list[Representative] = []
            seen: set[str] = set()
            for cid, week, text, probability in rows:
                if len(chosen) < limit and text not in seen:
                    seen.add(text)
                    chosen.append(Representative(int(cid), week, text, float(probability)))
            if len(chosen) >= limit or len(rows) < fetch:
                break
            fetch *= 8
        out[theme_id] = chosen
    return out


def _central(theme_id: int, weeks: Sequence[str], mined_for: str | None, fetch: int) -> Any:
    """The `fetch` complaints of a theme closest to its centre: (id, week, text, similarity)."""
    columns = (col(Complaint.id), col(Complaint.week), col(Complaint.text_redacted))
    if mined_for is None:
        return (
            select(*columns, col(ThemeAssignment.probability))
            .join(Complaint, col(Complaint.id) == col(ThemeAssignment.complaint_id))
            .where(col(ThemeAssignment.theme_id) == theme_id, col(Complaint.week).in_(list(weeks)))
            .order_by(col(ThemeAssignment.probability).desc(), col(Complaint.id))
            .limit(fetch)
        )
    top = (
        select(col(ThemeAssignment.complaint_id), col(ThemeAssignment.probability))
        .where(
            col(ThemeAssignment.theme_id) == theme_id,
            col(ThemeAssignment.window_end_week) == mined_for,
        )
        .order_by(col(ThemeAssignment.probability).desc(), col(ThemeAssignment.complaint_id))
        .limit(fetch)
        .subquery()
    )
    return (
        select(*columns, top.c.probability)
        .join(top, top.c.complaint_id == col(Complaint.id))
        .order_by(top.c.probability.desc(), col(Complaint.id))
    )


def latest_mined_week(*, session: Session) -> str | None:
    return session.scalar(select(func.max(col(ThemeAssignment.window_end_week))))


def move_theme(*, session: Session, source: int, target: int, now: datetime) -> None:
    """Point everything that referred to `source` at `target`: assignments, fixes, merges."""
    session.execute(
        update(ThemeAssignment)
        .where(col(ThemeAssignment.theme_id) == source)
        .values(theme_id=target, assigned_at=now)
    )
    session.execute(update(Fix).where(col(Fix.theme_id) == source).values(theme_id=target))
    session.execute(
        update(Theme)
        .where(col(Theme.merged_into_id) == source)
        .values(merged_into_id=target, updated_at=now)
    )
