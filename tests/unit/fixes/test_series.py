"""The weekly queries a fix is judged on, on SQLite and PostgreSQL."""

from __future__ import annotations

from rootcause import store
from rootcause.db import session_scope
from rootcause.fixes.series import (
    cause_counts,
    linked_series,
    theme_counts,
    week_range,
    weekly_totals,
)
from rootcause.period import IsoWeek
from tests.unit.fixes.data import add_complaints, add_theme

W40, W41, W42, W43 = (IsoWeek.parse(f"2026-W{n}") for n in (40, 41, 42, 43))
WEEKS = [str(w) for w in (W40, W41, W42, W43)]


def test_series_week_range_is_inclusive_and_crosses_years():
    weeks = week_range(IsoWeek.parse("2026-W52"), IsoWeek.parse("2027-W02"))
    assert [str(w) for w in weeks] == ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    assert week_range(W41, W40) == []


def test_series_theme_and_cause_counts_fill_empty_weeks(engine):
    with session_scope(engine) as session:
        theme = add_theme(session, "missing item")
        other = add_theme(session, "cold food")
        add_complaints(session, W40, 3, cause="order_mixup", theme_id=theme)
        add_complaints(session, W40, 2, cause="other", theme_id=theme)
        add_complaints(session, W40, 4, cause="order_mixup", theme_id=other)
        add_complaints(session, W42, 1, cause="order_mixup", theme_id=theme)
        add_complaints(session, W42, 5, cause=None, mined=False)  # not yet classified nor mined
        relabelled = add_complaints(session, W42, 1, cause="other", theme_id=theme)
        store.add_label(session=session, complaint_id=relabelled[0], cause="order_mixup",
                        author="qa")  # fmt: skip
    with session_scope(engine) as session:
        assert theme_counts(session=session, theme_ids=[theme], weeks=WEEKS) == {
            "2026-W40": 5, "2026-W41": 0, "2026-W42": 2, "2026-W43": 0}  # fmt: skip
        assert theme_counts(session=session, theme_ids=[theme, other], weeks=WEEKS) == {
            "2026-W40": 9, "2026-W41": 0, "2026-W42": 2, "2026-W43": 0}  # fmt: skip
        both = theme_counts(session=session, theme_ids=[theme], weeks=WEEKS, cause="order_mixup")
        assert both == {"2026-W40": 3, "2026-W41": 0, "2026-W42": 2, "2026-W43": 0}
        assert cause_counts(session=session, cause="order_mixup", weeks=WEEKS) == {
            "2026-W40": 7, "2026-W41": 0, "2026-W42": 2, "2026-W43": 0}  # fmt: skip
        assert weekly_totals(session=session, weeks=WEEKS) == {
            "2026-W40": 9, "2026-W41": 0, "2026-W42": 7, "2026-W43": 0}  # fmt: skip
        by_theme = linked_series(session=session, weeks=[W40, W41, W42, W43], theme_ids=[theme])
        by_cause = linked_series(session=session, weeks=[W40, W41, W42, W43], cause="order_mixup")
    assert by_theme.counts == (5, 0, 2, 0)
    assert by_theme.covered == (9, 0, 2, 0)  # the 5 unmined complaints are not exposure
    assert by_theme.totals == (9, 0, 7, 0)
    assert by_cause.counts == (7, 0, 2, 0) and by_cause.covered == (9, 0, 2, 0)
