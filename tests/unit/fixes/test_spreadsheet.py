"""The register's CSV round trip: safe cells out, all-or-nothing changes in."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import select

from rootcause.db import session_scope
from rootcause.errors import InputError
from rootcause.fixes import add_fix, export_fixes, fix_events, import_fixes
from rootcause.fixes.lifecycle import extra_themes
from rootcause.models import Fix, FixEvent
from tests.unit.fixes.data import NOW, add_theme

CAUSES = ("agent_error", "order_mixup", "process_gap", "other")
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def register(engine):
    """Two fixes, one with a title a spreadsheet would run as a formula."""
    with session_scope(engine) as session:
        theme = add_theme(session, "missing item")
        a = add_fix(session=session, title="Bag-seal checklist", owner="Eats Ops", causes=CAUSES,
                    actor="ana", theme_id=theme, due=date(2026, 11, 1), now=NOW)  # fmt: skip
        b = add_fix(session=session, title=FORMULA, owner="@ops", causes=CAUSES, actor="ana",
                    cause="process_gap", description="-5 stars\tfrom us", now=NOW)  # fmt: skip
    return a.id, b.id, theme


def read(path):
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def snapshot(engine):
    with session_scope(engine) as session:
        fixes = [f.model_dump() for f in session.scalars(select(Fix).order_by(Fix.id))]
        events = len(session.scalars(select(FixEvent)).all())
    return fixes, events


def do_import(engine, path, actor="owner"):
    with session_scope(engine) as session:
        return import_fixes(path, session=session, causes=CAUSES, actor=actor, now=NOW)


def test_spreadsheet_export_neutralises_formulas_and_round_trips_unchanged(
    engine, register, tmp_path
):
    a, _, theme = register
    out = tmp_path / "fixes.csv"
    with session_scope(engine) as session:
        assert export_fixes(out, session=session) == 2
    rows = read(out)
    assert list(rows[0]) == ["id", "title", "owner", "status", "theme_id", "extra_themes",
                             "cause", "due", "shipped", "criterion", "description"]  # fmt: skip
    assert rows[0] == {"id": str(a), "title": "Bag-seal checklist", "owner": "Eats Ops",
                       "status": "proposed", "theme_id": str(theme), "extra_themes": "",
                       "cause": "",
                       "due": "2026-11-01", "shipped": "",
                       "criterion": "rate down 30% within 4 weeks", "description": ""}  # fmt: skip
    assert rows[1]["title"] == "'" + FORMULA
    assert rows[1]["owner"] == "'@ops"
    assert rows[1]["description"] == "'-5 stars\tfrom us"
    before = snapshot(engine)
    outcome = do_import(engine, out)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 2)
    assert snapshot(engine) == before  # the apostrophes came off again: nothing changed


def test_spreadsheet_import_applies_edits_and_new_rows_with_events(engine, register, tmp_path):
    a, b, _ = register
    out = tmp_path / "fixes.csv"
    with session_scope(engine) as session:
        export_fixes(out, session=session)
    rows = read(out)
    rows[0].update(status="shipped", shipped="2026-11-02", owner="Eats Operations")
    rows[1].update(due="2026-12-15", criterion="50% within 6 weeks")
    with session_scope(engine) as session:
        moved = add_theme(session, "promised callback")
    rows[0].update(extra_themes=f"{moved}")
    rows.append({"id": "", "title": "Hold music audit", "owner": "Billing", "status": "",
                 "theme_id": "", "extra_themes": "", "cause": "process_gap",
                 "due": "2026-12-01", "shipped": "", "criterion": "",
                 "description": ""})  # fmt: skip
    write(out, rows)
    outcome = do_import(engine, out, actor="sheet-user")
    assert (outcome.created, outcome.updated, outcome.unchanged) == (1, 2, 0)
    with session_scope(engine) as session:
        fa, fb = session.get(Fix, a), session.get(Fix, b)
        assert extra_themes(session=session, fix=fa) == [moved]
        assert (fa.status, fa.shipped, fa.owner) == (
            "shipped",
            date(2026, 11, 2),
            "Eats Operations",
        )
        assert (fb.due, fb.success_criterion) == (
            date(2026, 12, 15),
            "rate down 50% within 6 weeks",
        )
        assert fb.title == FORMULA
        new = session.scalars(select(Fix).where(Fix.title == "Hold music audit")).one()
        assert (new.status, new.cause, new.owner) == ("proposed", "process_gap", "Billing")
        event = fix_events(session=session, fix_id=a)[-1]
    assert (event.actor, event.action) == ("sheet-user", "status")
    assert event.details["changes"]["status"] == {"old": "proposed", "new": "shipped"}
    assert event.details["note"] == "imported from fixes.csv, line 2"


def test_spreadsheet_a_bad_row_anywhere_changes_nothing_and_names_every_line(
    engine, register, tmp_path
):
    a, b, _ = register
    out = tmp_path / "fixes.csv"
    with session_scope(engine) as session:
        export_fixes(out, session=session)
    rows = read(out)
    rows[0].update(owner="Someone new")  # a good edit that must not be applied
    rows[1].update(status="verified")  # proposed -> verified is not allowed
    rows.append({**rows[0], "id": "", "title": "No link", "theme_id": "", "cause": "",
                 "due": "2026-02-30"})  # fmt: skip
    rows.append({**rows[0], "id": str(a)})  # the same fix twice
    rows.append({**rows[0], "id": "999"})
    write(out, rows)
    before = snapshot(engine)
    with pytest.raises(InputError) as err:
        do_import(engine, out)
    assert str(err.value) == (
        f"{out}: 4 bad rows, nothing imported: "
        f'line 3: fix {b} "{FORMULA}" is proposed and cannot become verified; allowed next: '
        "in_progress, shipped, abandoned; "
        "line 4: due '2026-02-30' is not a date; expected YYYY-MM-DD, e.g. 2026-10-21; "
        f"line 5: fix {a} is already on line 2; "
        "line 6: no fix with id 999 (list them with `rootcause fix list`)"
    )
    assert snapshot(engine) == before


def test_spreadsheet_new_rows_are_checked_like_fix_add(engine, register, tmp_path):
    out = tmp_path / "fixes.csv"
    base = {"id": "", "title": "T", "owner": "O", "status": "", "theme_id": "",
            "extra_themes": "", "cause": "", "due": "", "shipped": "", "criterion": "",
            "description": ""}  # fmt: skip
    write(out, [
        {**base, "cause": "bad_luck"},
        {**base, "theme_id": "4242"},
        {**base, "cause": "other", "status": "verified"},
        {**base, "cause": "other", "criterion": "lots"},
        {**base, "theme_id": "x"},
    ])  # fmt: skip
    before = snapshot(engine)
    with pytest.raises(InputError) as err:
        do_import(engine, out)
    message = str(err.value)
    assert message.startswith(f"{out}: 5 bad rows, nothing imported: line 2: unknown cause ")
    for part in ("line 3: no theme with id 4242",
                 "line 4: a new fix starts as proposed or shipped, not verified",
                 "line 5: success criterion 'lots' not understood",
                 "line 6: theme_id 'x' is not a number"):  # fmt: skip
        assert part in message
    assert snapshot(engine) == before


def test_spreadsheet_unusable_files(engine, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        do_import(engine, tmp_path / "missing.csv")
    no_id = tmp_path / "no_id.csv"
    no_id.write_text("title,owner\nA,B\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no_id.csv: line 1: no 'id' column"):
        do_import(engine, no_id)
