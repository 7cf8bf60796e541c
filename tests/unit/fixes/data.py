"""Build the rows the fix register reads: complaints per week, their causes and themes."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session

from rootcause.models import Classification, Complaint, Theme, ThemeAssignment
from rootcause.period import IsoWeek

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
_ids = itertools.count(1)


def add_theme(session: Session, label: str, first_seen: str = "2026-W20") -> int:
    theme = Theme(
        label=label,
        first_seen_week=first_seen,
        last_seen_week=first_seen,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(theme)
    session.flush()
    assert theme.id is not None
    return theme.id


def add_complaints(
    session: Session,
    week: IsoWeek,
    n: int,
    *,
    cause: str | None = "other",
    theme_id: int | None = None,
    mined: bool = True,
) -> list[int]:
    """`n` complaints received in `week`, classified as `cause` (None: not yet) and, when
    `mined`, assigned to `theme_id` (None: the fit left them out)."""
    rows = []
    for i in range(n):
        key = f"c{next(_ids)}"
        rows.append(
            Complaint(
                source="test",
                external_id=key,
                text_original=key,
                text_redacted=key,
                text_hash=key,
                received_at=week.start + timedelta(hours=1 + i % 100),
                week=str(week),
                ingested_at=NOW,
            )
        )
    session.add_all(rows)
    session.flush()
    ids = [int(c.id) for c in rows if c.id is not None]
    if ids and cause is not None:
        session.execute(insert(Classification), [
            {"complaint_id": i, "cause": cause, "confidence": 0.9, "scores": {}, "secondary": [],
             "evidence": [], "model_version": "m", "taxonomy_version": "t", "classified_at": NOW}
            for i in ids
        ])  # fmt: skip
    if ids and mined:
        session.execute(insert(ThemeAssignment), [
            {"complaint_id": i, "theme_id": theme_id, "probability": 0.8,
             "window_end_week": str(week), "assigned_at": NOW}
            for i in ids
        ])  # fmt: skip
    return ids


def add_series(
    session: Session,
    first: IsoWeek,
    linked: Sequence[int],
    totals: Sequence[int],
    *,
    cause: str = "order_mixup",
    theme_id: int | None = None,
) -> None:
    """Week i from `first` gets linked[i] complaints of `cause` (in `theme_id`) and
    totals[i] - linked[i] others."""
    for i, (n, total) in enumerate(zip(linked, totals, strict=True)):
        week = first.shift(i)
        add_complaints(session, week, n, cause=cause, theme_id=theme_id)
        add_complaints(session, week, total - n, cause="other")
