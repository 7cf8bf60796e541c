"""Queries in store.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from rootcause import store
from rootcause.db import session_scope
from rootcause.models import Classification, Complaint, text_digest

WHEN = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


def _complaint(n: int, text: str) -> Complaint:
    return Complaint(
        source="t",
        external_id=str(n),
        text_original=text,
        text_redacted=text,
        text_hash=f"h{n}",
        received_at=WHEN,
        week="2026-W47",
        channel="email",
        ingested_at=WHEN,
    )


def test_store_newest_human_label_wins_over_the_model(engine):
    with session_scope(engine) as session:
        a, b = _complaint(1, "late refund"), _complaint(2, "wrong size")
        session.add_all([a, b])
        session.flush()
        for c, cause in ((a, "process_gap"), (b, "other")):
            session.add(
                Classification(
                    complaint_id=c.id,
                    cause=cause,
                    confidence=0.9,
                    model_version="m",
                    taxonomy_version="t",
                    classified_at=WHEN,
                )
            )
        store.add_label(session=session, complaint_id=b.id, cause="agent_error", author="x")
        store.add_label(session=session, complaint_id=b.id, cause="order_mixup", author="y")
    with session_scope(engine) as session:
        counts = store.weekly_cause_counts(session=session, weeks=["2026-W47"])
        texts = store.labelled_texts(session=session)
        pending = store.pending_complaints(session=session, limit=10)
    assert counts == {("2026-W47", "process_gap"): 1, ("2026-W47", "order_mixup"): 1}
    assert texts == [("wrong size", "order_mixup")]
    assert pending == []


def test_store_pending_complaints_oldest_first_and_limited(engine):
    with session_scope(engine) as session:
        session.add_all([_complaint(n, f"text {n}") for n in range(5)])
    with session_scope(engine) as session:
        first = store.pending_complaints(session=session, limit=3)
    assert [t for _, t in first] == ["text 0", "text 1", "text 2"]


def _row(n: int, key: str, text: str) -> dict[str, object]:
    c = _complaint(n, text)
    return {
        **c.model_dump(exclude={"id"}), "external_id": key, "text_hash": f"h-{text}",
        "text_digest": text_digest(text),
    }  # fmt: skip


def test_store_insert_complaints_counts_new_rows_and_first_of_a_clash_wins(engine):
    """One bulk path per database (COPY via a staging table on PostgreSQL, executemany on
    SQLite), one meaning: the unique keys decide, and within a batch the earlier row wins."""
    batch = [_row(1, "a", "first"), _row(2, "b", "second"), _row(3, "a", "clashes with a")]
    with session_scope(engine) as session:
        assert store.insert_complaints(session=session, rows=batch) == 2
    with session_scope(engine) as session:  # again, plus one new: only the new one goes in
        assert store.insert_complaints(session=session, rows=[*batch, _row(4, "d", "new")]) == 1
        stored = {c.external_id: c for c in session.scalars(select(Complaint))}
    assert {k: c.text_redacted for k, c in stored.items()} == {
        "a": "first",
        "b": "second",
        "d": "new",
    }
    assert all(c.received_at == WHEN and c.ingested_at == WHEN for c in stored.values())
    assert {k: c.text_digest for k, c in stored.items()} == {
        k: text_digest(c.text_redacted) for k, c in stored.items()
    }


def test_store_pending_complaints_start_past_an_id(engine):
    with session_scope(engine) as session:
        session.add_all([_complaint(n, f"text {n}") for n in range(5)])
    with session_scope(engine) as session:
        first = store.pending_complaints(session=session, limit=2)
        rest = store.pending_complaints(session=session, limit=10, after=first[-1][0])
    assert [t for _, t in first] == ["text 0", "text 1"]
    assert [t for _, t in rest] == ["text 2", "text 3", "text 4"]


def test_store_window_complaints_hash_a_text_stored_without_its_digest(engine):
    # Complaints added outside ingest (here through the ORM) have no digest; the themes' window
    # query hashes their text instead, so equal texts still share a key.
    from rootcause.themes.queries import window_complaints

    with session_scope(engine) as session:
        session.add_all([_complaint(1, "same words"), _complaint(2, "same words")])
        third = _complaint(3, "other words")
        third.text_digest = b"x" * 16
        session.add(third)
    with session_scope(engine) as session:
        rows = window_complaints(session=session, weeks=["2026-W47"])
    assert rows.keys == [text_digest("same words")] * 2 + [b"x" * 16]
