"""register_demo_fixes before any themes are mined: linked by cause, and idempotent."""

from __future__ import annotations

from rootcause.db import session_scope
from rootcause.fixes import fix_register, register_demo_fixes
from rootcause.fixes.demo import story_themes
from rootcause.models import Complaint
from rootcause.period import IsoWeek
from rootcause.pipeline import load_demo, taxonomy_for
from tests.unit.fixes.data import add_complaints, add_theme


def test_demo_fixes_link_by_cause_until_themes_are_mined(engine, settings):
    load_demo(engine, settings, taxonomy_for(settings))
    added = register_demo_fixes(engine, settings)
    assert [(f.title, f.theme_id, f.cause, f.status) for f in added] == [
        ("Bag-seal checklist at partner restaurants", None, "order_mixup", "shipped"),
        ("Call-back queue on the billing line", None, "process_gap", "shipped"),
    ]
    assert register_demo_fixes(engine, settings) == []  # same titles: nothing added
    with session_scope(engine) as session:
        rows = fix_register(session, IsoWeek.parse("2026-W47"))
    assert {r.owner for r in rows} == {"Eats Operations", "Billing Contact Centre"}
    assert {str(r.shipped) for r in rows} == {"2026-10-21", "2026-10-20"}


def test_demo_story_themes_follow_a_story_that_moves_after_shipping(engine):
    ship = IsoWeek.parse("2026-W43")
    with session_scope(engine) as session:
        hold, callback, stray, unrelated = (
            add_theme(session, n) for n in ("hold", "callback", "stray", "other")
        )
        ids: list[int] = []
        for i in range(-4, 5):
            week = ship.shift(i)
            ids += add_complaints(session, week, 10 if i < 0 else 6, theme_id=hold)
            if i > 0:  # after shipping, the same problem in new words
                ids += add_complaints(session, week, 4, theme_id=callback)
        ids += add_complaints(session, ship.shift(-1), 2, theme_id=stray)  # too few to count
        add_complaints(session, ship.shift(2), 50, theme_id=unrelated)  # not the story's
        weeks = [str(ship.shift(i)) for i in range(-4, 5)]
        keys = [(c.source, c.external_id) for c in (session.get(Complaint, i) for i in ids) if c]
        assert story_themes(session, keys, weeks, ship) == [hold, callback]
        assert story_themes(session, keys, [], ship) == []
