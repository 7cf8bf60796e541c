"""`rootcause volumes import`: all or nothing, upserts, and weekly totals, on both databases."""

from __future__ import annotations

import pytest

from rootcause.db import session_scope
from rootcause.errors import InputError
from rootcause.volumes import import_volumes, weekly_totals


def _csv(tmp_path, text: str):
    path = tmp_path / "volumes.csv"
    path.write_text(text)
    return path


def test_volumes_import_sums_contacts_and_takes_orders_once_per_week(engine, tmp_path):
    path = _csv(tmp_path, "week,channel,contacts,orders\n"
                          "2026-W46,email,100,5000\n2026-W46,chat,50,5000\n"
                          "2026-W47,email,\"1,200\",\n")  # fmt: skip
    with session_scope(engine) as session:
        result = import_volumes(path, session=session)
    assert (result.rows, result.weeks) == (3, 2)
    with session_scope(engine) as session:
        totals = weekly_totals(session=session, weeks=["2026-W46", "2026-W47", "2026-W48"])
    assert totals == {"2026-W46": (150, 5000), "2026-W47": (1200, 0)}


def test_volumes_import_again_replaces_a_week(engine, tmp_path):
    with session_scope(engine) as session:
        import_volumes(_csv(tmp_path, "week,orders\n2026-W46,10\n"), session=session)
    with session_scope(engine) as session:
        import_volumes(_csv(tmp_path, "week,orders\n2026-W46,12\n"), session=session)
    with session_scope(engine) as session:
        assert weekly_totals(session=session, weeks=["2026-W46"]) == {"2026-W46": (0, 12)}


def test_volumes_import_with_a_bad_row_changes_nothing(engine, tmp_path):
    path = _csv(tmp_path, "week,orders\n2026-W46,10\n2026-W99,5\n2026-W47,many\n")
    with session_scope(engine) as session, pytest.raises(InputError) as err:
        import_volumes(path, session=session)
    message = str(err.value)
    assert message.startswith(f"{path}: 2 bad rows, nothing imported: line 3: ")
    assert "line 4: orders 'many' is not a whole number" in message
    with session_scope(engine) as session:
        assert weekly_totals(session=session, weeks=["2026-W46"]) == {}


def test_volumes_import_needs_a_week_and_a_figure(engine, tmp_path):
    with session_scope(engine) as session:
        with pytest.raises(InputError, match="line 1: no 'week' column"):
            import_volumes(_csv(tmp_path, "wk,orders\n"), session=session)
        with pytest.raises(InputError, match="no 'contacts' or 'orders' column"):
            import_volumes(_csv(tmp_path, "week,channel\n"), session=session)
