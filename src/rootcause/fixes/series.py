"""The weekly numbers a fix is judged on: its theme's or cause's complaints, and the exposure.

A theme's complaints are those the latest fit assigned to it (`themeassignment`, by
`complaint.week`); a cause's are those whose effective cause it is (the newest human label, else
the classifier: `store.weekly_cause_counts`). Every week of the range is present, empty ones as 0.

`covered` counts the complaints that could have been counted that week (assigned to some theme
or none, or classified): it is the exposure the effect is measured on, so a week that was only
half classified, or outside every mined window, does not look like a drop. Once the pipeline
has run, it equals the week's total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from rootcause import store
from rootcause.models import Classification, Complaint, ThemeAssignment
from rootcause.period import IsoWeek


@dataclass(frozen=True)
class WeeklySeries:
    """Counts per week, oldest first; `label` names what is counted, for sentences."""

    weeks: tuple[IsoWeek, ...]
    counts: tuple[int, ...]
    covered: tuple[int, ...]
    totals: tuple[int, ...]
    label: str


def week_range(first: IsoWeek, last: IsoWeek) -> list[IsoWeek]:
    """Every ISO week from `first` to `last`, inclusive."""
    weeks: list[IsoWeek] = []
    week = first
    while week <= last:
        weeks.append(week)
        week = week.shift(1)
    return weeks


def _filled(found: dict[str, int], weeks: Sequence[str]) -> dict[str, int]:
    return {w: int(found.get(w, 0)) for w in weeks}


def weekly_totals(*, session: Session, weeks: Sequence[str]) -> dict[str, int]:
    """All complaints per week."""
    q = (
        select(col(Complaint.week), func.count())
        .where(col(Complaint.week).in_(list(weeks)))
        .group_by(col(Complaint.week))
    )
    return _filled({w: int(n) for w, n in session.execute(q)}, weeks)


def theme_counts(
    *, session: Session, theme_ids: Sequence[int], weeks: Sequence[str], cause: str | None = None
) -> dict[str, int]:
    """Complaints per week in any of the themes (a complaint has one theme, so none is counted
    twice); with `cause`, only those whose effective cause it is."""
    q = (
        select(col(Complaint.week), func.count())
        .join(ThemeAssignment, col(ThemeAssignment.complaint_id) == col(Complaint.id))
        .where(
            col(Complaint.week).in_(list(weeks)),
            col(ThemeAssignment.theme_id).in_(list(theme_ids)),
        )
        .group_by(col(Complaint.week))
    )
    if cause is not None:
        human = store.human_causes()
        effective = func.coalesce(human.c.cause, col(Classification.cause))
        q = (
            q.join(Classification, col(Classification.complaint_id) == col(Complaint.id))
            .outerjoin(human, human.c.complaint_id == col(Complaint.id))
            .where(effective == cause)
        )
    return _filled({w: int(n) for w, n in session.execute(q)}, weeks)


def cause_counts(*, session: Session, cause: str, weeks: Sequence[str]) -> dict[str, int]:
    """Complaints per week whose effective cause (human label over model) is `cause`."""
    found = store.weekly_cause_counts(session=session, weeks=weeks)
    return _filled({w: n for (w, c), n in found.items() if c == cause}, weeks)


def theme_coverage(*, session: Session, weeks: Sequence[str]) -> dict[str, int]:
    """Complaints per week that a theme fit looked at (assigned to a theme or left out)."""
    q = (
        select(col(Complaint.week), func.count())
        .join(ThemeAssignment, col(ThemeAssignment.complaint_id) == col(Complaint.id))
        .where(col(Complaint.week).in_(list(weeks)))
        .group_by(col(Complaint.week))
    )
    return _filled({w: int(n) for w, n in session.execute(q)}, weeks)


def cause_coverage(*, session: Session, weeks: Sequence[str]) -> dict[str, int]:
    """Classified complaints per week."""
    found = store.weekly_cause_counts(session=session, weeks=weeks)
    out: dict[str, int] = {}
    for (w, _), n in found.items():
        out[w] = out.get(w, 0) + n
    return _filled(out, weeks)


def linked_series(
    *,
    session: Session,
    weeks: Sequence[IsoWeek],
    theme_ids: Sequence[int] = (),
    cause: str | None = None,
    label: str = "linked complaints",
) -> WeeklySeries:
    """The weekly series of a fix's themes and/or cause over `weeks`, with its exposure."""
    names = [str(w) for w in weeks]
    if theme_ids:
        counts = theme_counts(session=session, theme_ids=theme_ids, weeks=names, cause=cause)
        covered = theme_coverage(session=session, weeks=names)
        if cause is not None:  # both: the theme's share of what was both mined and classified
            classified = cause_coverage(session=session, weeks=names)
            covered = {w: min(covered[w], classified[w]) for w in names}
    elif cause is not None:
        counts = cause_counts(session=session, cause=cause, weeks=names)
        covered = cause_coverage(session=session, weeks=names)
    else:
        raise ValueError("a series needs a theme or a cause")
    totals = weekly_totals(session=session, weeks=names)
    return WeeklySeries(
        weeks=tuple(weeks),
        counts=tuple(counts[w] for w in names),
        covered=tuple(covered[w] for w in names),
        totals=tuple(totals[w] for w in names),
        label=label,
    )
