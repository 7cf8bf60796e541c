"""fix_register / fix_effects / reopen_recurring / unowned_growing_themes on stored data."""

from __future__ import annotations

from datetime import date, timedelta

from rootcause.db import session_scope
from rootcause.fixes import (
    add_fix,
    close_fix,
    fix_effects,
    fix_events,
    fix_register,
    get_fix,
    reopen_recurring,
    unowned_growing_themes,
)
from rootcause.period import IsoWeek
from tests.unit.fixes.data import NOW, add_complaints, add_series, add_theme

CAUSES = ("agent_error", "order_mixup", "process_gap", "other")
FIRST = IsoWeek.parse("2026-W36")
SHIP_DATE = date(2026, 10, 21)  # Wednesday of 2026-W43, the 8th week from FIRST
LAST = IsoWeek.parse("2026-W47")


def fix(session, title, **kw):
    args = {"owner": "Eats Ops", "causes": CAUSES, "actor": "ana", "cause": "order_mixup",
            "now": NOW} | kw  # fmt: skip
    made = add_fix(session=session, title=title, **args)
    assert made.id is not None
    return made.id


def test_register_verdicts_and_order(engine):
    with session_scope(engine) as session:
        theme = add_theme(session, "missing item")
        add_series(session, FIRST, [30, 28, 33, 29, 31, 27, 32, 20, 10, 12, 9, 11],
                   [200] * 12, theme_id=theme)  # fmt: skip
        worked = fix(session, "Bag seal", theme_id=theme, cause=None, shipped=SHIP_DATE)
        late = fix(session, "Driver checklist", due=date(2026, 11, 1), owner="Drivers")
        later = fix(session, "Later", due=date(2026, 11, 10))
        on_time = fix(session, "Soon", due=date(2026, 12, 1))
        no_due = fix(session, "Someday")
        done = fix(session, "Done", shipped=SHIP_DATE)
        close_fix(session=session, fix_id=done, status="ineffective", actor="x", now=NOW)
    rows = fix_register(engine, LAST)
    assert [r.id for r in rows] == [late, later, on_time, worked, no_due]
    by_id = {r.id: r for r in rows}
    assert (
        by_id[late].overdue and by_id[late].days_overdue == (LAST.sunday - date(2026, 11, 1)).days
    )
    assert not by_id[on_time].overdue and by_id[on_time].verdict is None
    assert by_id[worked].verdict == "effective"
    assert by_id[worked].theme_label == "missing item"
    assert by_id[worked].subject == f'complaints in theme {theme} "missing item"'
    assert "meeting the target" in (by_id[worked].explanation or "")
    everything = fix_register(engine, LAST, include_closed=True)
    assert done in {r.id for r in everything}
    assert [r.id for r in fix_register(engine, LAST, owner="drivers")] == [late]
    assert [r.id for r in fix_register(engine, LAST, statuses=["ineffective"])] == [done]


def test_register_effects_carry_the_series_for_a_chart(engine):
    with session_scope(engine) as session:
        add_series(session, FIRST, [30, 28, 33, 29, 31, 27, 32, 20, 31, 29, 30, 32], [200] * 12)
        flat = fix(session, "Flat", shipped=SHIP_DATE)
        fix(session, "Not shipped")
    [measured] = fix_effects(engine, LAST)
    assert measured.fix.id == flat and measured.effect.verdict.value == "not_effective"
    periods = [p.period for p in measured.series]
    assert periods == ["before"] * 7 + ["ship"] + ["after"] * 4  # starts where the data do
    assert measured.series[0].week == "2026-W36" and measured.series[0].rate == 30 / 200
    assert measured.as_dict()["effect"]["count_before"] == 210
    orders = {str(FIRST.shift(i)): 40_000.0 for i in range(12)}
    [per_order] = fix_effects(engine, LAST, orders=orders)
    assert per_order.effect.unit == "orders" and per_order.effect.per == 10_000
    assert per_order.effect.rate_before == 210 / (7 * 40_000)


def test_register_reopens_a_verified_fix_when_the_problem_comes_back(engine):
    with session_scope(engine) as session:
        # Shipped in W43, down for four weeks, verified in W47, back up from W48.
        add_series(session, FIRST,
                   [30, 31, 29, 30, 28, 32, 30, 20, 10, 9, 11, 10, 26, 29, 28],
                   [300] * 15)  # fmt: skip
        fix_id = fix(session, "Bag seal", shipped=SHIP_DATE)
        steady = fix(session, "Steady", cause="other", shipped=SHIP_DATE)
        for fid in (fix_id, steady):
            close_fix(session=session, fix_id=fid, status="verified", actor="ana",
                      now=NOW - timedelta(days=3))  # Friday of W47  # fmt: skip
    assert reopen_recurring(engine, LAST) == []  # nothing after verification yet
    reopened = reopen_recurring(engine, LAST.shift(3), now=NOW + timedelta(days=21))
    assert [r.fix_id for r in reopened] == [fix_id]
    assert reopened[0].recurrence.recurred
    with session_scope(engine) as session:
        assert get_fix(session=session, fix_id=fix_id).status == "reopened"
        assert get_fix(session=session, fix_id=steady).status == "verified"
        event = fix_events(session=session, fix_id=fix_id)[-1]
    assert (event.actor, event.action) == ("rootcause", "status")
    assert event.details["changes"]["status"] == {"old": "verified", "new": "reopened"}
    assert event.details["reason"] == "recurrence"
    assert event.details["recurrence"]["rate_recent"] > event.details["recurrence"]["rate_settled"]
    assert event.details["note"].startswith("Order_mixup complaints came back")
    assert reopen_recurring(engine, LAST.shift(3)) == []  # it is no longer verified


def test_register_suggests_growing_themes_nobody_owns(engine, settings):
    with session_scope(engine) as session:
        growing = add_theme(session, "voucher crash")
        owned = add_theme(session, "refund delay")
        stable = add_theme(session, "cold food")
        for i in range(12):
            week = FIRST.shift(i)
            surge = 14 if i == 11 else 2
            add_complaints(session, week, surge, cause="process_gap", theme_id=growing)
            add_complaints(session, week, 1, cause="other", theme_id=growing)
            add_complaints(session, week, surge, cause="process_gap", theme_id=owned)
            add_complaints(session, week, 6, cause="other", theme_id=stable)
        fix(session, "Refund SLA", theme_id=owned, cause=None)
    found = unowned_growing_themes(engine, settings, LAST)
    assert [(s.theme_id, s.label, s.status, s.count) for s in found] == [
        (growing, "voucher crash", "growing", 15)
    ]
    assert (found[0].cause, found[0].owner) == ("process_gap", "Process Excellence")
    assert found[0].trend[-1] == 15 and found[0].weeks[-1] == str(LAST)
