"""The fix lifecycle against the database: transitions, refusals, the event log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from rootcause.db import session_scope
from rootcause.errors import ConfigError, RootcauseError
from rootcause.fixes import (
    TRANSITIONS,
    TransitionError,
    UnknownFixError,
    add_fix,
    allowed_next,
    close_fix,
    fix_events,
    get_fix,
    parse_criterion,
    update_fix,
)
from rootcause.fixes.lifecycle import extra_themes, is_overdue, linked_themes, verified_at
from rootcause.models import Fix, FixEvent, FixStatus
from rootcause.themes import UnknownThemeError, merge_themes
from tests.unit.fixes.data import NOW, add_theme

CAUSES = ("agent_error", "order_mixup", "process_gap", "other")
TODAY = NOW.date()


def new_fix(session, **kw) -> Fix:
    args = {"title": "Bag-seal checklist", "owner": "Eats Ops", "causes": CAUSES,
            "actor": "ana", "cause": "order_mixup", "now": NOW} | kw  # fmt: skip
    return add_fix(session=session, **args)


def change(session, fix_id, actor="ana", days=0, **changes):
    return update_fix(session=session, fix_id=fix_id, changes=changes, actor=actor,
                      causes=CAUSES, now=NOW + timedelta(days=days))  # fmt: skip


def test_lifecycle_transition_table_covers_every_status():
    assert set(TRANSITIONS) == set(FixStatus)
    assert allowed_next("abandoned") == ()
    assert FixStatus.reopened in allowed_next("verified")
    assert FixStatus.abandoned in allowed_next("proposed")
    assert FixStatus.abandoned in allowed_next("in_progress")
    assert FixStatus.abandoned not in allowed_next("shipped")


def test_lifecycle_add_validates_and_logs_creation(engine):
    with session_scope(engine) as session:
        theme_id = add_theme(session, "missing item")
        fix = new_fix(
            session,
            theme_id=theme_id,
            cause=None,
            due=date(2026, 12, 1),
            criterion=parse_criterion("50% within 6 weeks"),
            title="  Bag   seal ",
        )
        assert (fix.status, fix.title, fix.theme_id) == ("proposed", "Bag seal", theme_id)
        assert fix.success_criterion == "rate down 50% within 6 weeks"
        [event] = fix_events(session=session, fix_id=fix.id)
        assert (event.actor, event.action) == ("ana", "created")
        assert event.details["values"]["due"] == "2026-12-01"
        assert event.details["values"]["criterion"] == {
            "reduction": 0.5, "horizon_weeks": 6, "text": "rate down 50% within 6 weeks"
        }  # fmt: skip
        shipped = new_fix(session, shipped=date(2026, 11, 2))
        assert shipped.status == "shipped"


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"cause": None}, ConfigError, "a fix needs a theme (--theme ID) or a cause"),
        ({"cause": "bad_luck"}, ConfigError, "unknown cause 'bad_luck' (known: agent_error, "),
        ({"theme_id": 999}, UnknownThemeError, "no theme with id 999"),
        ({"title": "  "}, ConfigError, "a fix's title cannot be empty"),
        ({"owner": "x" * 201}, ConfigError, "a fix's owner has at most 200 characters, not 201"),
        ({"shipped": TODAY + timedelta(days=1)}, ConfigError, "ship date 2026-11-24 is in the"),
    ],
)
def test_lifecycle_add_refuses_bad_input(engine, kw, error, message):
    with (
        session_scope(engine) as session,
        pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")),
    ):
        new_fix(session, **kw)
    with session_scope(engine) as session:
        assert session.scalars(select(Fix)).all() == []


def test_lifecycle_a_merged_theme_is_refused_with_the_survivor_named(engine):
    with session_scope(engine) as session:
        keep, gone = add_theme(session, "keep"), add_theme(session, "gone")
    merge_themes(engine, keep, gone)
    with session_scope(engine) as session, pytest.raises(RootcauseError) as err:
        new_fix(session, theme_id=gone)
    assert str(err.value) == f"theme {gone} was merged into theme {keep}; link the fix to that"


def test_lifecycle_full_life_with_every_change_logged(engine):
    with session_scope(engine) as session:
        fix_id = new_fix(session).id
        change(session, fix_id, status="in_progress", owner="Eats Operations")
        fix, event = change(session, fix_id, actor="ben", days=1, status="shipped")
        assert fix.shipped == TODAY + timedelta(days=1)  # shipped without a date: today
        assert event is not None and event.action == "status"
        assert event.details["changes"] == {
            "status": {"old": "in_progress", "new": "shipped"},
            "shipped": {"old": None, "new": "2026-11-24"},
        }
        close_fix(session=session, fix_id=fix_id, status="verified", actor="cy", note="worked",
                  evidence={"verdict": "effective"}, now=NOW + timedelta(days=30))  # fmt: skip
        change(session, fix_id, actor="rootcause", days=60, status="reopened")
        change(session, fix_id, days=61, status="in_progress")
        fix, _ = change(session, fix_id, days=70, status="shipped", shipped=date(2027, 1, 30))
        assert fix.shipped == date(2027, 1, 30)
        events = fix_events(session=session, fix_id=fix_id)
        assert verified_at(session=session, fix_id=fix_id) == NOW + timedelta(days=30)
    assert [(e.actor, e.action) for e in events] == [
        ("ana", "created"), ("ana", "status"), ("ben", "status"), ("cy", "status"),
        ("rootcause", "status"), ("ana", "status"), ("ana", "status"),
    ]  # fmt: skip
    assert events[1].details["changes"]["owner"] == {"old": "Eats Ops", "new": "Eats Operations"}
    assert events[3].details["note"] == "worked"
    assert events[3].details["evidence"] == {"verdict": "effective"}
    assert events[6].details["changes"]["shipped"] == {"old": "2026-11-24", "new": "2027-01-30"}
    assert [e.at for e in events] == sorted(e.at for e in events)


@pytest.mark.parametrize(
    ("path", "wanted", "message"),
    [
        ([], "verified", "is proposed and cannot become verified; allowed next: in_progress, "
                         "shipped, abandoned"),
        (["shipped"], "abandoned", "is shipped and cannot become abandoned; allowed next: "
                                   "verified, ineffective, reopened"),
        (["shipped", "verified"], "in_progress", "is verified and cannot become in_progress; "
                                                 "allowed next: reopened"),
        (["abandoned"], "proposed", "is abandoned and cannot become proposed; allowed next: "
                                    "none (abandoned is final)"),
        (["in_progress"], "proposed", "is in_progress and cannot become proposed; allowed "
                                      "next: shipped, abandoned"),
    ],
)  # fmt: skip
def test_lifecycle_refused_transitions_name_fix_status_and_next_steps(
    engine, path, wanted, message
):
    with session_scope(engine) as session:
        fix_id = new_fix(session).id
        for status in path:
            change(session, fix_id, status=status)
    with session_scope(engine) as session, pytest.raises(TransitionError) as err:
        change(session, fix_id, status=wanted, owner="someone else")
    assert str(err.value) == f'fix {fix_id} "Bag-seal checklist" {message}'
    with session_scope(engine) as session:
        fix = get_fix(session=session, fix_id=fix_id)
        assert fix.status == (path[-1] if path else "proposed") and fix.owner == "Eats Ops"
        assert len(fix_events(session=session, fix_id=fix_id)) == 1 + len(path)


def test_lifecycle_ship_dates(engine):
    with session_scope(engine) as session:
        fix_id = new_fix(session).id
        fix, _ = change(session, fix_id, shipped=date(2026, 11, 2))  # a ship date ships it
        assert (fix.status, fix.shipped) == ("shipped", date(2026, 11, 2))
        fix, event = change(session, fix_id, shipped=date(2026, 11, 3))  # a correction
        assert (fix.status, fix.shipped) == ("shipped", date(2026, 11, 3))
        assert event is not None and event.action == "updated"
        with pytest.raises(ConfigError, match="ship date 2026-12-01 is in the future"):
            change(session, fix_id, shipped=date(2026, 12, 1))
        other = new_fix(session).id
        with pytest.raises(ConfigError, match="a ship date goes with status shipped or later"):
            change(session, other, status="in_progress", shipped=date(2026, 11, 2))


def test_lifecycle_nothing_to_change_writes_no_event(engine):
    with session_scope(engine) as session:
        fix_id = new_fix(session).id
        _, event = change(session, fix_id, status="proposed", owner="Eats Ops")
        assert event is None
        assert session.scalars(select(FixEvent)).all() != []
        assert len(fix_events(session=session, fix_id=fix_id)) == 1


def test_lifecycle_unknown_fix_and_bad_close(engine):
    with session_scope(engine) as session:
        with pytest.raises(UnknownFixError, match=r"^no fix with id 42 \(list them with"):
            change(session, 42, status="shipped")
        fix_id = new_fix(session).id
        with pytest.raises(
            ConfigError, match="closed as verified, ineffective or abandoned, not 'shipped'"
        ):
            close_fix(session=session, fix_id=fix_id, status="shipped", actor="x")
        with pytest.raises(ConfigError, match="unknown fix status 'done'"):
            change(session, fix_id, status="done")


def test_lifecycle_overdue_means_due_and_not_shipped(engine):
    with session_scope(engine) as session:
        fix = new_fix(session, due=date(2026, 11, 20))
        assert is_overdue(fix, TODAY) and not is_overdue(fix, date(2026, 11, 20))
        shipped, _ = change(session, fix.id, status="shipped")
        assert not is_overdue(shipped, TODAY)


def test_lifecycle_extra_themes_live_in_the_event_log_and_follow_merges(engine):
    with session_scope(engine) as session:
        main, moved, other = (add_theme(session, n) for n in ("hold", "callback", "queue"))
        fix = new_fix(session, theme_id=main, cause=None, extra_theme_ids=[moved, main, moved])
        assert linked_themes(session=session, fix=fix) == [main, moved]
        assert fix_events(session=session, fix_id=fix.id)[0].details["values"]["extra_themes"] == [
            moved
        ]
        _, event = change(session, fix.id, extra_themes=[other, moved])
        assert event is not None and event.action == "updated"
        assert event.details["changes"] == {"extra_themes": {"old": [moved], "new": [other, moved]}}
        assert change(session, fix.id, extra_themes=[other, moved])[1] is None  # no change
        with pytest.raises(ConfigError, match="extra themes need a main theme"):
            new_fix(session, extra_theme_ids=[other])
        with pytest.raises(UnknownThemeError):
            change(session, fix.id, extra_themes=[4242])
        fix_id = fix.id
    merge_themes(engine, main, other)  # an extra theme merged into the main one drops out
    with session_scope(engine) as session:
        fix = get_fix(session=session, fix_id=fix_id)
        assert extra_themes(session=session, fix=fix) == [moved]
