"""The themes engine's window reads and assignment writes, on SQLite and PostgreSQL.

Both take dialect-specific fast paths (the driver's cursor, an in-place upsert on SQLite; COPY
on PostgreSQL), so each is checked against what the plain ORM reads back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from rootcause.db import session_scope
from rootcause.models import Complaint, Embedding, ThemeAssignment, text_digest
from rootcause.period import IsoWeek
from rootcause.themes import queries
from tests.unit.themes.corpus import add_complaints

W40, W41, W42 = (IsoWeek.parse(w) for w in ("2026-W40", "2026-W41", "2026-W42"))
WINDOW = [str(W41), str(W42)]


def _theme(session, label: str) -> int:
    from rootcause.models import Theme

    now = datetime(2026, 12, 1, tzinfo=UTC)
    theme = Theme(label=label, first_seen_week="2026-W41", last_seen_week="2026-W42",
                  created_at=now, updated_at=now)  # fmt: skip
    session.add(theme)
    session.flush()
    assert theme.id is not None
    return theme.id


def _stored(engine) -> dict[int, tuple[int | None, float, str]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(ThemeAssignment)).all()
        return {a.complaint_id: (a.theme_id, a.probability, a.window_end_week) for a in rows}


def test_window_complaints_are_the_window_in_id_order_with_their_digests(engine):
    with session_scope(engine) as session:
        add_complaints(session, W40, ["before the window"])
        ids = add_complaints(session, W41, ["late parcel", "late parcel", "rude driver"])
        ids += add_complaints(session, W42, ["card declined"])
        for complaint in session.scalars(select(Complaint)):
            complaint.text_digest = text_digest(complaint.text_redacted)
    with session_scope(engine) as session:
        window = queries.window_complaints(session=session, weeks=WINDOW)
    assert window.ids == sorted(ids)
    assert window.weeks == ["2026-W41"] * 3 + ["2026-W42"]
    assert window.keys == [
        text_digest(t) for t in ("late parcel", "late parcel", "rude driver", "card declined")
    ]


def test_cached_vector_pages_return_every_stored_vector_of_the_window_once(engine):
    with session_scope(engine) as session:
        outside = add_complaints(session, W40, ["before the window"])
        ids = add_complaints(session, W41, [f"text {i}" for i in range(7)])
        session.add_all(
            Embedding(complaint_id=i, embedder=name, vector=bytes([i % 256]) * 8)
            for i in [*outside, *ids]
            for name in ("e1", "e2")
        )
    with session_scope(engine) as session:
        pages = list(
            queries.cached_vector_pages(session=session, embedder="e1", weeks=WINDOW, page=3)
        )
    assert [len(p[0]) for p in pages] == [3, 3, 1]
    found = {i: v for page_ids, vectors in pages for i, v in zip(page_ids, vectors, strict=True)}
    assert found == {i: bytes([i % 256]) * 8 for i in ids}


def test_replace_assignments_overwrites_the_window_and_leaves_older_weeks(engine):
    with session_scope(engine) as session:
        old = add_complaints(session, W40, ["before the window"])
        kept = add_complaints(session, W41, ["a", "b"])
        a, b = _theme(session, "first"), _theme(session, "second")
        queries.replace_assignments(
            session=session, weeks=[str(W40), str(W41)], week=str(W41),
            assigned_at=datetime(2026, 12, 1, tzinfo=UTC),
            rows=[(old[0], a, 0.5), (kept[0], a, 0.9), (kept[1], None, 0.0)],
        )  # fmt: skip
        new = add_complaints(session, W42, ["c"])
    with session_scope(engine) as session:
        queries.replace_assignments(
            session=session, weeks=WINDOW, week=str(W42),
            assigned_at=datetime(2026, 12, 8, tzinfo=UTC),
            rows=[(kept[0], b, 0.7), (kept[1], a, 0.6), (new[0], None, 0.0)],
        )  # fmt: skip
    assert _stored(engine) == {
        old[0]: (a, 0.5, "2026-W41"),  # outside the new window: the older fit's row stays
        kept[0]: (b, 0.7, "2026-W42"),
        kept[1]: (a, 0.6, "2026-W42"),
        new[0]: (None, 0.0, "2026-W42"),
    }
    with session_scope(engine) as session:
        stamps = {a.complaint_id: a.assigned_at for a in session.scalars(select(ThemeAssignment))}
    assert stamps[kept[0]] == datetime(2026, 12, 8, tzinfo=UTC) == stamps[new[0]]
    assert stamps[old[0]] == datetime(2026, 12, 1, tzinfo=UTC)
