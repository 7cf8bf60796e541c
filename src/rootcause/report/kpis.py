"""The week's scorecard and cause statistics, each a query you could run by hand.

Definitions (printed in the report's appendix):
- needs review: the classifier's confidence was below its review threshold and nobody has
  labelled the complaint yet;
- churn risk: the complaint says the customer is leaving (taxonomy `[churn]` phrases);
- repeat complaint: the same customer (or, without a customer id, the same order) complained
  before within the previous 30 days;
- response and resolution times: medians over this week's complaints that carry the timestamps.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, or_, select
from sqlmodel import Session, col

from rootcause.db import stream_rows
from rootcause.gcpause import paused_gc
from rootcause.models import Classification, Complaint, Label
from rootcause.period import IsoWeek

REPEAT_DAYS = 30
CONTROL_RULE = (
    "control limits: the mean of the earlier weeks in the window ± 3 √mean (a c-chart, i.e. "
    "Poisson counts); a week above the upper limit is flagged"
)


@dataclass(frozen=True)
class Scorecard:
    complaints: int
    classified: int
    needs_review: int
    churn_risk: int
    with_customer: int  # complaints that carry a customer or order id
    repeats: int
    median_first_response_h: float | None
    median_resolution_h: float | None
    timed: int  # complaints with a first-response time

    @property
    def needs_review_share(self) -> float | None:
        return self.needs_review / self.classified if self.classified else None

    @property
    def repeat_rate(self) -> float | None:
        return self.repeats / self.with_customer if self.with_customer else None


def _in_week(week: IsoWeek) -> Any:
    return col(Complaint.week) == str(week)


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def scorecard(*, session: Session, week: IsoWeek) -> Scorecard:
    labelled = select(col(Label.complaint_id))
    unreviewed = and_(
        col(Classification.needs_review), col(Classification.complaint_id).not_in(labelled)
    )
    verdicts = session.execute(
        select(func.count(), _count_if(unreviewed), _count_if(col(Classification.churn_risk)))
        .join(Complaint, col(Complaint.id) == col(Classification.complaint_id))
        .where(_in_week(week))
    ).one()
    total = session.execute(
        select(func.count()).select_from(Complaint).where(_in_week(week))
    ).scalar_one()

    with_customer, repeats = _repeats(session, week)

    times = session.execute(
        select(
            col(Complaint.received_at), col(Complaint.first_response_at), col(Complaint.resolved_at)
        ).where(_in_week(week), col(Complaint.first_response_at).is_not(None))
    ).all()
    first = [(r - t).total_seconds() / 3600 for t, r, _ in times if r >= t]
    resolved = [(s - t).total_seconds() / 3600 for t, _, s in times if s is not None and s >= t]
    return Scorecard(
        complaints=int(total),
        classified=int(verdicts[0]),
        needs_review=int(verdicts[1]),
        churn_risk=int(verdicts[2]),
        with_customer=int(with_customer),
        repeats=int(repeats),
        median_first_response_h=statistics.median(first) if first else None,
        median_resolution_h=statistics.median(resolved) if resolved else None,
        timed=len(first),
    )


def _repeats(session: Session, week: IsoWeek) -> tuple[int, int]:
    """(complaints this week with a customer or order id, those with an earlier complaint by the
    same customer, or order, in the previous REPEAT_DAYS days). The database narrows the rows
    to this week's customers and orders; the 30-day comparison runs here."""
    start = week.start - timedelta(days=REPEAT_DAYS)
    this_week = select(col(Complaint.customer_id)).where(_in_week(week))
    this_orders = select(col(Complaint.order_id)).where(_in_week(week))
    rows = session.execute(
        select(
            col(Complaint.customer_id),
            col(Complaint.order_id),
            col(Complaint.received_at),
        ).where(
            col(Complaint.received_at) >= start,
            col(Complaint.received_at) < week.end,
            or_(
                col(Complaint.customer_id).in_(this_week),
                and_(
                    col(Complaint.customer_id).is_(None), col(Complaint.order_id).in_(this_orders)
                ),
            ),
        )
    ).all()
    history: dict[str, list[Any]] = {}
    for customer, order, at in rows:
        history.setdefault(f"c:{customer}" if customer else f"o:{order}", []).append(at)
    identified = repeats = 0
    for customer, order, at in rows:
        if not (week.start <= at < week.end):
            continue
        identified += 1
        key = f"c:{customer}" if customer else f"o:{order}"
        window = at - timedelta(days=REPEAT_DAYS)
        repeats += any(window <= other < at for other in history[key])
    return identified, repeats


def most_common(counts: Mapping[str, int], top: int | None = None) -> list[tuple[str, int]]:
    """Largest counts first, ties by name. `Counter.most_common` keeps ties in insertion order,
    which follows the database's row order: PostgreSQL's parallel scans vary it between two runs
    on the same data, and so did the bytes of the same week's PDF."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


@dataclass(frozen=True)
class ParetoBar:
    cause: str
    label: str
    count: int
    cumulative_share: float


def pareto(counts: dict[str, int], labels: dict[str, str]) -> list[ParetoBar]:
    """Causes from most to least frequent with the running share (the 80% line reads off it)."""
    total = sum(counts.values())
    out, running = [], 0
    for cause, n in most_common(counts):
        running += n
        out.append(ParetoBar(cause, labels.get(cause, cause), n, running / total if total else 0))
    return out


@dataclass(frozen=True)
class ControlLimits:
    centre: float
    lower: float
    upper: float
    out_of_control: bool  # the last week is above the upper limit


def control_limits(series: Sequence[int]) -> ControlLimits | None:
    """c-chart limits from the weeks before the last one (see CONTROL_RULE)."""
    prior = list(series[:-1])
    if len(prior) < 4:
        return None
    centre = sum(prior) / len(prior)
    spread = 3 * math.sqrt(centre)
    upper = centre + spread
    return ControlLimits(centre, max(0.0, centre - spread), upper, series[-1] > upper)


def confidence_histogram(*, session: Session, week: IsoWeek, bins: int = 10) -> list[int]:
    """How sure the classifier was about this week's complaints, in `bins` equal bins."""
    rows = session.execute(
        select(col(Classification.confidence))
        .join(Complaint, col(Complaint.id) == col(Classification.complaint_id))
        .where(_in_week(week))
    ).scalars()
    counts = [0] * bins
    for confidence in rows:
        counts[min(bins - 1, max(0, int(float(confidence) * bins)))] += 1
    return counts


@dataclass(frozen=True)
class ThemeSplit:
    channels: list[tuple[str, int]]
    products: list[tuple[str, int]]
    rules: list[tuple[str, int]]  # taxonomy rule (pattern) -> complaints where it matched


def theme_split(
    *, session: Session, theme_id: int, weeks: Sequence[str], top: int = 4
) -> ThemeSplit:
    """Where a theme's complaints in the window came from, and which cause rules matched them.

    Evidence is read as text and parsed only when it holds a rule match (about a third of
    verdicts): parsing every verdict's evidence was most of this at a million complaints.
    """
    import json
    from collections import Counter

    from rootcause.models import ThemeAssignment

    q = (
        select(
            col(Complaint.channel), col(Complaint.product), cast(col(Classification.evidence), Text)
        )
        .join(ThemeAssignment, col(ThemeAssignment.complaint_id) == col(Complaint.id))
        .outerjoin(Classification, col(Classification.complaint_id) == col(Complaint.id))
        .where(col(ThemeAssignment.theme_id) == theme_id, col(Complaint.week).in_(list(weeks)))
    )
    channels, products, rules = Counter[str](), Counter[str](), Counter[str]()
    with paused_gc():  # a big theme is 100k rows
        for page in stream_rows(session, q):
            for channel, product, evidence in page:
                channels[channel or "unknown"] += 1
                products[product or "unknown"] += 1
                if evidence and '"rule"' in evidence:
                    found = json.loads(evidence)
                    rules.update({e.get("pattern", "") for e in found if e.get("kind") == "rule"})
    return ThemeSplit(
        most_common(channels, top), most_common(products, top), most_common(rules, top)
    )
