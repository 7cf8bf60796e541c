"""The scorecard and cause statistics, on SQLite and PostgreSQL, and the summary sentences."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rootcause.db import session_scope
from rootcause.models import Classification, Complaint
from rootcause.period import IsoWeek
from rootcause.report import kpis
from rootcause.report.summary import summarise

WEEK = IsoWeek.parse("2026-W47")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def _complaint(n: int, at: datetime, customer: str | None = None, order: str | None = None,
               responded_h: float | None = None) -> Complaint:  # fmt: skip
    return Complaint(
        source="t", external_id=str(n), text_original=f"text {n}", text_redacted=f"text {n}",
        text_hash=f"h{n}", received_at=at, week=str(IsoWeek.of(at)), channel="email",
        customer_id=customer, order_id=order, ingested_at=at,
        first_response_at=at + timedelta(hours=responded_h) if responded_h is not None else None,
    )  # fmt: skip


def test_report_kpis_scorecard_counts_repeats_review_and_response(engine):
    with session_scope(engine) as session:
        rows = [
            _complaint(1, MONDAY - timedelta(days=20), customer="A"),  # earlier, within 30 days
            _complaint(2, MONDAY, customer="A", responded_h=2),  # repeat
            _complaint(3, MONDAY - timedelta(days=45), customer="B"),  # too long ago
            _complaint(4, MONDAY + timedelta(days=1), customer="B", responded_h=4),
            _complaint(5, MONDAY - timedelta(days=3), order="O-1"),  # same order, no customer
            _complaint(6, MONDAY + timedelta(days=2), order="O-1", responded_h=9),  # repeat
            _complaint(7, MONDAY + timedelta(days=2)),  # no id at all
        ]
        session.add_all(rows)
        session.flush()
        for c, review, churn in ((rows[1], True, False), (rows[3], False, True)):
            session.add(Classification(
                complaint_id=c.id, cause="other", confidence=0.4, needs_review=review,
                churn_risk=churn, model_version="m", taxonomy_version="t", classified_at=MONDAY,
            ))  # fmt: skip
    with session_scope(engine) as session:
        card = kpis.scorecard(session=session, week=WEEK)
    assert (card.complaints, card.classified, card.needs_review, card.churn_risk) == (4, 2, 1, 1)
    assert (card.with_customer, card.repeats) == (3, 2)
    assert card.median_first_response_h == 4.0 and card.timed == 3
    assert card.median_resolution_h is None
    assert card.needs_review_share == 0.5


def test_report_kpis_pareto_and_control_limits():
    bars = kpis.pareto({"a": 10, "b": 70, "c": 20}, {"b": "Bee"})
    assert [(b.label, b.count) for b in bars] == [("Bee", 70), ("c", 20), ("a", 10)]
    assert [round(b.cumulative_share, 2) for b in bars] == [0.7, 0.9, 1.0]
    limits = kpis.control_limits([9, 10, 11, 10, 30])
    assert limits is not None and limits.centre == 10 and limits.out_of_control
    assert round(limits.upper, 2) == round(10 + 3 * 10**0.5, 2)
    assert not kpis.control_limits([9, 10, 11, 10, 12]).out_of_control  # type: ignore[union-attr]
    assert kpis.control_limits([1, 2, 3]) is None  # too few weeks to say


@dataclass
class _Cause:
    cause: str
    label: str
    this_week: int
    last_week: int
    share: float

    @property
    def change(self) -> int:
        return self.this_week - self.last_week


@dataclass
class _Context:
    week: str = "2026-W47"
    this_week_total: int = 110
    prior_mean: float | None = 100.0
    weekly_totals: list[int] = field(default_factory=lambda: [100] * 8 + [110])
    causes: list[_Cause] = field(default_factory=list)
    themes: list = field(default_factory=list)
    fix_effects: list = field(default_factory=list)
    unowned_themes: list = field(default_factory=list)


def test_report_summary_sentences_come_from_the_numbers():
    causes = [
        _Cause("process_gap", "Process gap", 60, 40, 0.55),
        _Cause("other", "Other", 50, 55, 0.45),
    ]
    sentences = summarise(_Context(causes=causes))
    assert sentences[0] == (
        "110 complaints arrived in 2026-W47, +10% against the mean of the previous 8 weeks (100)."
    )
    assert sentences[1].startswith("Process gap was the largest cause (55% of classified")
    assert "biggest mover was Process gap, +20 on last week (40 to 60)" in sentences[1]
    assert 1 <= len(summarise(_Context(prior_mean=None))) <= 5


def test_report_kpis_theme_split_breaks_ties_by_name_not_by_row_order(engine):
    """The database may return a theme's rows in any order (PostgreSQL's parallel scans do);
    the split, and so the PDF, must not follow it. Rows go in reverse order of name."""
    from rootcause.models import Theme, ThemeAssignment

    with session_scope(engine) as session:
        theme = Theme(label="t", first_seen_week=str(WEEK), last_seen_week=str(WEEK),
                      created_at=MONDAY, updated_at=MONDAY)  # fmt: skip
        session.add(theme)
        rows = [_complaint(n, MONDAY) for n in range(3)]
        for c, name in zip(rows, ("web", "email", "chat"), strict=True):
            c.channel, c.product = name, f"{name}-plan"
        session.add_all(rows)
        session.flush()
        for c in rows:
            session.add(ThemeAssignment(complaint_id=c.id, theme_id=theme.id, probability=0.5,
                                        window_end_week=str(WEEK), assigned_at=MONDAY))  # fmt: skip
    with session_scope(engine) as session:
        split = kpis.theme_split(session=session, theme_id=theme.id, weeks=[str(WEEK)], top=2)
    assert split.channels == [("chat", 1), ("email", 1)]
    assert split.products == [("chat-plan", 1), ("email-plan", 1)]


def test_report_kpis_theme_split_counts_channels_products_and_rules(engine):
    from rootcause.models import Theme, ThemeAssignment

    rule = {"kind": "rule", "cause": "process_gap", "text": "on hold", "pattern": "~ be on hold"}
    churn = {"kind": "churn", "text": "switching to", "pattern": "switching to"}
    token = {"kind": "token", "cause": "other", "text": "rule", "weight": 0.5}  # says "rule"
    evidence = [[rule, dict(rule), token], [token], [churn], None]  # None: not classified
    with session_scope(engine) as session:
        theme = Theme(label="t", first_seen_week=str(WEEK), last_seen_week=str(WEEK),
                      created_at=MONDAY, updated_at=MONDAY)  # fmt: skip
        session.add(theme)
        rows = [_complaint(n, MONDAY) for n in range(4)]
        rows[0].channel, rows[1].product = "chat", "broadband"
        session.add_all(rows)
        session.flush()
        for c, found in zip(rows, evidence, strict=True):
            session.add(ThemeAssignment(complaint_id=c.id, theme_id=theme.id, probability=0.5,
                                        window_end_week=str(WEEK), assigned_at=MONDAY))  # fmt: skip
            if found is not None:
                session.add(Classification(
                    complaint_id=c.id, cause="other", confidence=0.5, evidence=found,
                    model_version="m", taxonomy_version="t", classified_at=MONDAY,
                ))  # fmt: skip
    with session_scope(engine) as session:
        split = kpis.theme_split(session=session, theme_id=theme.id, weeks=[str(WEEK)])
    assert split.channels == [("email", 3), ("chat", 1)]
    assert split.products == [("unknown", 3), ("broadband", 1)]
    assert split.rules == [
        ("~ be on hold", 1)
    ]  # once per complaint; churn and tokens are not rules
