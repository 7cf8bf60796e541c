"""The numbers a weekly report shows, gathered by plain queries into plain dataclasses.

Templates only lay these out; nothing in a template computes a figure, so every number in the
PDF can be traced to one function here and the query behind it in `store.py`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from rootcause import store
from rootcause.models import (
    Classification,
    Complaint,
    Fix,
    IngestRun,
    Label,
    Quarantine,
    Theme,
    ThemeAssignment,
)
from rootcause.period import IsoWeek
from rootcause.report import kpis
from rootcause.taxonomy import Taxonomy
from rootcause.volumes import weekly_totals


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    this_week: int
    last_week: int
    trend: list[int]

    @property
    def change(self) -> int:
        return self.this_week - self.last_week

    @property
    def change_pct(self) -> float | None:
        return None if self.last_week == 0 else 100.0 * self.change / self.last_week


@dataclass(frozen=True)
class CauseRow:
    cause: str
    label: str
    owner: str
    this_week: int
    last_week: int
    share: float  # of this week's classified complaints

    @property
    def change(self) -> int:
        return self.this_week - self.last_week


@dataclass(frozen=True)
class ReportContext:
    week: IsoWeek
    weeks: list[IsoWeek]
    title: str
    data_as_of: datetime | None
    snapshot: str
    sources: dict[str, int]
    total_complaints: int
    weekly_totals: list[int]
    channels: list[ChannelRow]
    quarantine_by_code: dict[str, int]
    ingest_totals: dict[str, int]
    taxonomy: Taxonomy
    sample: list[Complaint] = field(default_factory=list)
    causes: list[CauseRow] = field(default_factory=list)
    classifier_versions: dict[str, int] = field(default_factory=dict)
    scorecard: kpis.Scorecard | None = None
    pareto: list[kpis.ParetoBar] = field(default_factory=list)
    cause_series: dict[str, list[int]] = field(default_factory=dict)  # label -> weekly counts
    cause_limits: dict[str, kpis.ControlLimits | None] = field(default_factory=dict)
    confidence_bins: list[int] = field(default_factory=list)
    review_threshold: float | None = None
    contacts: int | None = None  # this week, from `rootcause volumes import`
    orders: int | None = None
    # Filled by the themes and fixes stages (pipeline.render_week); empty when they have not run.
    themes: list[Any] = field(default_factory=list)
    theme_window: Any = None
    themes_by_cause: dict[str, list[Any]] = field(default_factory=dict)  # cause -> (row, n)
    fix_register: list[Any] = field(default_factory=list)
    fix_effects: list[Any] = field(default_factory=list)
    unowned_themes: list[Any] = field(default_factory=list)
    fix_markers: dict[str, list[tuple[str, str]]] = field(
        default_factory=dict
    )  # label -> (wk, tag)
    summary: list[str] = field(default_factory=list)
    theme_splits: dict[int, Any] = field(default_factory=dict)  # theme id -> kpis.ThemeSplit
    theme_fixes: dict[int, str] = field(default_factory=dict)  # theme id -> "#3 shipped"
    model_eval: dict[str, Any] | None = None
    fix_rule: str = "No fix has shipped yet."

    @property
    def this_week_total(self) -> int:
        return self.weekly_totals[-1] if self.weekly_totals else 0

    @property
    def last_week_total(self) -> int:
        return self.weekly_totals[-2] if len(self.weekly_totals) > 1 else 0

    @property
    def prior_mean(self) -> float | None:
        prior = self.weekly_totals[-9:-1]
        return sum(prior) / len(prior) if prior else None


def _snapshot_hash(session: Session) -> tuple[str, datetime | None]:
    """A fingerprint of what the report was computed from: same data, same hash."""
    row = session.execute(
        select(func.count(), func.max(Complaint.id), func.max(Complaint.ingested_at))
    ).one()
    q = session.execute(select(func.count(), func.max(Quarantine.id))).one()
    verdicts = session.execute(select(func.count(), func.max(Classification.classified_at))).one()
    labels = session.execute(select(func.count(), func.max(Label.id))).one()
    themes = session.execute(
        select(func.count(), func.max(ThemeAssignment.assigned_at), func.max(Theme.updated_at))
        .select_from(ThemeAssignment)
        .outerjoin(Theme, Theme.id == ThemeAssignment.theme_id)  # type: ignore[arg-type]
    ).one()
    fixes = session.execute(select(func.count(), func.max(Fix.updated_at))).one()
    parts = (
        tuple(row[:2]), tuple(q), (verdicts[0], str(verdicts[1])), tuple(labels),
        tuple(str(x) for x in themes), tuple(str(x) for x in fixes),
    )  # fmt: skip
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
    return digest, row[2]


def build_context(
    *,
    session: Session,
    week: IsoWeek,
    taxonomy: Taxonomy,
    title: str,
    trend_weeks: int,
    by_cause: dict[tuple[str, str], int] | None = None,
) -> ReportContext:
    """Gather everything the report for `week` shows. `by_cause`: complaints per (week, cause)
    over the trend's weeks when the caller has counted them (`WeekThemes.week_causes`)."""
    weeks = week.window(trend_weeks)
    names = [str(w) for w in weeks]
    counts = store.weekly_channel_counts(session=session, weeks=names)
    channels = sorted({c for (_, c) in counts})
    totals = [sum(n for (w, _), n in counts.items() if w == name) for name in names]
    rows = [
        ChannelRow(
            channel=c or "unknown",
            this_week=counts.get((names[-1], c), 0),
            last_week=counts.get((names[-2], c), 0) if len(names) > 1 else 0,
            trend=[counts.get((name, c), 0) for name in names],
        )
        for c in channels
    ]
    rows.sort(key=lambda r: (-r.this_week, r.channel))
    snapshot, as_of = _snapshot_hash(session)
    ingest = session.execute(
        select(
            func.coalesce(func.sum(IngestRun.rows_read), 0),
            func.coalesce(func.sum(IngestRun.inserted), 0),
            func.coalesce(func.sum(IngestRun.duplicates), 0),
            func.coalesce(func.sum(IngestRun.quarantined), 0),
        )
    ).one()
    sample = store.complaints_between(session=session, start=week.start, end=week.end, limit=3)
    if by_cause is None:
        by_cause = store.weekly_cause_counts(session=session, weeks=names)
    classified = sum(n for (w, _), n in by_cause.items() if w == names[-1])
    causes = [
        CauseRow(cause=c.name, label=c.label, owner=c.owner,
                 this_week=by_cause.get((names[-1], c.name), 0),
                 last_week=by_cause.get((names[-2], c.name), 0) if len(names) > 1 else 0,
                 share=by_cause.get((names[-1], c.name), 0) / classified if classified else 0.0)
        for c in taxonomy.causes
    ] if by_cause else []  # fmt: skip
    causes.sort(key=lambda r: (-r.this_week, r.cause))
    volume = weekly_totals(session=session, weeks=[names[-1]]).get(names[-1])
    labels = {c.name: c.label for c in taxonomy.causes}
    series = {c.label: [by_cause.get((name, c.name), 0) for name in names] for c in taxonomy.causes}
    return ReportContext(
        week=week, weeks=weeks, title=title, data_as_of=as_of, snapshot=snapshot,
        sources=store.source_counts(session=session),
        total_complaints=store.count_complaints(session=session),
        weekly_totals=totals, channels=rows,
        quarantine_by_code=store.quarantine_by_code(session=session),
        ingest_totals=dict(zip(("rows_read", "inserted", "duplicates", "quarantined"),
                               (int(x) for x in ingest), strict=True)),
        taxonomy=taxonomy, sample=sample, causes=causes,
        classifier_versions=store.classifier_versions(session=session),
        scorecard=kpis.scorecard(session=session, week=week),
        pareto=kpis.pareto({r.cause: r.this_week for r in causes}, labels) if causes else [],
        cause_series=series if by_cause else {},
        cause_limits={k: kpis.control_limits(v) for k, v in series.items()},
        confidence_bins=kpis.confidence_histogram(session=session, week=week),
        contacts=(volume[0] or None) if volume else None,
        orders=(volume[1] or None) if volume else None,
    )  # fmt: skip
