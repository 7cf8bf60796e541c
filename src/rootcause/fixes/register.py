"""The fix register as the report and the CLI read it: who owns what, what is overdue, and
whether each shipped fix worked. Also the one write the weekly run makes on its own: a verified
fix whose problem came back is reopened (actor "rootcause").

Everything here takes a week: verdicts use the data up to the end of that week, and a fix is
overdue when its due date is before that week's Sunday (or the `today` given).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from rootcause.db import session_scope
from rootcause.fixes import effect as fx
from rootcause.fixes.criterion import parse_criterion
from rootcause.fixes.lifecycle import (
    MEASURED,
    OPEN_STATUSES,
    SYSTEM_ACTOR,
    is_overdue,
    linked_themes,
    update_fix,
    verified_at,
)
from rootcause.fixes.series import linked_series, week_range
from rootcause.models import Fix, FixStatus, Theme
from rootcause.period import IsoWeek

PER_COMPLAINTS = 100
PER_ORDERS = 10_000


@contextmanager
def _session(source: Session | Engine) -> Iterator[Session]:
    if isinstance(source, Session):
        yield source
    else:
        with session_scope(source) as session:
            yield session


@dataclass(frozen=True)
class FixRow:
    """One fix in the register. `verdict` is None until it ships (see `effect.Verdict`)."""

    id: int
    title: str
    description: str
    owner: str
    status: str
    theme_id: int | None
    theme_label: str | None
    extra_themes: tuple[tuple[int, str], ...]  # (id, label) of themes measured with the main one
    cause: str | None
    criterion: str
    due: date | None
    shipped: date | None
    overdue: bool
    days_overdue: int
    verdict: str | None
    explanation: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def themes(self) -> list[tuple[int, str]]:
        main = [(self.theme_id, self.theme_label or "")] if self.theme_id is not None else []
        return [*main, *self.extra_themes]

    @property
    def subject(self) -> str:
        """What the fix is measured on, for sentences."""
        return subject_of(self.themes, self.cause)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("due", "shipped", "created_at", "updated_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        data["extra_themes"] = [{"id": i, "label": label} for i, label in self.extra_themes]
        data["subject"] = self.subject
        return data


@dataclass(frozen=True)
class SeriesPoint:
    """One week of a fix's chart; `period` is before, ship, after or outside (not used)."""

    week: str
    count: int
    exposure: float
    total: int
    rate: float | None
    period: str


@dataclass(frozen=True)
class FixEffect:
    fix: FixRow
    effect: fx.Effect
    series: tuple[SeriesPoint, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "fix": self.fix.as_dict(),
            "effect": self.effect.as_dict(),
            "series": [asdict(p) for p in self.series],
        }


def subject_of(themes: Sequence[tuple[int, str]], cause: str | None) -> str:
    """'complaints in theme 3 "missing item"', 'order_mixup complaints', and the like."""
    named = ", ".join(f'{i} "{label}"' for i, label in themes)
    where = f"theme{'s' if len(themes) > 1 else ''} {named}" if themes else ""
    if where and cause:
        return f"{cause} complaints in {where}"
    return f"complaints in {where}" if where else f"{cause} complaints"


def _theme_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    q = select(col(Theme.id), col(Theme.label)).where(col(Theme.id).in_(list(ids)))
    return {int(i): label for i, label in session.execute(q)}


def _linked(session: Session, fix: Fix) -> tuple[list[tuple[int, str]], str]:
    """The fix's themes with their labels, and what it is measured on, for sentences."""
    ids = linked_themes(session=session, fix=fix)
    labels = _theme_labels(session, ids)
    themes = [(i, labels.get(i, "")) for i in ids]
    return themes, subject_of(themes, fix.cause)


def _row(
    fix: Fix, themes: Sequence[tuple[int, str]], today: date, effect: fx.Effect | None
) -> FixRow:
    assert fix.id is not None
    overdue = is_overdue(fix, today)
    return FixRow(
        id=fix.id,
        title=fix.title,
        description=fix.description,
        owner=fix.owner,
        status=fix.status,
        theme_id=fix.theme_id,
        theme_label=themes[0][1] if themes else None,
        extra_themes=tuple(themes[1:]),
        cause=fix.cause,
        criterion=fix.success_criterion,
        due=fix.due,
        shipped=fix.shipped,
        overdue=overdue,
        days_overdue=(today - fix.due).days if overdue and fix.due else 0,
        verdict=effect.verdict.value if effect else None,
        explanation=effect.explanation if effect else None,
        created_at=fix.created_at,
        updated_at=fix.updated_at,
    )


def _period(week: IsoWeek, ship: IsoWeek, today: IsoWeek, exposure: float) -> str:
    if exposure <= 0 or week > today or week < ship.shift(-fx.BEFORE_WEEKS):
        return "outside"
    return "before" if week < ship else "ship" if week == ship else "after"


def _measure(
    session: Session,
    fix: Fix,
    linked: tuple[list[tuple[int, str]], str],
    week: IsoWeek,
    orders: Mapping[str, float] | None,
) -> tuple[fx.Effect, tuple[SeriesPoint, ...]] | None:
    if fix.shipped is None or FixStatus(fix.status) not in MEASURED:
        return None
    ship = IsoWeek.of(fix.shipped)
    if ship > week:
        return None
    weeks = week_range(ship.shift(-fx.BEFORE_WEEKS), week)
    themes, subject = linked
    series = linked_series(
        session=session,
        weeks=weeks,
        theme_ids=[i for i, _ in themes],
        cause=fix.cause,
        label=subject,
    )
    if orders is None:
        orders = _imported_orders(session, series.weeks, series.covered)
    unit, per = ("orders", PER_ORDERS) if orders is not None else ("complaints", PER_COMPLAINTS)
    points: list[fx.WeekPoint] = []
    chart: list[SeriesPoint] = []
    for w, count, covered, total in zip(
        series.weeks, series.counts, series.covered, series.totals, strict=True
    ):
        exposure = float(covered if orders is None else orders.get(str(w), 0.0) if covered else 0)
        points.append(fx.WeekPoint(w, count, exposure))
        rate = count / exposure if exposure > 0 else None
        chart.append(
            SeriesPoint(str(w), count, exposure, total, rate, _period(w, ship, week, exposure))
        )
    effect = fx.assess_effect(
        points,
        ship_week=ship,
        criterion=parse_criterion(fix.success_criterion),
        today=week,
        subject=subject,
        unit=unit,
        per=per,
    )
    first = next((i for i, p in enumerate(chart) if p.total > 0), len(chart))
    return effect, tuple(chart[first:])  # the chart starts where the data do


def _imported_orders(
    session: Session, weeks: Sequence[IsoWeek], covered: Sequence[int]
) -> dict[str, float] | None:
    """Orders from `rootcause volumes import` when every week with complaints has them; a
    partial series would mix two kinds of rate, so then the rate stays per complaint."""
    from rootcause.volumes import weekly_totals

    names = [str(w) for w, n in zip(weeks, covered, strict=True) if n]
    totals = weekly_totals(session=session, weeks=names)
    orders = {w: float(o) for w, (_, o) in totals.items() if o > 0}
    return orders if names and all(w in orders for w in names) else None


def _fixes(session: Session, statuses: Sequence[str] | None, owner: str | None) -> list[Fix]:
    q = select(Fix).order_by(col(Fix.id))
    if statuses is not None:
        q = q.where(col(Fix.status).in_(list(statuses)))
    fixes = list(session.scalars(q))
    if owner is not None:
        fixes = [f for f in fixes if f.owner.casefold() == owner.strip().casefold()]
    return fixes


def fix_register(
    source: Session | Engine,
    week: IsoWeek,
    *,
    today: date | None = None,
    statuses: Sequence[str] | None = None,
    owner: str | None = None,
    include_closed: bool = False,
    orders: Mapping[str, float] | None = None,
) -> list[FixRow]:
    """Fixes by owner and status with their verdicts as of `week`, overdue ones first (most
    overdue first), then by due date. Open fixes only unless `include_closed` or `statuses`."""
    today = today or week.sunday
    if statuses is None and not include_closed:
        statuses = sorted(s.value for s in OPEN_STATUSES)
    with _session(source) as session:
        rows = []
        for fix in _fixes(session, statuses, owner):
            linked = _linked(session, fix)
            measured = _measure(session, fix, linked, week, orders)
            rows.append(_row(fix, linked[0], today, measured[0] if measured else None))
    return sorted(rows, key=lambda r: (not r.overdue, -r.days_overdue, r.due or date.max, r.id))


def fix_effects(
    source: Session | Engine,
    week: IsoWeek,
    *,
    orders: Mapping[str, float] | None = None,
    fix_ids: Sequence[int] | None = None,
) -> list[FixEffect]:
    """Every shipped fix (shipped, verified, ineffective, reopened) with its verdict, the
    figures, and the weekly series around the ship week for a chart. `orders` (week -> orders)
    makes the rate per 10,000 orders instead of per 100 complaints."""
    with _session(source) as session:
        fixes = [f for f in _fixes(session, None, None) if fix_ids is None or f.id in fix_ids]
        out = []
        for fix in fixes:
            linked = _linked(session, fix)
            measured = _measure(session, fix, linked, week, orders)
            if measured is not None:
                effect, chart = measured
                out.append(FixEffect(_row(fix, linked[0], week.sunday, effect), effect, chart))
    return out


def fix_row(session: Session, fix: Fix, week: IsoWeek, *, today: date | None = None) -> FixRow:
    """One fix as a register row (with its verdict as of `week`)."""
    linked = _linked(session, fix)
    measured = _measure(session, fix, linked, week, None)
    return _row(fix, linked[0], today or week.sunday, measured[0] if measured else None)


@dataclass(frozen=True)
class Reopened:
    fix_id: int
    title: str
    recurrence: fx.Recurrence


def reopen_recurring(
    engine: Engine, week: IsoWeek, *, actor: str = SYSTEM_ACTOR, now: datetime | None = None
) -> list[Reopened]:
    """Reopen every verified fix whose problem came back by `week` (`effect.RECURRENCE_RULE`),
    with an event that keeps the figures. Returns the fixes it reopened."""
    reopened: list[Reopened] = []
    with session_scope(engine) as session:
        for fix in _fixes(session, [FixStatus.verified.value], None):
            assert fix.id is not None
            when = verified_at(session=session, fix_id=fix.id)
            if fix.shipped is None or when is None:
                continue
            ship, verified = IsoWeek.of(fix.shipped), IsoWeek.of(when)
            themes, subject = _linked(session, fix)
            series = linked_series(
                session=session,
                weeks=week_range(ship.shift(-fx.BEFORE_WEEKS), week),
                theme_ids=[i for i, _ in themes],
                cause=fix.cause,
            )
            points = [
                fx.WeekPoint(w, n, float(c))
                for w, n, c in zip(series.weeks, series.counts, series.covered, strict=True)
            ]
            found = fx.check_recurrence(
                points, ship_week=ship, verified_week=verified, today=week, subject=subject
            )
            if found.recurred:
                update_fix(
                    session=session,
                    fix_id=fix.id,
                    changes={"status": FixStatus.reopened.value},
                    actor=actor,
                    note=found.explanation,
                    extra={"reason": "recurrence", "recurrence": found.as_dict()},
                    now=now,
                )
                reopened.append(Reopened(fix.id, fix.title, found))
    return reopened
